#!/usr/bin/env bash
# Build the appliance's operating system image: Debian 12 ("bookworm"), our firmware, Asterisk.
#
#   image/build.sh [--rootfs-only | --bundle-only] OUT
#
# As root on Debian 12. Makes OUT/firmware-VERSION.tar.gz (the firmware bundle that
# `appliance upgrade` installs: VERSION is `git describe` or $APPLIANCE_IMAGE_VERSION; all
# that --bundle-only makes), OUT/rootfs (the root file system, a directory) and, unless
# --rootfs-only, OUT/appliance.img: a GPT disk that boots by EFI and by BIOS (grub) with a
# root partition (label "root") and a data partition (label "data", mounted on /data, which
# holds /var/lib/appliance and /etc/appliance by bind mounts: a firmware upgrade or a new
# root never touches the data).
#
# What can be cached is, outside the clone and keyed by content (like build-asterisk.sh):
#   base-<key>.tar    debootstrap + the Debian packages (key: the package list, the mirror,
#                     this script's base recipe)
#   wheels-<key>/     the Python dependencies as wheels, checked against the hashes in
#                     image/requirements.lock (key: the lock file)
#   Asterisk          image/asterisk/build-asterisk.sh's own prefix
# in ${APPLIANCE_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appliance/image}. The firmware
# itself (this checkout's wheel) is built every time.
# The Debian mirror is the one this machine's apt uses (APPLIANCE_IMAGE_MIRROR overrides).
# Exit 3: the Asterisk source tarball is missing (build-asterisk.sh's exit code).
set -euo pipefail
ROOTFS_ONLY= BUNDLE_ONLY=
case "${1:-}" in
    --rootfs-only) ROOTFS_ONLY=1; shift ;;
    --bundle-only) BUNDLE_ONLY=1; shift ;;
esac
OUT=${1:?usage: image/build.sh [--rootfs-only | --bundle-only] OUT}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
CACHE=${APPLIANCE_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/appliance/image}
SUITE=bookworm
# The Python that builds the wheels and runs this checkout's `appliance release make` and
# `appliance upgrade --image`: one with the firmware's dependencies (./dev's .venv), 3.11
# like the image's (CPython ABI cp311).
PY=${APPLIANCE_IMAGE_PYTHON:-$TOP/.venv/bin/python}
[ "$(id -u)" -eq 0 ] || { echo "build.sh: run as root" >&2; exit 2; }
for tool in debootstrap chroot mkfs.ext4; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (apt-get install debootstrap e2fsprogs)" >&2; exit 2; }
done

# What the box runs, and nothing to build with: no compiler, no -dev package.
# Asterisk's run-time libraries are those its build on this host links against
# (build-asterisk.sh: libedit, jansson, libxml2, sqlite3, uuid, openssl, ncurses).
BASE_DEBS="systemd systemd-sysv systemd-timesyncd systemd-resolved udev dbus kmod iproute2 iputils-ping
ca-certificates openssl tzdata locales less procps util-linux
python3 python3-venv espeak-ng sox libportaudio2
libedit2 libjansson4 libxml2 libxslt1.1 libsqlite3-0 libuuid1 libssl3 libncurses6
usb-modeswitch usb-modeswitch-data
linux-image-amd64 initramfs-tools grub-pc-bin grub-efi-amd64-bin e2fsprogs dosfstools"
BASE_RECIPE=4  # bump when base() below changes what it makes

log() { echo "build.sh: $*" >&2; }

mirror() {
    [ -n "${APPLIANCE_IMAGE_MIRROR:-}" ] && { echo "$APPLIANCE_IMAGE_MIRROR"; return; }
    # The first Debian URI of this machine's own sources (deb822 or one-line).
    local uri
    uri=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list \
          | grep -E '/debian/?( |$)' | head -n1 | sed -E 's/^URIs:[[:space:]]*//; s/^deb (\[[^]]*\] )?//; s/ .*//')
    echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=$(mirror)
SECURITY_MIRROR=${APPLIANCE_IMAGE_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}

# --- the chroot: /proc, /sys, /dev, /dev/pts mounted; nothing starts a service ---------------
mounted=()
chroot_mount() {
    local root=$1
    mount -t proc proc "$root/proc"; mounted+=("$root/proc")
    mount -t sysfs sysfs "$root/sys"; mounted+=("$root/sys")
    mount --bind /dev "$root/dev"; mounted+=("$root/dev")
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"; mounted+=("$root/dev/pts")
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
}
chroot_umount() {
    local i
    for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
    mounted=()
}
trap chroot_umount EXIT
in_root() {  # in_root ROOT CMD...: run in the chroot, non-interactively
    local root=$1; shift
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        LANG=C.UTF-8 HOME=/root "$@"
}

# --- base: Debian with our packages (cached) ------------------------------------------------
base() {
    local root=$1
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >&2
    # The box's sources: the release, its updates and the security suite.
    cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
    chroot_mount "$root"
    cp /etc/resolv.conf "$root/etc/resolv.conf"  # this build's own lookups only; replaced below
    in_root "$root" apt-get update -q >&2
    # shellcheck disable=SC2086
    in_root "$root" apt-get install -y -q --no-install-recommends $BASE_DEBS >&2
    in_root "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old
    chroot_umount
}

