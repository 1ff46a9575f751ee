"""`appliance bench agi`: 120 concurrent scripted calls against a real FastAGI
server process, each through the agent identity check (greeting, menu, badge
entry, database lookup and log, result, SMS, back, goodbye).

The server runs as its own process (`appliance run agi`, as in production) on
a scratch data dir with demo data and prompts; the callers are fake Asterisk
peers (agi/asterisk_peer.py) in this process. Reported: session set-up (connect
to first command) and per-command round trip (our reply sent to the server's
next command received), p50 and p99.
"""
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agi import prompts
from agi.asterisk_peer import CallerScript, ManyCalls, hang_up, press
from appliance import db as dbmod, demo_data
from appliance.config import Config, toml_value


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scenario(badge):
    """One caller: agent check for `badge`, SMS, back, then hang up at the menu."""
    return [press("menu_main", "2"), press("agent_enter_badge", f"{badge}#"),
            press("agent_options", "1"), press("agent_options", "*"), hang_up("menu_main")]


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def write_config(data_dir, port, max_calls):
    values = {"data_dir": str(data_dir), "agi.listen": f"127.0.0.1:{port}", "agi.max_calls": max_calls}
    text = "\n".join(f"{k} = {toml_value(v)}" for k, v in values.items() if "." not in k)
    text += "\n[agi]\n" + "\n".join(f"{k.split('.')[1]} = {toml_value(v)}" for k, v in values.items() if "." in k)
    path = Path(data_dir) / "bench.toml"
    path.write_text(text + "\n")
    return path, Config(values, str(path))


def prepare_data(config):
    dbmod.open_database(config)
    dbmod.migrate()
    from appliance.models import Staff
    if not Staff.select().exists():
        demo_data.seed(customers=200)
    badges = [s.badge_no for s in Staff.select(Staff.badge_no)]
    dbmod.database.close()
    prompts.build(config)
    return badges


def cpu_seconds(pid):
    """user+system CPU seconds a process has used (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# systemd/appliance-agi.service runs the server with Nice=-5 so that calls keep
# their pace when smsd, web or a backup are busy; the bench measures it so too.
UNIT_NICE = -5


def as_deployed():
    """preexec_fn for the server process: the unit's niceness, where permitted."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, UNIT_NICE)
    except OSError:
        pass  # not root: measured at default priority; run_bench says so


def cpu_times():
    """(busy, stolen, total) jiffies of the whole machine from /proc/stat, or None."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq, steal, sum(fields)


def machine_line(before, after):
    """How busy the machine was during the run, and how much a hypervisor took:
    a latency tail on a virtual machine is often time the host did not give us."""
    if not before or not after or after[2] == before[2]:
        return None
    total = after[2] - before[2]
    return (f"machine during the run: {100 * (after[0] - before[0]) / total:.0f}% busy, "
            f"{100 * (after[1] - before[1]) / total:.1f}% stolen by the host")


def wait_for_port(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the FastAGI server exited with code {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the FastAGI server did not start listening")


def run_calls(port, badges, calls, rounds, pace=0.0, seed=1):
    """`calls` callers, each placing `rounds` calls one after another. Starts
    are spread over one call's length and prompt times vary (pace x 0.5..1.5),
    so the calls are at different points of their flows, as real ones are.
    Returns (finished calls, most calls up at once, wall seconds)."""
    rng = random.Random(seed)
    length = pace * 25 if pace else 0.05  # about one call's length
    peers = ManyCalls(("127.0.0.1", port))
    for i in range(calls):
        scripts = [CallerScript(steps=scenario(badges[(i + r) % len(badges)]), callerid=f"+86139{i:08d}")
                   for r in range(rounds)]
        peers.add(scripts, start_at=rng.uniform(0, length), pace=pace * rng.uniform(0.5, 1.5))
    started = time.perf_counter()
    done = peers.run()
    return done, peers.peak, time.perf_counter() - started


def slow_kinds(results, out, top=8):
    """Which commands the slowest 1 % of round trips ended with: where to look first."""
    pairs = [(t, c.split(" ", 3)[:3]) for r in results for t, c in zip(r.round_trips, r.trip_commands)]
    if len(pairs) < 100:
        return
    cut = percentile([t for t, _ in pairs], 99)
    counts = {}
    for trip, words in pairs:
        if trip >= cut:
            key = " ".join(words)
            counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    out("slowest 1 % ended with: " + ", ".join(f"{k} ({n})" for k, n in ranked))


def run_bench(calls=120, rounds=3, pace=0.25, keep_dir=None, out=print):
    data_dir = Path(keep_dir or tempfile.mkdtemp(prefix="agi-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config_path, config = write_config(data_dir, port, max(calls, 120))
    out(f"preparing {data_dir} (demo data, prompts)…")
    badges = prepare_data(config)
    env = dict(os.environ, APPLIANCE_CONFIG=str(config_path))
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "-q", "run", "agi"], env=env,
                            start_new_session=True, preexec_fn=as_deployed)
    # The peers stand in for Asterisk and must not add their own delays to what
    # they measure (see ManyCalls): this process gets the same priority.
    as_deployed()
    try:
        wait_for_port(port, proc)
        niceness = os.getpriority(os.PRIO_PROCESS, proc.pid)
        out(f"server niceness {niceness}" + ("" if niceness == UNIT_NICE else
            f" (could not set the unit's Nice={UNIT_NICE}: run as root to measure as deployed)"))
        run_calls(port, badges, min(calls, 10), 1)  # warm-up: imports, caches, dynamic prompts
        cpu_before, machine_before = cpu_seconds(proc.pid), cpu_times()
        results, peak, wall = run_calls(port, badges, calls, rounds, pace)
        cpu_after, machine = cpu_seconds(proc.pid), machine_line(machine_before, cpu_times())
    finally:
        proc.terminate()
        proc.wait(15)
        if not keep_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    trips = [t for r in results for t in r.round_trips]
    setups = [r.setup for r in results if r.setup is not None]
    complete = [r for r in results if "sms_sent" in r.heard and r.dead]
    out(f"{calls} concurrent calls x {rounds} rounds, prompts answered after {pace * 500:.0f}-{pace * 1500:.0f} ms: "
        f"{len(results)} calls, {len(complete)} complete, {len(trips)} commands in {wall:.1f} s; "
        f"at most {peak} calls at once")
    out(f"per-command round trip: p50 {percentile(trips, 50) * 1000:.2f} ms, "
        f"p99 {percentile(trips, 99) * 1000:.2f} ms, max {max(trips or [0]) * 1000:.1f} ms")
    out(f"session set-up:         p50 {percentile(setups, 50) * 1000:.2f} ms, "
        f"p99 {percentile(setups, 99) * 1000:.2f} ms")
    if trips:
        out(f"mean commands per call: {statistics.mean(len(r.commands) for r in results):.1f}")
    if cpu_before is not None and cpu_after is not None and results:
        used = cpu_after - cpu_before
        out(f"server CPU: {used / len(results) * 1000:.1f} ms per call, {used / len(trips) * 1000:.2f} ms per "
            f"command, {used / wall * 100:.0f}% of one core over the run")
    if machine:
        out(machine)
    slow_kinds(results, out)
    target = percentile(trips, 99) <= 0.005
    out(f"target p99 <= 5 ms per command: {'met' if target else 'NOT met'}")
    return 0 if results and len(results) == calls * rounds and len(complete) == len(results) else 1
