#!/usr/bin/env bash
# Build Asterisk from the project's source tarball, offline, with the small module set the
# appliance needs, and install it into a prefix keyed by the tarball's sha256.
#
#   image/asterisk/build-asterisk.sh [--print-prefix] [TARBALL]
#
# Prints the install prefix on stdout (progress goes to stderr). --print-prefix builds
# nothing: it prints the prefix and exits 0 if it holds a good install, 4 if not.
#
# TARBALL defaults to $APPLIANCE_ASTERISK_TARBALL, then ../shared/asterisk/asterisk-*.tar.xz
# next to the clone, then /work/shared/asterisk/asterisk-*.tar.xz.
# The prefix defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/appliance/asterisk-<sha256[:16]>-<recipe[:8]>
# (override: APPLIANCE_ASTERISK_PREFIX): a changed recipe builds into a new prefix and never
# wipes an install another shell may be running. A prefix holding a stamp file whose content matches
# this tarball and this recipe is a good install: then the script does nothing.
# The build log goes to <prefix>.build.log; on failure its tail is printed and the script
# exits 1. Exit 3 means "no tarball" (the caller decides whether that is fatal).
# Measured here (2 cores): cold ~75 s plus apt-get; warm (stamp good) ~0.1 s.
# See /work/shared/asterisk/README.md (or ../shared/asterisk/README.md) for the facts used.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DEBS="build-essential pkg-config libedit-dev libjansson-dev libxml2-dev libsqlite3-dev uuid-dev libssl-dev libncurses-dev xz-utils"

# The module set: enough for inbound IVR calls over FastAGI and AMI-originated calls over
# Local channels (Local channels and the manager are in the core). res_speech: res_agi
# depends on it. func_timeout: the dialplan bounds the wait for the FastAGI server with
# TIMEOUT(absolute) (extensions_appliance.conf).
MODULES="pbx_config pbx_spool res_agi res_speech res_clioriginate res_timing_timerfd
res_musiconhold app_dial app_playback app_record app_read app_senddtmf app_playtones
app_milliwatt app_mixmonitor app_originate app_stack app_exec app_verbose app_echo
app_waitforsilence bridge_simple bridge_softmix bridge_holding bridge_builtin_features
chan_bridge_media codec_ulaw codec_alaw codec_gsm codec_a_mu codec_resample format_wav
format_pcm format_gsm format_sln func_channel func_callerid func_strings func_logic
func_math func_global func_hangupcause func_groupcount func_dialplan func_timeout cdr_csv"
MODULE_CATEGORIES="MENUSELECT_ADDONS MENUSELECT_APPS MENUSELECT_BRIDGES MENUSELECT_CDR
MENUSELECT_CEL MENUSELECT_CHANNELS MENUSELECT_CODECS MENUSELECT_FORMATS MENUSELECT_FUNCS
MENUSELECT_PBX MENUSELECT_RES MENUSELECT_TESTS MENUSELECT_CORE_SOUNDS MENUSELECT_MOH
MENUSELECT_EXTRA_SOUNDS"
CONFIGURE_ARGS="--without-pjproject-bundled --with-jansson-bundled=no --with-libjwt-bundled=no
--without-pjproject --without-dahdi --without-pri --without-ss7 --without-srtp
--without-postgres --without-unixodbc --without-ldap --without-gmime --without-iksemel
--without-x11 --without-gtk2 --without-libcurl"

find_tarball() {
    if [ -n "${APPLIANCE_ASTERISK_TARBALL:-}" ]; then echo "$APPLIANCE_ASTERISK_TARBALL"; return; fi
    local dir f
    for dir in "$ROOT/../shared/asterisk" /work/shared/asterisk; do
        for f in "$dir"/asterisk-*.tar.xz; do
            [ -f "$f" ] && { echo "$f"; return; }
        done
    done
    return 0
}

need_debs() {
    local missing=()
    for deb in "$@"; do
        dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "ok installed" || missing+=("$deb")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "build-asterisk: please install these Debian packages: ${missing[*]}" >&2
        return 0
    fi
    echo "build-asterisk: apt-get install ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

PRINT_PREFIX=
if [ "${1:-}" = --print-prefix ]; then PRINT_PREFIX=1; shift; fi
TARBALL=${1:-$(find_tarball)}
if [ -z "$TARBALL" ] || [ ! -f "$TARBALL" ]; then
    echo "build-asterisk: no Asterisk source tarball (looked at \$APPLIANCE_ASTERISK_TARBALL," \
         "$ROOT/../shared/asterisk, /work/shared/asterisk)" >&2
    exit 3
fi
TARBALL=$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")
SHA=$(sha256sum "$TARBALL" | cut -d' ' -f1)
# The stamp names the tarball and the recipe: a changed module list rebuilds.
RECIPE=$(printf '%s\n' "$MODULES" "$MODULE_CATEGORIES" "$CONFIGURE_ARGS" | sha256sum | cut -c1-16)
PREFIX=${APPLIANCE_ASTERISK_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/appliance/asterisk-${SHA:0:16}-${RECIPE:0:8}}
STAMP="$PREFIX/.appliance-build-ok"
WANT="tarball=$SHA recipe=$RECIPE"

good() { [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$PREFIX/sbin/asterisk" ]; }
if [ -n "$PRINT_PREFIX" ]; then echo "$PREFIX"; good || exit 4; exit 0; fi
if good; then echo "$PREFIX"; exit 0; fi

mkdir -p "$(dirname "$PREFIX")"
LOG="$PREFIX.build.log"
# One build at a time per prefix (two shells running ./dev test at once).
exec 9>"$PREFIX.lock"
if command -v flock >/dev/null; then flock 9; fi
if good; then echo "$PREFIX"; exit 0; fi

need_debs $BUILD_DEBS

WORK=$(mktemp -d "$(dirname "$PREFIX")/asterisk-build.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
fail() {
    echo "build-asterisk: $1 failed; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
}
step() {  # step NAME COMMAND...: run with output to the log, fail loudly
    local name=$1 t0; shift
    t0=$(date +%s)
    echo "=== $name: $*" >>"$LOG"
    "$@" >>"$LOG" 2>&1 || fail "$name"
    echo "=== $name: $(( $(date +%s) - t0 )) s" >>"$LOG"
}

echo "build-asterisk: building $(basename "$TARBALL") into $PREFIX (log: $LOG; a few minutes)" >&2
START=$(date +%s)
: >"$LOG"
rm -rf "$PREFIX"
step extract tar -xJf "$TARBALL" -C "$WORK" --strip-components=1
cd "$WORK"
# shellcheck disable=SC2086
step configure ./configure --prefix="$PREFIX" $CONFIGURE_ARGS
step menuselect.makeopts make menuselect.makeopts
select=()
for cat in $MODULE_CATEGORIES; do select+=(--disable-category "$cat"); done
for mod in $MODULES; do select+=(--enable "$mod"); done
step menuselect menuselect/menuselect "${select[@]}" menuselect.makeopts
step "menuselect check" menuselect/menuselect --check-deps menuselect.makeopts
step make make -j"${ASTERISK_BUILD_JOBS:-2}" NOISY_BUILD=
step install make install
# Modules that the module set names but menuselect dropped (missing dependency) fail here.
for mod in $MODULES; do
    [ -f "$PREFIX/lib/asterisk/modules/$mod.so" ] || { echo "missing module $mod.so" >>"$LOG"; fail "install check"; }
done
echo "=== built in $(( $(date +%s) - START )) s" >>"$LOG"
echo "$WANT" >"$STAMP"
echo "build-asterisk: done in $(( $(date +%s) - START )) s" >&2
echo "$PREFIX"
