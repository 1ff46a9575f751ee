#!/usr/bin/env bash
# Build the appliance root filesystem with debootstrap (Debian 12 "bookworm").
#
#   sudo image/build.sh OUTDIR ASTERISK_SOURCE
#
# ASTERISK_SOURCE is the apt source line for the Asterisk packages the builder is
# given (Debian 12 has no Asterisk package), e.g.
#   "deb [trusted=yes] file:///srv/asterisk-debs ./"
# The result is a directory tree; turning it into a disk image is the target
# hardware's business (genimage, a partition table and grub for x86 boxes).
set -euo pipefail
out=${1:?usage: build.sh OUTDIR ASTERISK_SOURCE}
asterisk_source=${2:?usage: build.sh OUTDIR ASTERISK_SOURCE}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,python3,python3-venv,ca-certificates \
    bookworm "$out" http://deb.debian.org/debian
echo "$asterisk_source" > "$out/etc/apt/sources.list.d/asterisk.list"
chroot "$out" apt-get update
chroot "$out" apt-get install -y --no-install-recommends asterisk dahdi-linux libpri1.4 libopenr2-3 \
    espeak-ng sox portaudio19-dev build-essential python3-dev openssl

# The firmware: a wheel of this project in its own venv.
python3 -m pip wheel --no-deps -w "$out/tmp/wheels" "$top"
chroot "$out" python3 -m venv /opt/appliance/venv
chroot "$out" /opt/appliance/venv/bin/pip install /tmp/wheels/*.whl
rm -rf "$out/tmp/wheels"

install -m 0644 "$top"/systemd/*.service "$top"/systemd/*.path "$top"/systemd/*.target "$out/etc/systemd/system/"
install -m 0644 "$here/udev/90-appliance-gsm.rules" "$out/etc/udev/rules.d/"
install -m 0755 "$here/firstboot/appliance-firstboot" "$out/usr/local/sbin/"
install -m 0644 "$here/firstboot/appliance-firstboot.service" "$out/etc/systemd/system/"
if [ -d "$here/asterisk" ]; then
    install -d "$out/etc/asterisk"
    cp -r "$here"/asterisk/*.conf "$out/etc/asterisk/" 2>/dev/null || true
fi
chroot "$out" systemctl enable appliance-firstboot.service
echo "root filesystem ready in $out"
