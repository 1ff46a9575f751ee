"""The appliance as branch IT gets it: image/build.sh's root file system booted under
systemd-nspawn on a LAN of its own (tests/image/boot_support.py), checked from inside and
from a PC on that LAN; then a newer build booted on the same data partition.

Slow (the first build of the Debian base takes minutes; later builds reuse it from the
cache). Skips, saying why, when not root or a tool is missing; ./dev setup installs them.
"""
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from boot_support import REPO, Box, Lan, build, sign_in_over_lan, why_not
from firmware_support import make_wheel
from peer_support import wait_for
from appliance.system.releases import make_bundle

pytestmark = pytest.mark.slow

# What the upgrade test's broken release does (as tests/appliance/test_firmware_upgrade.py).
BROKEN = {"web/server.py": "\n\ndef main(config):\n    raise SystemExit('this release is broken')\n",
          "appliance/migrations/9999_broken.py": "def up(migrator, db):\n    db.execute_sql(\"DELETE FROM customer\")\n"}
MAKE_DISK = REPO / "image" / "make-disk.sh"
DAEMONS = ("appliance-init", "appliance-smsd", "appliance-services", "appliance-agi", "appliance-dialer", "appliance-mailer",
           "appliance-web", "asterisk")
OTP = r"一次性密码 / One-time password: (\S+)"
ADDRESS = r"管理页面 / Admin page: https://([0-9.]+)/"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    reason = why_not()
    if reason:
        pytest.skip(reason)
    return tmp_path_factory.mktemp("image")


def built(workdir, version):
    out = workdir / version
    out.mkdir()
    rootfs, code, tail = build(out, version, "--rootfs-only")
    if code == 3:
        pytest.skip("no Asterisk source tarball for the image (../shared/asterisk)")
    assert rootfs, f"image/build.sh failed with {code}:\n{tail}"
    return rootfs


@pytest.fixture(scope="module")
def first_build(workdir):
    rootfs = built(workdir, "first")
    yield rootfs
    shutil.rmtree(rootfs.parent, ignore_errors=True)  # 1.1 GB: not kept among pytest's last runs


@pytest.fixture(scope="module")
def lan(workdir):
    lan = Lan(workdir).start()
    yield lan
    lan.stop()


@pytest.fixture(scope="module")
def state():
    """What one test leaves for the next: the data partition and what the first boot showed."""
    return {}


def customers(box):
    """The customers in the box's database, read as it is on disk ("COUNT|NAMES")."""
    return box.run("python3 -c \"import sqlite3; print(*sqlite3.connect('file:/var/lib/appliance/appliance.db"
                   "?mode=ro', uri=True).execute('SELECT COUNT(*), GROUP_CONCAT(name) FROM customer')"
                   ".fetchone(), sep='|')\"").stdout.strip()


def booted(box):
    """Boot to the end; every unit must have started (no failed unit)."""
    result = box.wait_booted()
    assert result == "running", (f"system {result}; failed units:\n{box.failed_units()}\n"
                                 f"{box.journal(lines=60)}")