base_tar() {
    local key
    key=$(printf '%s\n' "$BASE_DEBS" "$MIRROR" "$SECURITY_MIRROR" "$SUITE" "$BASE_RECIPE" | sha256sum | cut -c1-16)
    local tar="$CACHE/base-$key.tar"
    if [ ! -f "$tar" ]; then
        log "building the Debian base ($tar; a few minutes; log: $tar.log)"
        local work; work=$(mktemp -d "$CACHE/base-build.XXXXXX")
        # Its chatter to the log (named above); a failure still stops the build (set -e).
        exec 3>&2 2>"$tar.log"
        base "$work/root"
        exec 2>&3 3>&-
        tar -C "$work/root" --numeric-owner --xattrs -cf "$tar.tmp" .
        mv "$tar.tmp" "$tar"
        rm -rf "$work"
    fi
    echo "$tar"
}

# --- the firmware's wheels: pinned by image/requirements.lock --------------------------------
wheels() {
    local key dir
    key=$(sha256sum "$HERE/requirements.lock" | cut -c1-16)
    dir="$CACHE/wheels-$key"
    if [ ! -f "$dir/.complete" ]; then
        log "building the dependencies' wheels ($dir)"
        rm -rf "$dir"; mkdir -p "$dir"
        # --require-hashes: what is downloaded is what the lock says, or the build stops.
        "$PY" -m pip wheel -q --disable-pip-version-check --require-hashes --no-deps \
            -r "$HERE/requirements.lock" -w "$dir" >&2
        touch "$dir/.complete"
    fi
    echo "$dir"
}

# --- the firmware: a bundle for `appliance upgrade` (appliance/system/releases.py) -----------
VERSION=${APPLIANCE_IMAGE_VERSION:-$(cd "$TOP" && git describe --always --dirty 2>/dev/null || echo unknown)}

host_appliance() {  # this checkout's command line, on the build host
    PYTHONPATH="$TOP${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m appliance.cli --config "$HOST_CONFIG" "$@"
}

