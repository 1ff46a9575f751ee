"""Boot the appliance's root file system (image/build.sh) under systemd-nspawn on a LAN of its own.

`why_not()` says why this machine cannot (not root, a tool missing), for a skip.
`build(out, version, mode)` runs image/build.sh --rootfs-only or --bundle-only (the Debian base, the wheels and
Asterisk are cached outside the clone, keyed by content; the firmware is built each time).
`Lan` is the branch LAN: a network namespace made here with a DHCP server (dnsmasq) on
one end of the veth pair that nspawn makes; the other end is the box's wired port, eth0.
`Box` boots a root file system with the data partition as a host folder bound on /data
(image/rootfs/etc/fstab binds /var/lib/appliance and /etc/appliance from it, as on the
disk), reads its console, runs commands inside it (nsenter) and powers it off. The root
is --volatile=overlay: every boot starts from the build as it was made, as a new root on
a real box would. Nothing waits by sleeping: each wait polls a condition with a deadline.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from peer_support import wait_for

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "image" / "build.sh"
TOOLS = ("debootstrap", "systemd-nspawn", "nsenter", "ip", "dnsmasq", "mkfs.ext4")
LAN_PREFIX = "10.77.0"


def why_not():
    """None when this machine can build and boot the image, else the reason."""
    if os.geteuid() != 0:
        return "building and booting the image needs root"
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        return f"missing {', '.join(missing)} (./dev setup installs them)"
    return None


def build(out, version, mode):
    """image/build.sh MODE OUT (--rootfs-only: OUT/rootfs; --bundle-only: the firmware bundle)
    as release `version`: (what it made, 0, "") or (None, exit code, the log's tail)."""
    env = dict(os.environ, APPLIANCE_IMAGE_VERSION=version, APPLIANCE_IMAGE_PYTHON=sys.executable)
    with open(Path(out) / "build.log", "wb") as log:
        run = subprocess.run(["bash", str(BUILD), mode, str(out)], stdout=log,
                             stderr=subprocess.STDOUT, env=env, timeout=1800)
    if run.returncode != 0:
        return None, run.returncode, (Path(out) / "build.log").read_text(errors="replace")[-4000:]
    made = Path(out) / "rootfs" if mode == "--rootfs-only" else Path(out) / f"firmware-{version}.tar.gz"
    return made, 0, ""


class Lan:
    """A network namespace with dnsmasq serving DHCP on LAN_PREFIX.0/24: the branch LAN.

    nspawn makes a veth pair per boot (`--network-veth-extra`: `eth0` inside the box,
    `peer` outside); `attach()` moves the outer end into this namespace and serves it."""

    def __init__(self, workdir):
        tag = os.getpid() % 100000
        self.netns = f"i15lan{tag}"
        self.peer = f"lanh{tag}"
        self.leases = Path(workdir) / "dnsmasq.leases"
        self.dnsmasq = None

    def start(self):
        self.stop()
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        self.ns("ip", "link", "set", "lo", "up")
        return self

    def ns(self, *command, **kwargs):
        """Run a command in the LAN's namespace (as a PC on the branch LAN would)."""
        kwargs.setdefault("check", True)
        return subprocess.run(["ip", "netns", "exec", self.netns, *command], **kwargs)

    def attach(self, timeout=30):
        """Move the box's veth peer into the LAN and serve DHCP on it."""
        wait_for(lambda: subprocess.run(["ip", "link", "show", self.peer], capture_output=True).returncode == 0,
                 timeout, f"nspawn's veth {self.peer}", interval=0.1)
        subprocess.run(["ip", "link", "set", self.peer, "netns", self.netns], check=True)
        self.ns("ip", "addr", "add", f"{LAN_PREFIX}.1/24", "dev", self.peer)
        self.ns("ip", "link", "set", self.peer, "up")
        self._stop_dnsmasq()
        self.dnsmasq = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
             "--port=0", f"--interface={self.peer}", "--bind-interfaces",
             f"--dhcp-range={LAN_PREFIX}.50,{LAN_PREFIX}.99,1h", f"--dhcp-leasefile={self.leases}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _stop_dnsmasq(self):
        if self.dnsmasq and self.dnsmasq.poll() is None:
            self.dnsmasq.terminate()
            self.dnsmasq.wait(10)

    def stop(self):
        self._stop_dnsmasq()
        subprocess.run(["ip", "link", "del", self.peer], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)


class Box:
    """One boot of `rootfs` with `data` (a host folder) as its data partition, on `lan`."""

    def __init__(self, rootfs, data, lan, workdir, name="appliance"):
        self.rootfs, self.data, self.lan = Path(rootfs), Path(data), lan
        self.console_path = Path(workdir) / f"console-{name}-{time.monotonic_ns()}.log"
        self.name = name
        self.proc = None
        self.leader = None

    def boot(self, timeout=120):
        """Start the container; return once its systemd runs (not yet booted to the end)."""
        # nspawn keeps its state here; a tmpfs keeps it off a possibly read-only /run.
        Path("/run/systemd/nspawn").mkdir(parents=True, exist_ok=True)
        if subprocess.run(["mountpoint", "-q", "/run/systemd/nspawn"]).returncode != 0:
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/systemd/nspawn"], check=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self._console = open(self.console_path, "wb")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "-D", str(self.rootfs), "--boot", "--register=no", "--keep-unit",
             f"--machine={self.name}", "--private-network", f"--network-veth-extra={self.lan.peer}:eth0",
             "--volatile=overlay", f"--bind={self.data}:/data", "--console=read-only",
             "--kill-signal=SIGRTMIN+4"],
            stdin=subprocess.DEVNULL, stdout=self._console, stderr=subprocess.STDOUT, start_new_session=True)
        self.lan.attach(timeout)
        self.leader = wait_for(self._find_leader, timeout, "the container's systemd to start", interval=0.2)
        wait_for(lambda: self.run("true", check=False).returncode == 0, timeout, "a shell inside the container",
                 interval=0.5)
        return self

    def _find_leader(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"systemd-nspawn exited with {self.proc.returncode}:\n{self.console()[-3000:]}")
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            ns_pid = re.search(r"^NSpid:\s+(.*)$", text, re.M)
            if ns_pid and ns_pid.group(1).split()[-1] == "1" and len(ns_pid.group(1).split()) > 1 \
                    and self._descends(int(status.parent.name)):
                return int(status.parent.name)
        return None

    def _descends(self, pid):
        """Whether pid is our nspawn or a descendant of it."""
        for _ in range(8):
            if pid == self.proc.pid:
                return True
            try:
                pid = int(re.search(r"^PPid:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M).group(1))
            except (OSError, AttributeError):
                return False
            if pid <= 1:
                return False
        return False

    def run(self, command, check=True, timeout=120, input=None):
        """Run a shell command inside the container as root; return the CompletedProcess (text)."""
        run = subprocess.run(
            ["nsenter", "--target", str(self.leader), "--mount", "--uts", "--ipc", "--net", "--pid", "--root",
             "--wd", "--", "/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
             "LANG=C.UTF-8", "APPLIANCE_CONFIG=/etc/appliance/appliance.toml", "/bin/sh", "-c", command],
            capture_output=True, text=True, timeout=timeout, input=input)
        if check and run.returncode != 0:
            raise AssertionError(f"inside the box, {command!r} exited {run.returncode}:\n{run.stdout}\n{run.stderr}")
        return run

    def console(self):
        return self.console_path.read_bytes().decode("utf-8", errors="replace")

    def wait_console(self, pattern, timeout, what):
        return wait_for(lambda: re.search(pattern, self.console()), timeout, what, interval=0.5)

    def wait_booted(self, timeout=300):
        """Wait until systemd has finished booting; return its state (running, degraded…)."""
        def final():
            state = self.run("systemctl is-system-running", check=False).stdout.strip()
            return state if state in ("running", "degraded", "maintenance", "stopping") else None
        return wait_for(final, timeout, "the box to finish booting", interval=1.0)

    def failed_units(self):
        return self.run("systemctl list-units --failed --plain --no-legend", check=False).stdout.strip()

    def journal(self, unit=None, lines=80):
        which = f"-u {unit}" if unit else ""
        return self.run(f"journalctl --no-pager -n {lines} {which}", check=False).stdout

    def power_off(self, timeout=90):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.leader, signal.SIGRTMIN + 4)  # systemd: poweroff
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._console.close()


HTTPS_CHECK = r"""
import http.client, json, re, ssl, sys, urllib.parse
host, password = sys.argv[1], sys.argv[2]
context = ssl._create_unverified_context()  # the box's own self-signed certificate
cookies = {}
def request(method, path, body=None):
    conn = http.client.HTTPSConnection(host, 443, timeout=30, context=context)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";")[0]
    return resp.status, resp.getheader("Location") or "", text
status, _, html = request("GET", "/signin")
csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
signed, where, _ = request("POST", "/signin", urllib.parse.urlencode(
    {"username": "admin", "password": password, "csrf": csrf}))
print(json.dumps({"form": status, "signin": signed, "location": where}))
"""


def sign_in_over_lan(lan, address, password, python):
    """From a PC on the LAN: the sign-in page over HTTPS, then admin's sign-in; a dict of statuses."""
    run = lan.ns(python, "-c", HTTPS_CHECK, address, password, capture_output=True, text=True, timeout=90,
                 check=False)
    if run.returncode != 0:
        raise AssertionError(f"HTTPS from the LAN to {address} failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout)