def test_first_boot_makes_a_working_box(first_build, lan, workdir, state):
    data = workdir / "data-partition"
    box = Box(first_build, data, lan, workdir).boot()
    try:
        # The console shows the sign-in: the one-time password and the LAN address.
        otp = box.wait_console(OTP, 300, "the one-time password on the console").group(1)
        address = box.wait_console(ADDRESS, 60, "the admin page's address on the console").group(1)
        assert address.startswith("10.77.0."), address  # from the LAN's DHCP server
        booted(box)
        for unit in DAEMONS:
            assert box.run(f"systemctl is-active {unit}", check=False).stdout.strip() == "active", \
                f"{unit}:\n{box.journal(unit)}"
        assert otp in box.run("cat /etc/issue").stdout
        assert otp not in box.run("journalctl --no-pager -b").stdout  # the console alone

        # Its own identity: a machine-id and a host name made here, no build host's.
        assert re.fullmatch(r"[0-9a-f]{32}", box.run("cat /etc/machine-id").stdout.strip())
        assert re.fullmatch(r"branch-[0-9a-z]{1,8}", box.run("hostname").stdout.strip())
        assert box.run("readlink /etc/resolv.conf").stdout.strip().endswith("stub-resolv.conf")
        # Security updates in its sources; nothing to compile with, no apt lists or caches.
        assert re.search(r"^deb \S+ bookworm-security main$", box.run("cat /etc/apt/sources.list").stdout, re.M)
        assert box.run("command -v gcc cc make", check=False).stdout == ""
        assert box.run("find /var/lib/apt/lists /var/cache/apt -type f").stdout == ""

        # A PC on the LAN signs in with the one-time password and is sent to change it.
        seen = sign_in_over_lan(lan, address, otp, sys.executable)
        assert seen == {"form": 200, "signin": 303, "location": seen["location"]}, seen
        assert seen["location"].endswith("/password"), seen

        doctor = box.run("appliance doctor", check=False)
        assert doctor.returncode == 0, f"appliance doctor:\n{doctor.stdout}\n{doctor.stderr}"

        # Asterisk answers a call into our IVR over FastAGI.
        box.run("/opt/asterisk/sbin/asterisk -C /etc/asterisk/asterisk.conf -rx "
                "'channel originate Local/s@appliance-inbound application Wait 20'")
        calls = wait_for(lambda: json.loads(box.run("appliance calls --json").stdout or "[]"), 60,
                         "the IVR's call record", interval=0.5)
        assert len(calls) == 1, calls
        box.run("appliance customer add --name 张三 --mobile 13912345678")
        state.update(data=data, otp=otp, calls=calls, first=first_build,
                     customers=customers(box),
                     cert=box.run("sha256sum /var/lib/appliance/tls/web.crt").stdout.split()[0],
                     release=box.run("cat /etc/appliance-release").stdout.strip())

        # Customers' data readable by the appliance's users only.
        assert box.run("stat -c %a /var/lib/appliance").stdout.strip() == "750"
        exposed = box.run("find /var/lib/appliance /etc/appliance ! -type l -perm /o=rwx").stdout.strip()
        assert exposed == "", f"readable by anyone:\n{exposed}"
        modes = box.run("stat -c '%a %n' /var/lib/appliance/appliance.db /etc/appliance/appliance.toml").stdout
        assert all(line.split()[0] == "640" for line in modes.splitlines()), modes
    finally:
        box.power_off()


def test_the_disk_has_bios_and_efi_boot_and_a_data_partition(first_build, workdir):
    """image/make-disk.sh from the first build: GPT with grub's BIOS core and its EFI loader,
    the root and the data partition by label (what /etc/fstab and grub.cfg name)."""
    missing = [tool for tool in ("sgdisk", "mkfs.vfat", "mcopy", "blkid") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (./dev setup installs them)")
    disk = workdir / "appliance.img"
    made = subprocess.run(["bash", str(MAKE_DISK), str(first_build), str(disk)], capture_output=True, text=True,
                          timeout=900)
    assert made.returncode == 0, made.stderr[-3000:]
    try:
        table = subprocess.run(["sgdisk", "-p", str(disk)], capture_output=True, text=True, check=True).stdout
        rows = re.findall(r"^\s+(\d)\s+(\d+)\s+\d+\s+\S+ \S+\s+(\w{4})\s+(\S+)$", table, re.M)
        assert [(n, code, name) for n, _, code, name in rows] == [
            ("1", "EF02", "bios"), ("2", "EF00", "ESP"), ("3", "8304", "root"), ("4", "8300", "data")], table
        found = {}
        for _, start, _, name in rows[1:]:
            probe = subprocess.run(["blkid", "-p", "-O", str(int(start) * 512), "-o", "export", str(disk)],
                                   capture_output=True, text=True).stdout
            found[name] = dict(line.split("=", 1) for line in probe.split())
        assert {name: (f.get("TYPE"), f.get("LABEL")) for name, f in found.items()} == {
            "ESP": ("vfat", "ESP"), "root": ("ext4", "root"), "data": ("ext4", "data")}
        esp = f"{disk}@@{int(rows[1][1]) * 512}"
        listing = subprocess.run(["mdir", "-b", "-i", esp, "::/EFI/BOOT"], capture_output=True, text=True).stdout
        assert "BOOTX64.EFI" in listing.upper(), listing
        with open(disk, "rb") as fh:
            mbr = fh.read(512)
        assert mbr[:440].strip(b"\0") and int.from_bytes(mbr[0x5C:0x64], "little") == int(rows[0][1])
        fstab = (first_build / "etc" / "fstab").read_text()
        assert re.search(r"^LABEL=data\s+/data\s", fstab, re.M) and "/data/lib    /var/lib/appliance" in fstab
        assert "root=LABEL=root" in (first_build / "boot" / "grub" / "grub.cfg").read_text()
    finally:
        disk.unlink(missing_ok=True)


def firmware_bundles(workdir):
    """A newer build's firmware bundle (image/build.sh --bundle-only), and a broken one: the
    same wheels, but its web daemon dies at start and its migration deletes the customers."""
    out = workdir / "newer"
    out.mkdir()
    newer, code, tail = build(out, "newer", "--bundle-only")
    assert newer, f"image/build.sh --bundle-only failed with {code}:\n{tail}"
    wheels = workdir / "broken-wheels"
    wheels.mkdir()
    with tarfile.open(newer) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("wheels/") and m.isfile()
                   and not Path(m.name).name.startswith("insurance_branch_appliance-")]
        for member in members:
            (wheels / Path(member.name).name).write_bytes(tar.extractfile(member).read())
    make_wheel(wheels, BROKEN)
    return newer, make_bundle(wheels, "broken", workdir / "firmware-broken.tar.gz")


