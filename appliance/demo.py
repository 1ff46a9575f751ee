"""`appliance demo`: the whole appliance on a throw-away data dir.

Seeds demo data, lets each installed part prepare its piece (the modem
simulator, prompts…) through the `appliance.demo` entry points, starts every
daemon from `appliance.daemons` as its own process (as systemd would), waits
until each says READY=1 (through a notify socket of its own, as systemd
does), prints where to look, and stops them all cleanly on Ctrl-C.

A daemon that cannot start, or a process that dies later, ends the demo with
exit code 1 and one line naming it and why (the last line it wrote to stderr).

The settings page's "apply now" reaches the demo as it reaches systemd on the
box: request files in data_dir/restart (appliance/system/restarts.py). The
supervisor loop restarts each requested daemon (stop, start, READY=1) and
records when it came back.
"""
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from appliance import db as dbmod, demo_data
from appliance.config import Config, check_value, toml_value
from appliance.daemon import stop_event_on_signals
from appliance.demo_data import KNOWN_AGENTS, UNKNOWN_BADGE
from appliance.plugins import plugins
from appliance.system import restarts

log = logging.getLogger(__name__)
READY_TIMEOUT = 90.0  # seconds a daemon may take to say READY=1 (two cores, four imports at once)


class Demo:
    """What a demo hook gets: the data dir, config overrides to add, processes to start."""

    def __init__(self, data_dir, config):
        self.data_dir = Path(data_dir)
        self.config = config
        self.overrides = {"data_dir": str(self.data_dir)}
        self.processes = []  # (name, argv)
        self.notes = []
        self.config_path = self.data_dir / "demo.toml"

    def start(self, name, argv):
        """Start `argv` (a list; 'appliance' means this same command) with the others."""
        self.processes.append((name, argv))

    def note(self, line):
        """A line printed in the demo's banner."""
        self.notes.append(line)

    def appliance_argv(self, *args):
        return [sys.executable, "-m", "appliance.cli", "--config", str(self.config_path), *args]

    def write_config(self):
        if self.config_path.exists():
            # A kept --dir: settings changed on the admin page stay; only the demo's own keys are renewed.
            from appliance.config import load_config
            from appliance.config_edit import set_values
            set_values(self.config_path, self.overrides, editable_only=False)
            return load_config(str(self.config_path))
        sections = {}
        for name, value in self.overrides.items():
            head, _, key = name.rpartition(".")
            sections.setdefault(head, []).append(f"{key} = {toml_value(value)}")
        text = "# Written by `appliance demo`.\n" + "\n".join(sections.pop("", [])) + "\n"
        for head, lines in sections.items():
            text += f"\n[{head}]\n" + "\n".join(lines) + "\n"
        self.config_path.write_text(text)
        return Config(self.overrides, str(self.config_path))


class Child:
    """One process of the demo: its stderr copied to ours (the last line kept, as
    the reason if it dies) and, for a daemon, a notify socket for its READY=1."""

    def __init__(self, name, argv, daemon):
        self.name = name
        self.last_line = ""
        env = dict(os.environ)
        self.notify = None
        if daemon:
            self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.notify.bind(f"\0appliance-demo-{os.getpid()}-{name}")  # abstract: nothing left on disk
            env["NOTIFY_SOCKET"] = "@" + self.notify.getsockname()[1:].decode()
        else:
            env.pop("NOTIFY_SOCKET", None)
        self.proc = subprocess.Popen(argv, start_new_session=True, env=env, stderr=subprocess.PIPE,
                                     text=True, errors="replace")
        self.relay = threading.Thread(target=self._relay, name=f"{name}-stderr", daemon=True)
        self.relay.start()

    def _relay(self):
        for line in self.proc.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            if line.strip():
                self.last_line = line.strip()

    def wait_ready(self, deadline):
        """True once the daemon says READY=1; False when it exits first or the deadline passes."""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            self.notify.settimeout(0.2)
            try:
                if b"READY=1" in self.notify.recv(4096).split(b"\n"):
                    return True
            except TimeoutError:
                continue
        return False

    def reason(self):
        """Why it is not running, in words."""
        if self.proc.poll() is None:
            return f"not ready after {READY_TIMEOUT:.0f} s"
        self.relay.join(5)  # its last words, before they are quoted
        return f"exit code {self.proc.returncode}" + (f": {self.last_line}" if self.last_line else "")

    def close(self):
        if self.notify is not None:
            self.notify.close()


