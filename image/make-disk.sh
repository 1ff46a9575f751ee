#!/usr/bin/env bash
# Make the box's disk from a root file system built by image/build.sh.
#
#   image/make-disk.sh ROOTFS DISK.img
#
# GPT with four partitions: 1 BIOS boot (grub's core for legacy BIOS), 2 EFI system
# ("ESP", grub's BOOTX64.EFI), 3 root ("root", ext4, the firmware), 4 data ("data", ext4,
# /var/lib/appliance and /etc/appliance: see rootfs/etc/fstab). No loop device and no
# mount: each file system is made in a file of its own (mkfs.ext4 -d, mtools) and copied
# to its place, so this runs in containers too. Both grub images come from the root file
# system's own grub (grub-pc-bin, grub-efi-amd64-bin), run in a chroot.
# Needs on the host: sgdisk (gdisk), mkfs.ext4 (e2fsprogs), mkfs.vfat (dosfstools), mtools.
set -euo pipefail
ROOT=${1:?usage: make-disk.sh ROOTFS DISK.img}
DISK=${2:?usage: make-disk.sh ROOTFS DISK.img}
DATA_MB=${APPLIANCE_DATA_MB:-512}
ESP_MB=64
for tool in sgdisk mkfs.ext4 mkfs.vfat mcopy mmd; do
    command -v "$tool" >/dev/null || { echo "make-disk.sh: $tool is missing (apt-get install gdisk e2fsprogs dosfstools mtools)" >&2; exit 2; }
done
WORK=$(mktemp -d "$(dirname "$DISK")/disk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The root: what the tree holds and a third more for upgrades' new files and the journal.
root_mb=$(( $(du -sm --exclude=./proc --exclude=./sys "$ROOT" | cut -f1) * 4 / 3 + 256 ))

# Boot: grub finds the root by its label, then reads grub.cfg from it.
install -d "$ROOT/boot/grub"
cat >"$ROOT/boot/grub/grub.cfg" <<'EOF'
set timeout=2
set default=0
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
search --no-floppy --label root --set root
menuentry "Branch appliance" {
    linux /vmlinuz root=LABEL=root rw rootflags=noatime,errors=remount-ro console=tty0 console=ttyS0,115200 panic=30
    initrd /initrd.img
}
EOF
cat >"$WORK/early.cfg" <<'EOF'
search --no-floppy --label root --set root
set prefix=($root)/boot/grub
configfile $prefix/grub.cfg
EOF
cp "$WORK/early.cfg" "$ROOT/tmp/early.cfg"
MODS="part_gpt ext2 fat search search_label normal linux configfile echo serial terminal gzio test"
chroot "$ROOT" grub-mkimage -O x86_64-efi -p /boot/grub -c /tmp/early.cfg -o /tmp/BOOTX64.EFI $MODS all_video efi_gop
chroot "$ROOT" grub-mkimage -O i386-pc -p /boot/grub -c /tmp/early.cfg -o /tmp/core.img $MODS biosdisk
mv "$ROOT/tmp/BOOTX64.EFI" "$ROOT/tmp/core.img" "$WORK/"
cp "$ROOT/usr/lib/grub/i386-pc/boot.img" "$WORK/boot.img"
rm -f "$ROOT/tmp/early.cfg"
core_sectors=$(( ($(stat -c %s "$WORK/core.img") + 511) / 512 ))
[ "$core_sectors" -le 2048 ] || { echo "make-disk.sh: grub core.img is larger than its 1 MiB partition" >&2; exit 1; }

# The file systems, each in a file.
mkfs.ext4 -q -L root -d "$ROOT" "$WORK/root.fs" "${root_mb}M"
install -d "$WORK/data/lib" "$WORK/data/etc"
mkfs.ext4 -q -L data -d "$WORK/data" "$WORK/data.fs" "${DATA_MB}M"
mkfs.vfat -n ESP -C "$WORK/esp.fs" $(( ESP_MB * 1024 )) >/dev/null
mmd -i "$WORK/esp.fs" ::/EFI ::/EFI/BOOT
mcopy -i "$WORK/esp.fs" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

# The partition table (1 MiB aligned; sectors of 512 bytes).
total_mb=$(( 1 + 1 + ESP_MB + root_mb + DATA_MB + 1 ))
rm -f "$DISK"; truncate -s "${total_mb}M" "$DISK"
sgdisk -Z "$DISK" >/dev/null
sgdisk -n 1:2048:+1M -t 1:EF02 -c 1:bios \
          -n 2:0:+${ESP_MB}M -t 2:EF00 -c 2:ESP \
          -n 3:0:+${root_mb}M -t 3:8304 -c 3:root \
          -n 4:0:+${DATA_MB}M -t 4:8300 -c 4:data "$DISK" >/dev/null
start() { sgdisk -i "$1" "$DISK" | awk '/First sector/ {print $3}'; }
put() { dd if="$1" of="$DISK" bs=512 seek="$2" conv=notrunc,sparse status=none; }
put "$WORK/esp.fs" "$(start 2)"
put "$WORK/root.fs" "$(start 3)"
put "$WORK/data.fs" "$(start 4)"

# BIOS: what grub-bios-setup does for a GPT disk. The MBR boot code (boot.img's first
# 440 bytes) learns where core.img starts (a 64-bit LBA at 0x5c); core.img's first sector
# (diskboot) learns where the rest of itself lies and how long it is (its block list at
# 0x1f4: LBA, then a 16-bit sector count).
bios_lba=$(start 1)
python3 - "$WORK/boot.img" "$WORK/core.img" "$bios_lba" "$core_sectors" <<'EOF'
import struct, sys
boot, core, lba, sectors = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(boot, "r+b") as f:
    f.seek(0x5c); f.write(struct.pack("<Q", lba))
with open(core, "r+b") as f:
    f.seek(0x1f4); f.write(struct.pack("<QH", lba + 1, sectors - 1))
EOF
dd if="$WORK/boot.img" of="$DISK" bs=440 count=1 conv=notrunc status=none
put "$WORK/core.img" "$bios_lba"
echo "make-disk.sh: $DISK ($(du -h --apparent-size "$DISK" | cut -f1); root ${root_mb} MiB, data ${DATA_MB} MiB)" >&2