bundle() {  # bundle FILE: the firmware of this checkout with the lock's wheels
    local file=$1 stage
    stage=$(mktemp -d "$CACHE/bundle.XXXXXX")
    cp "$(wheels)"/*.whl "$stage/"
    "$PY" -m pip wheel -q --disable-pip-version-check --no-deps -w "$stage" "$TOP" >&2
    # The box's python3 has no pip module: an upgrade on the box runs the bundle's own,
    # Debian's wheel of it from the base (python3-pip-whl), so it is pinned with the base.
    tar -C "$stage" -xf "$(base_tar)" --wildcards --strip-components=4 './usr/share/python-wheels/pip-*.whl'
    host_appliance release make "$stage" --version "$VERSION" --output "$file" >/dev/null
    rm -rf "$stage"
}

# --- the root file system -------------------------------------------------------------------
install_firmware() {
    local root=$1
    # The first release, as `appliance upgrade --image` installs it: /opt/appliance/releases/V
    # (exactly the lock's wheels and ours, offline, no resolution) and `current` pointing at it;
    # the units run /opt/appliance/current/bin/appliance.
    bundle "$OUT/firmware-$VERSION.tar.gz"
    host_appliance upgrade "$OUT/firmware-$VERSION.tar.gz" --image "$root" --python /usr/bin/python3 >&2
    ln -sf /opt/appliance/current/bin/appliance "$root/usr/local/bin/appliance"
    # Every daemon's module imports with the image's own interpreter and libraries.
    in_root "$root" /opt/appliance/current/bin/python -c \
        'import appliance.cli, agi.server, agi.dialer_daemon, modem.smsd, modem.smpp.daemon, web.server, pyaudio, numpy'
    install -d "$root/usr/share/doc/appliance"
    install -m 0644 "$TOP/README.md" "$root/usr/share/doc/appliance/README.md"
    [ -f "$HERE/README.md" ] && install -m 0644 "$HERE/README.md" "$root/usr/share/doc/appliance/image.md"
    echo "$VERSION" >"$root/etc/appliance-release"
}

install_asterisk() {
    local root=$1 prefix rc=0
    prefix=$(bash "$HERE/asterisk/build-asterisk.sh") || rc=$?
    [ $rc -eq 0 ] || exit $rc
    # The test build's prefix, copied: the binary finds libasteriskssl through ld.so.conf
    # (its RUNPATH names the build host's prefix) and every directory through asterisk.conf.
    install -d "$root/opt/asterisk"
    cp -a "$prefix/sbin" "$prefix/lib" "$root/opt/asterisk/"
    # Its data dir: the XML documentation without which the core refuses to start (Stasis).
    install -d "$root/opt/asterisk/var/lib/asterisk"
    cp -a "$prefix/var/lib/asterisk/." "$root/opt/asterisk/var/lib/asterisk/"
    echo /opt/asterisk/lib >"$root/etc/ld.so.conf.d/asterisk.conf"
    in_root "$root" ldconfig
    install -d -m 0755 "$root/etc/asterisk"
    install -m 0644 "$HERE"/asterisk/etc/*.conf "$HERE"/asterisk/extensions_*.conf "$root/etc/asterisk/"
    install -m 0644 "$HERE/asterisk/asterisk.service" "$root/etc/systemd/system/"
    install -d -o "$(uid_of "$root" asterisk)" -g "$(gid_of "$root" asterisk)" -m 0750 \
        "$root/var/spool/asterisk" "$root/var/spool/asterisk/outgoing"
}

uid_of() { chroot "$1" id -u "$2"; }
gid_of() { chroot "$1" id -g "$2"; }

users() {
    local root=$1
    # Made here, not at first boot, so every box has the same ids (the data partition's
    # files keep their owners across a new root).
    in_root "$root" sh -c 'getent group appliance >/dev/null || groupadd --system appliance
getent group asterisk >/dev/null || groupadd --system asterisk
getent passwd appliance >/dev/null || useradd --system --gid appliance --groups dialout,audio,asterisk \
    --home-dir /var/lib/appliance --no-create-home --shell /usr/sbin/nologin appliance
getent passwd asterisk >/dev/null || useradd --system --gid asterisk --groups appliance,audio,dialout \
    --home-dir /var/lib/asterisk --no-create-home --shell /usr/sbin/nologin asterisk'
}

system_config() {
    local root=$1
    install -m 0644 "$TOP"/systemd/*.service "$TOP"/systemd/*.path "$TOP"/systemd/*.target "$root/etc/systemd/system/"
    [ -n "$(ls "$TOP"/systemd/*.timer 2>/dev/null)" ] && install -m 0644 "$TOP"/systemd/*.timer "$root/etc/systemd/system/"
    install -m 0644 "$HERE/udev/"*.rules "$root/etc/udev/rules.d/"
    install -m 0755 "$HERE/firstboot/appliance-firstboot" "$root/usr/local/sbin/"
    install -m 0644 "$HERE/firstboot/appliance-firstboot.service" "$HERE/firstboot/appliance-datadirs.service" \
        "$root/etc/systemd/system/"
    cp -a "$HERE/rootfs/." "$root/"
    chown -R root:root "$root/etc/systemd/network" "$root/etc/systemd/journald.conf.d" "$root/etc/systemd/timesyncd.conf.d"
    install -d -m 0755 "$root/data" "$root/var/lib/appliance" "$root/etc/appliance" "$root/boot/efi"
    in_root "$root" systemctl enable systemd-networkd.service systemd-resolved.service \
        systemd-timesyncd.service appliance-firstboot.service appliance-datadirs.service asterisk.service \
        appliance.target >&2
    in_root "$root" systemctl disable systemd-networkd-wait-online.service >&2 || true
    # Each box makes its own identity at first boot: machine-id (empty file: systemd writes
    # one), host name (first boot, from the serial number or MAC), SSH-less, so no host keys.
    : >"$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"
    ln -sf /etc/machine-id "$root/var/lib/dbus/machine-id"
    # No build host's name server: systemd-resolved's stub, fed by DHCP.
    ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
    rm -f "$root/usr/sbin/policy-rc.d"
    rm -rf "$root"/tmp/* "$root"/var/tmp/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*
}

rootfs() {
    local root="$OUT/rootfs" tar
    tar=$(base_tar)
    rm -rf "$root"; mkdir -p "$root"
    log "unpacking the base into $root"
    tar -C "$root" --numeric-owner --xattrs -xf "$tar"
    chroot_mount "$root"
    users "$root"
    install_firmware "$root"
    install_asterisk "$root"
    chroot_umount
    system_config "$root"
}

# --- the disk: GPT, BIOS boot + EFI system + root + data --------------------------------------
disk() {
    local root="$OUT/rootfs" img="$OUT/appliance.img"
    bash "$HERE/make-disk.sh" "$root" "$img"
}

START=$(date +%s)
mkdir -p "$OUT" "$CACHE"
# The host-side commands need a configuration; nothing is written into its data dir.
HOST_DIR=$(mktemp -d "$CACHE/host.XXXXXX")
HOST_CONFIG=$HOST_DIR/appliance.toml
trap 'chroot_umount; rm -rf "$HOST_DIR"' EXIT
printf 'data_dir = "%s/data"\n' "$HOST_DIR" >"$HOST_CONFIG"
mkdir "$HOST_DIR/data"
if [ -n "$BUNDLE_ONLY" ]; then
    bundle "$OUT/firmware-$VERSION.tar.gz"
    log "firmware bundle ready: $OUT/firmware-$VERSION.tar.gz"
    exit 0
fi
rootfs
log "root file system ready in $OUT/rootfs ($(du -sh --exclude=proc "$OUT/rootfs" | cut -f1), $(( $(date +%s) - START )) s)"
if [ -z "$ROOTFS_ONLY" ]; then
    disk
    log "disk image ready: $OUT/appliance.img ($(( $(date +%s) - START )) s in all)"
fi