def run_demo(args, base_config):
    listen = {key: check_value(key, value) for key, value in (("web.listen", getattr(args, "web_listen", None)),
                                                             ("agi.listen", getattr(args, "agi_listen", None)))
              if value}
    keep = bool(args.dir)
    data_dir = Path(args.dir or tempfile.mkdtemp(prefix="appliance-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    demo = Demo(data_dir, base_config)
    demo.overrides.update(listen)  # before the hooks, which read them
    stop = stop_event_on_signals()
    children = []
    code = 0
    try:
        for name, ep in plugins("appliance.demo").items():
            ep.load()(demo)
        config = demo.write_config()
        database = dbmod.open_database(config)
        dbmod.migrate(database)
        from appliance.models import Customer
        if not Customer.select().exists():
            counts = demo_data.seed(customers=args.customers)
            log.info("demo data: %s", ", ".join(f"{v} {k}" for k, v in counts.items()))
        database.close()
        daemons = list(plugins("appliance.daemons"))
        for name in daemons:
            demo.start(name, demo.appliance_argv("run", name))
        for name, argv in demo.processes:
            children.append(Child(name, argv, daemon=name in daemons))
        ready_by = time.monotonic() + READY_TIMEOUT
        failed = next((c for c in children if c.notify is not None and not c.wait_ready(ready_by)), None)
        if failed is not None:
            return _fail(f"{failed.name} did not start ({failed.reason()})")
        print_banner(demo, [c.name for c in children])
        code = supervise(data_dir, children, stop, time.monotonic() + args.duration if args.duration else None)
    finally:
        stop_children(children)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    print("demo stopped", flush=True)
    return code


def supervise(data_dir, children, stop, deadline=None):
    """The demo's loop: restarts what the settings page asks for, and ends on `stop`, at
    the deadline (0) or when a child dies (1, naming it)."""
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        serve_restarts(data_dir, children)
        died = next((c for c in children if c.proc.poll() is not None), None)
        if died is not None:
            return _fail(f"{died.name} stopped ({died.reason()})")
        stop.wait(0.5)
    return 0


def serve_restarts(data_dir, children):
    """Restart the daemons asked for in data_dir/restart (the settings page's "apply now"),
    in place in `children`; one that does not come back is recorded and stays stopped
    (the supervisor loop then ends the demo naming it, as for any daemon that died)."""
    for name, asked in restarts.take(data_dir):
        index = next((i for i, c in enumerate(children) if c.name == name and c.notify is not None), None)
        if name == "prompts" and children:
            run_job(data_dir, name, asked, children[0].proc.args)
            continue
        if index is None:
            restarts.done(data_dir, name, asked, False, "not a daemon of this demo")
            continue
        old = children[index]
        stop_children([old])
        old.relay.join(5)
        children[index] = new = Child(name, old.proc.args, daemon=True)
        ok = new.wait_ready(time.monotonic() + READY_TIMEOUT)
        log.info("demo: %s restarted on request%s", name, "" if ok else f", but {new.reason()}")
        restarts.done(data_dir, name, asked, ok, "" if ok else new.reason())


def run_job(data_dir, name, asked, daemon_argv):
    """A job the page asks for (the prompts' rebuild): the same command line as the
    daemons' (this Python, --config) with `prompts build` instead of `run NAME`."""
    argv = [*daemon_argv[:daemon_argv.index("run")], "prompts", "build"]
    result = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=600)
    last = (result.stderr.strip().splitlines() or [""])[-1][:200]
    log.info("demo: prompts build on request: exit code %s", result.returncode)
    restarts.done(data_dir, name, asked, result.returncode == 0, last if result.returncode else "")


def _fail(why):
    print(f"appliance: error: demo: {why}; stopping the others", file=sys.stderr, flush=True)
    return 1


def stop_children(children, timeout=10.0):
    for child in children:
        if child.proc.poll() is None:
            os.killpg(child.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        name, proc = child.name, child.proc
        child.close()
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", name, timeout)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def print_banner(demo, running):
    agents = ", ".join(f"{badge} ({status})" for badge, _, _, status, _ in KNOWN_AGENTS)
    lines = [
        "",
        "Appliance demo is running.",
        f"  data dir:   {demo.data_dir}",
        f"  config:     {demo.config_path}   (use it with: appliance --config {demo.config_path} …)",
        f"  daemons:    {', '.join(running) or 'none installed yet'}",
        f"  try badges: {agents}, unknown {UNKNOWN_BADGE}",
        *[f"  {note}" for note in demo.notes],
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)
