"""`appliance demo`: the whole appliance on a throw-away data dir.

Seeds demo data, lets each installed part prepare its piece (the modem
simulator, prompts…) through the `appliance.demo` entry points, starts every
daemon from `appliance.daemons` as its own process (as systemd would), prints
where to look, and stops them all cleanly on Ctrl-C.
"""
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appliance import db as dbmod, demo_data
from appliance.config import Config, toml_value
from appliance.daemon import stop_event_on_signals
from appliance.demo_data import KNOWN_AGENTS, UNKNOWN_BADGE
from appliance.plugins import plugins

log = logging.getLogger(__name__)


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


def run_demo(args, base_config):
    keep = bool(args.dir)
    data_dir = Path(args.dir or tempfile.mkdtemp(prefix="appliance-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    demo = Demo(data_dir, base_config)
    stop = stop_event_on_signals()
    children = []
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
        for name in plugins("appliance.daemons"):
            demo.start(name, demo.appliance_argv("run", name))
        for name, argv in demo.processes:
            children.append((name, subprocess.Popen(argv, start_new_session=True)))
        print_banner(demo, [n for n, _ in children])
        deadline = time.monotonic() + args.duration if args.duration else None
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            for name, proc in children:
                if proc.poll() is not None and not getattr(proc, "reported", False):
                    log.error("%s exited with code %s; the others keep running", name, proc.returncode)
                    proc.reported = True
            stop.wait(0.5)
    finally:
        stop_children(children)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    print("demo stopped", flush=True)
    return 0


def stop_children(children, timeout=10.0):
    for _, proc in children:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, proc in children:
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
