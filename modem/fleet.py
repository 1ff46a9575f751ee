"""Several boxes on one PostgreSQL database, as real processes: for `appliance bench sms
--boxes N` and the several-boxes tests.

Each box is a directory with its own config (box.name, the shared database.url), its own
simulator process (`appliance sim`, zero latency, SIMs numbered apart) and its own
`appliance run smsd` process, which can be killed with -9 and started again. Nothing is
mocked: the boxes meet only in the database, as real boxes do.
"""
import os
import socket
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appliance.errors import ApplianceError
from modem.sim import read_air, wait_for_links

SMSD_SETTINGS = {  # every box alike: no caps (a bench), delivery reports on
    "modems": {"daily_cap": 0, "monthly_cap": 0, "min_interval": 0.0, "health_interval": 60.0,
               "read_interval": 60.0},
}


def _toml(values):
    lines = []
    for section, pairs in values.items():
        if not isinstance(pairs, dict):
            lines.insert(0, f"{section} = {_value(pairs)}")
            continue
        lines.append(f"[{section}]")
        lines += [f"{key} = {_value(value)}" for key, value in pairs.items()]
    return "\n".join(lines) + "\n"


def _value(value):
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def cli(*args):
    return [sys.executable, "-m", "appliance.cli", *map(str, args)]


class FleetBox:
    """One box: its config, simulator and smsd processes."""

    def __init__(self, root, name, url, modems, first_sim, heartbeat_timeout):
        self.name = name
        self.dir = Path(root) / name
        self.modems = modems
        self.sims_dir = self.dir / "modems"
        self.config = self.dir / "appliance.toml"
        self.dir.mkdir(parents=True, exist_ok=True)
        values = {"data_dir": str(self.dir / "data"), "database": {"url": url},
                  "box": {"name": name, "heartbeat_timeout": heartbeat_timeout},
                  "modems": dict(SMSD_SETTINGS["modems"], ports=[str(self.sims_dir / "gsm*")])}
        self.config.write_text(_toml(values))
        self.first_sim = first_sim
        self.sim = self.smsd = None

    def start_sim(self):
        self.sim = subprocess.Popen(cli("-q", "sim", "--modems", self.modems, "--dir", self.sims_dir,
                                        "--latency", 0, "--first-sim", self.first_sim),
                                    stdout=subprocess.DEVNULL, stderr=open(self.dir / "sim.log", "ab"))
        if not wait_for_links(self.sims_dir, self.modems, timeout=30):
            raise ApplianceError(f"{self.name}: the simulator did not start")

    def start_smsd(self):
        self.smsd = subprocess.Popen(cli("--config", self.config, "run", "smsd"), stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "smsd.log", "ab"))
        return self.smsd

    def kill_smsd(self):
        """kill -9: no clean-up of any kind, as a power cut of the box's CPU would do."""
        self.smsd.send_signal(signal.SIGKILL)
        self.smsd.wait(10)

    def air(self):
        return read_air(self.sims_dir)

    def stop(self):
        for process in (self.smsd, self.sim):
            if process is not None and process.poll() is None:
                process.terminate()
        for process in (self.smsd, self.sim):
            if process is None:
                continue
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


class Fleet:
    """N boxes on one database URL under a directory (a temporary one by default)."""

    def __init__(self, url, boxes, modems=4, heartbeat_timeout=60, root=None):
        self.url = url
        self.own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="fleet-"))
        self.boxes = {f"box{i + 1}": FleetBox(self.root, f"box{i + 1}", url, modems, i * modems, heartbeat_timeout)
                      for i in range(boxes)}

    def init(self):
        """Migrate the shared database once, before any smsd starts (they would race to)."""
        first = next(iter(self.boxes.values()))
        out = subprocess.run(cli("--config", first.config, "init"), capture_output=True, text=True)
        if out.returncode != 0:
            raise ApplianceError(f"appliance init: {out.stderr.strip()}")

    def start(self):
        for box in self.boxes.values():
            box.start_sim()
        for box in self.boxes.values():
            box.start_smsd()
        return self

    def smsd_pids(self):
        return [box.smsd.pid for box in self.boxes.values() if box.smsd and box.smsd.poll() is None]

    def air(self):
        return [record for box in self.boxes.values() for record in box.air()]

    def stop(self):
        for box in self.boxes.values():
            box.stop()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)


def cpu_seconds(pid):
    """CPU time (user + system) a process has used so far, from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(predicate, timeout, what, interval=0.2):
    """Poll predicate() until it is truthy (returned) or raise RuntimeError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise ApplianceError(f"timed out waiting for {what}")
        time.sleep(interval)


class TemporaryPostgres:
    """A throw-away PostgreSQL server (Debian's binaries, run as the postgres user) on a free
    port under a temporary directory, for benches: never the box's own database."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins or os.geteuid() != 0 or not shutil.which("runuser"):
            raise ApplianceError("PostgreSQL server binaries (Debian package postgresql) not installed, or not root")
        self.bindir = bins[-1].parent
        self.version = self.bindir.parent.name
        self.root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        os.chmod(self.root, 0o777)  # the server runs as postgres
        self.port = _free_port()
        self.names = 0

    def _pg(self, tool, *args):
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bindir / tool), *args], check=True,
                       capture_output=True)

    def start(self):
        self._pg("initdb", "-D", self.root / "data", "-A", "trust", "-U", "app", "-E", "UTF8")
        # fsync on, as a real server runs: the commit costs belong in the figures
        self._pg("pg_ctl", "-D", self.root / "data", "-w", "-l", self.root / "log", "-o",
                 f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start")
        return self

    def new_database(self):
        self.names += 1
        name = f"bench{self.names}"
        self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "app", name)
        return f"postgresql://app@127.0.0.1:{self.port}/{name}"

    def stop(self):
        try:
            self._pg("pg_ctl", "-D", self.root / "data", "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
