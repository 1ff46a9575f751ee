"""The appliance as branch IT gets it: image/build.sh's root file system booted under
systemd-nspawn on a LAN of its own (tests/image/boot_support.py), checked from inside and
from a PC on that LAN; then a newer build booted on the same data partition.

Slow (the first build of the Debian base takes minutes; later builds reuse it from the
cache). Skips, saying why, when not root or a tool is missing; ./dev setup installs them.
"""
import json
import re
import sys

import pytest

from boot_support import Box, Lan, build, sign_in_over_lan, why_not
from peer_support import wait_for

pytestmark = pytest.mark.slow

DAEMONS = ("appliance-init", "appliance-smsd", "appliance-services", "appliance-agi", "appliance-dialer",
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
    rootfs, code, tail = build(out, version)
    if code == 3:
        pytest.skip("no Asterisk source tarball for the image (../shared/asterisk)")
    assert rootfs, f"image/build.sh failed with {code}:\n{tail}"
    return rootfs


@pytest.fixture(scope="module")
def first_build(workdir):
    return built(workdir, "first")


@pytest.fixture(scope="module")
def lan(workdir):
    lan = Lan(workdir).start()
    yield lan
    lan.stop()


@pytest.fixture(scope="module")
def state():
    """What one test leaves for the next: the data partition and what the first boot showed."""
    return {}


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
        state.update(data=data, otp=otp, calls=calls,
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


def test_a_newer_build_keeps_the_data(workdir, lan, state):
    if "data" not in state:
        pytest.skip("the first boot failed")
    newer = built(workdir, "newer")
    box = Box(newer, state["data"], lan, workdir, name="appliance-newer").boot()
    try:
        booted(box)
        assert box.run("cat /etc/appliance-release").stdout.strip() == "newer" != state["release"]
        # Same database, same certificate, same admin still to change the same password.
        calls = json.loads(box.run("appliance calls --json").stdout)
        assert [c["id"] for c in calls] == [c["id"] for c in state["calls"]]
        assert box.run("sha256sum /var/lib/appliance/tls/web.crt").stdout.split()[0] == state["cert"]
        assert re.search(r"^admin\s+admin\s+must-change-password", box.run("appliance user list").stdout, re.M)
        assert state["otp"] in box.run("cat /etc/issue").stdout
        for unit in DAEMONS:
            assert box.run(f"systemctl is-active {unit}", check=False).stdout.strip() == "active", unit
        doctor = box.run("appliance doctor", check=False)
        assert doctor.returncode == 0, f"appliance doctor:\n{doctor.stdout}\n{doctor.stderr}"
    finally:
        box.power_off()