def test_upgrades_on_the_box_keep_the_data_and_a_broken_one_rolls_back(workdir, lan, state):
    if "data" not in state:
        pytest.skip("the first boot failed")
    newer, broken = firmware_bundles(workdir)
    for bundle in (newer, broken):
        shutil.copy(bundle, state["data"] / "lib")  # on the data partition: /var/lib/appliance
    # A first-boot step that fails (the prompts cannot be built: their folder is a file) is
    # shown on the console and tried again at the next boot; the daemons start all the same.
    lib = state["data"] / "lib"
    (lib / "prompts").rename(lib / "prompts.kept")
    (lib / "prompts").write_text("not a folder")
    (lib / ".firstboot-done").unlink()
    box = Box(state["first"], state["data"], lan, workdir, name="appliance-again").boot()
    try:
        booted(box)  # a second boot on the same data: nothing made anew
        assert state["otp"] in box.run("cat /etc/issue").stdout
        box.wait_console(r"\[ 失败 FAILED \] 语音提示 / voice prompts", 120, "the failed step on the console")
        for unit in DAEMONS:
            assert box.run(f"systemctl is-active {unit}", check=False).stdout.strip() == "active", unit
        assert box.run("test -e /var/lib/appliance/.firstboot-done", check=False).returncode == 1
        box.run("rm /var/lib/appliance/prompts && mv /var/lib/appliance/prompts.kept /var/lib/appliance/prompts"
                " && systemctl restart appliance-firstboot")  # as the next boot would
        box.run("test -e /var/lib/appliance/.firstboot-done")

        upgraded = box.run(f"appliance upgrade /var/lib/appliance/{newer.name}", check=False, timeout=600)
        assert upgraded.returncode == 0, f"{upgraded.stdout}\n{upgraded.stderr}"
        assert box.run("readlink /opt/appliance/current").stdout.strip() == "releases/newer"
        assert_data_intact(box, state)

        failed = box.run(f"appliance upgrade /var/lib/appliance/{broken.name}", check=False, timeout=600)
        assert failed.returncode == 1, f"{failed.stdout}\n{failed.stderr}"
        assert box.run("readlink /opt/appliance/current").stdout.strip() == "releases/newer"
        assert_data_intact(box, state)
    finally:
        box.power_off()


def assert_data_intact(box, state):
    """The first boot's data and daemons, all there: the call, the certificate, the admin
    still to change the same password, every daemon active, the doctor content."""
    calls = json.loads(box.run("appliance calls --json").stdout)
    assert [c["id"] for c in calls] == [c["id"] for c in state["calls"]]
    assert customers(box) == state["customers"] != "0|"
    assert box.run("sha256sum /var/lib/appliance/tls/web.crt").stdout.split()[0] == state["cert"]
    assert re.search(r"^admin\s+admin\s+must-change-password", box.run("appliance user list").stdout, re.M)
    for unit in DAEMONS:
        assert box.run(f"systemctl is-active {unit}", check=False).stdout.strip() == "active", unit
    doctor = box.run("appliance doctor", check=False)
    assert doctor.returncode == 0, f"appliance doctor:\n{doctor.stdout}\n{doctor.stderr}"
