"""`appliance bench dialer`: a voice campaign of 10,000 numbers through a private Asterisk
with one line group of 60 channels; does the dialer keep every channel busy, and at what cost?

A private Asterisk (agi/asterisk_run.py, the cached build of image/asterisk/build-asterisk.sh)
runs the shipped outbound dialplan (image/asterisk/extensions_outbound.conf) and a bench
network of its own (NETWORK below): every number rings `ring` seconds (ringback as early
media, which the dialplan records and the dialer classifies, as on every deployed call), then
answers and holds the call `hold` seconds; the answered leg waits for the callee instead of
running the FastAGI notice. The
campaign is created in a scratch SQLite database; the dialer (agi.dialer.Dialer, as the
daemon runs it) is a process of its own, so its CPU time is its own.

Reported: calls per second; the share of channel-seconds busy while numbers were left to
call (a channel is busy from the call's Newchannel to its ;2 leg's Hangup, as this process
sees them through a second, filtered manager connection); the time from a call's end to the
next call's start (p50/p99); the dialer's CPU per call, and its CPU over `idle` seconds
after the campaign, with nothing to place and nothing ending (near zero: no busy wait).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from agi.asterisk_run import BUILD_SCRIPT, Private, find_prefix
from agi.bench import cpu_seconds, cpu_times, machine_line, percentile
from appliance.errors import ApplianceError, InputError

GROUP = "bench"
DIAL = "Local/{number}@appliance-bench-network"
ANSWERED = "appliance-bench-answered"
TARGET = 0.95
OUTBOUND_PLACES = (BUILD_SCRIPT.parent / "extensions_outbound.conf", Path("/etc/asterisk/extensions_outbound.conf"))

NETWORK = """\
[general]
static = yes
writeprotect = yes
clearglobalvars = yes

#include extensions_outbound.conf

[globals]
APPLIANCE_DATA={data_dir}
BENCH_RING={ring}
BENCH_HOLD={hold}

; Every number rings BENCH_RING seconds (ringback as early media), answers, holds the call
; BENCH_HOLD seconds and hangs up.
[appliance-bench-network]
exten => _X.,1,ExecIf($[${{BENCH_RING}} > 0]?Progress())
 same => n,ExecIf($[${{BENCH_RING}} > 0]?Playtones(ring))
 same => n,Wait(${{BENCH_RING}})
 same => n,StopPlaytones()
 same => n,Answer()
 same => n,Wait(${{BENCH_HOLD}})
 same => n,Hangup()

; The answered leg (instead of the FastAGI notice): stays until the callee hangs up.
[appliance-bench-answered]
exten => s,1,Wait(3600)
 same => n,Hangup()
"""


def register(subparsers):
    from appliance.cli import add_command, bench_subparsers
    bench = add_command(bench_subparsers(subparsers), "dialer", cmd_bench_dialer,
                        "a voice campaign through a private Asterisk: channels kept busy, dialer CPU per call",
                        needs_db=False)
    bench.add_argument("--numbers", type=int, default=10000, help="numbers in the campaign (default 10000)")
    bench.add_argument("--channels", type=int, default=60, help="channels of the line group (default 60)")
    bench.add_argument("--ring", type=float, default=1.0,
                       help="seconds each callee rings before answering, ringback as early media (default 1)")
    bench.add_argument("--hold", type=float, default=2.0,
                       help="seconds each callee holds the answered call (default 2)")
    bench.add_argument("--idle", type=float, default=10.0,
                       help="seconds the dialer's idle CPU is measured after the campaign (default 10)")
    bench.add_argument("--asterisk-prefix",
                       help="an Asterisk build (default: $APPLIANCE_ASTERISK_PREFIX, else the cached build "
                            "of image/asterisk/build-asterisk.sh)")
    bench.add_argument("--dir", help="keep the scratch folder (database, Asterisk logs) here")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON (for scripts)")


def cmd_bench_dialer(args, config):
    for name in ("numbers", "channels"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name}: must be at least 1", field=name)
    for name in ("ring", "hold", "idle"):
        if getattr(args, name) < 0:
            raise InputError(f"--{name}: must not be negative", field=name)
    quiet = (lambda line: print(line, file=sys.stderr)) if args.json else print
    code, report = run_bench(args.numbers, args.channels, args.hold, args.idle, args.asterisk_prefix, args.dir,
                             out=quiet, ring=args.ring)
    if args.json:
        print(json.dumps(report, indent=2))
    return code


def outbound_dialplan():
    for path in OUTBOUND_PLACES:
        if path.is_file():
            return path.read_text()
    raise InputError(f"extensions_outbound.conf: not found at {' or '.join(map(str, OUTBOUND_PLACES))}",
                     field="extensions_outbound.conf")


class Occupancy:
    """When each call's channels came and went, from a manager connection that hears only
    Newchannel and Hangup events (noted on its reader thread, nothing more)."""

    def __init__(self, manager):
        self.starts, self.ends = {}, {}
        self._lock = threading.Lock()
        manager.add_listener(self._on_event)
        for name in ("Newchannel", "Hangup"):  # Asterisk drops every other event for us
            manager.action("Filter", Operation="Add", Filter=f"Event: {name}")

    def _on_event(self, event):
        uid, now = event.get("Uniqueid", ""), time.monotonic()
        if not uid.startswith("vc"):
            return
        with self._lock:
            if event.get("Event") == "Newchannel" and not uid.endswith("-b"):
                self.starts.setdefault(uid, now)
            elif event.get("Event") == "Hangup" and uid.endswith("-b"):
                self.ends[uid[:-2]] = now

    def figures(self, channels):
        """(busy share while numbers were left, end-to-next-start gaps, first start, last end)."""
        with self._lock:
            spans = [(s, self.ends[uid]) for uid, s in self.starts.items() if uid in self.ends]
        if not spans:
            return None, [], None, None
        starts = sorted(s for s, _ in spans)
        ends = sorted(e for _, e in spans)
        first, last_start = starts[0], starts[-1]
        window = last_start - first
        busy = sum(max(0.0, min(e, last_start) - max(s, first)) for s, e in spans)
        share = busy / (channels * window) if window > 0 else None
        gaps = [starts[channels + k] - ends[k] for k in range(len(starts) - channels)]
        return share, gaps, first, ends[-1]


def reader_cpu(pid):
    """CPU seconds of a process's threads other than its main one (the dialer's: the AMI
    reader), from /proc/PID/task; None where unreadable."""
    tasks = Path(f"/proc/{pid}/task")
    try:
        tids = [int(name) for name in os.listdir(tasks) if int(name) != pid]
    except OSError:
        return None
    used = [cpu_seconds(f"{pid}/task/{tid}") for tid in tids]
    return sum(u for u in used if u is not None)


def make_campaign(data_dir, numbers):
    from appliance import db as dbmod
    from appliance.config import Config
    from appliance.db import write_transaction
    from appliance.voice import campaigns, screening
    from appliance.voice.models import VoiceCampaign
    database = dbmod.open_and_migrate(Config({"data_dir": str(data_dir)}))
    screening.prepare(data_dir)  # where Asterisk records each call's early audio
    campaign = campaigns.create_campaign("dialer bench", [f"139{i:08d}" for i in range(numbers)],
                                         line_group=GROUP, created_by="bench")
    with write_transaction():  # calls at any hour: the bench measures the dialer, not the rules
        VoiceCampaign.update(window="always").where(VoiceCampaign.id == campaign.id).execute()
    campaigns.set_state(campaign.id, "running")
    return database, campaign.id


def attempt_counts(campaign_id):
    from peewee import fn

    from appliance.voice.models import CallAttempt
    rows = (CallAttempt.select(CallAttempt.state, CallAttempt.result, fn.COUNT(CallAttempt.id).alias("n"))
            .where(CallAttempt.campaign == campaign_id).group_by(CallAttempt.state, CallAttempt.result))
    return {(r.state, r.result): r.n for r in rows}


def start_dialer(pbx, data_dir, channels, ring):
    """The dialer process, connected and ready; it starts calling when told (go())."""
    proc = subprocess.Popen([sys.executable, "-m", "agi.dialer_bench"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    spec = {"data_dir": str(data_dir), "port": pbx.ami_port, "user": pbx.ami_user, "secret": pbx.ami_secret,
            "channels": channels, "ring": int(ring) + 30, "cdr": str(pbx.cdr_path)}
    proc.stdin.write(json.dumps(spec) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline().strip()  # blocks until the child is ready or gone
    if line != "ready":
        proc.wait(10)
        raise ApplianceError(f"the dialer process did not start (exit {proc.returncode})")
    return proc


def wait_done(proc, campaign_id, numbers, timeout, out):
    """Until no attempt is queued or dialling (polled once a second, with a deadline)."""
    deadline, next_note = time.monotonic() + timeout, time.monotonic() + 30
    while True:
        counts = attempt_counts(campaign_id)
        open_ = sum(n for (state, _), n in counts.items() if state in ("queued", "dialling"))
        if not open_:
            return counts
        if proc.poll() is not None:
            raise ApplianceError(f"the dialer exited with {proc.returncode} with {open_} attempts open")
        if time.monotonic() > deadline:
            raise ApplianceError(f"{open_} of {numbers} attempts still open after {timeout:.0f} s")
        if time.monotonic() > next_note:
            out(f"  … {numbers - open_} of {numbers} calls done")
            next_note += 30
        time.sleep(1.0)  # polling the database, not synchronising


def run_bench(numbers=10000, channels=60, hold=2.0, idle=10.0, prefix=None, keep_dir=None, out=print, ring=1.0):
    """Run it; (exit code, report dict). Exit 0 when every attempt got a result."""
    found, why = find_prefix(prefix)
    if found is None:
        raise InputError(f"--asterisk-prefix: {why}", field="asterisk-prefix")
    outbound = outbound_dialplan()
    root = Path(keep_dir or tempfile.mkdtemp(prefix="dialer-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    pbx = Private(found, root / "asterisk", extensions=NETWORK.format(data_dir=root / "data", ring=ring, hold=hold),
                  files={"extensions_outbound.conf": outbound}, verbose=0)
    proc = observer = database = None
    try:
        out(f"starting Asterisk from {found}; a campaign of {numbers} numbers in {root}…")
        try:
            pbx.start()
        except (RuntimeError, TimeoutError) as exc:
            raise ApplianceError(f"Asterisk did not start: {exc}") from None
        observer = pbx.manager()
        occupancy = Occupancy(observer)
        database, campaign_id = make_campaign(root / "data", numbers)
        proc = start_dialer(pbx, root / "data", channels, ring)
        cpu_start, pbx_start, machine_start = cpu_seconds(proc.pid), cpu_seconds(pbx.proc.pid), cpu_times()
        reader_start = reader_cpu(proc.pid)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        counts = wait_done(proc, campaign_id, numbers, timeout=60 + 3 * numbers / channels * (ring + hold + 2),
                           out=out)
        cpu_done, pbx_done, reader_done = cpu_seconds(proc.pid), cpu_seconds(pbx.proc.pid), reader_cpu(proc.pid)
        machine = machine_line(machine_start, cpu_times())
        time.sleep(idle)  # the measurement window itself: nothing to place, nothing ending
        cpu_idle = cpu_seconds(proc.pid)
    finally:
        if proc is not None:
            stop_child(proc)
        if observer is not None:
            observer.close()
        pbx.stop()
        if database is not None:
            database.close()
        if not keep_dir:
            shutil.rmtree(root, ignore_errors=True)
    share, gaps, first, last = occupancy.figures(channels)
    report = {
        "numbers": numbers, "channels": channels, "ring": ring, "hold": hold,
        "results": {result or state: n for (state, result), n in counts.items()},
        "seconds": round(last - first, 2) if first else None,
        "calls_per_second": round(numbers / (last - first), 2) if first and last > first else None,
        "busy_share": round(share, 4) if share is not None else None,
        "gap_p50_ms": round(percentile(gaps, 50) * 1000, 1) if gaps else None,
        "gap_p99_ms": round(percentile(gaps, 99) * 1000, 1) if gaps else None,
        "cpu_ms_per_call": round((cpu_done - cpu_start) * 1000 / numbers, 2),
        "reader_cpu_ms_per_call": (round((reader_done - reader_start) * 1000 / numbers, 2)
                                   if reader_start is not None and reader_done is not None else None),
        "idle_cpu_ms_per_s": round((cpu_idle - cpu_done) * 1000 / idle, 2) if idle else None,
        "asterisk_cpu_ms_per_call": round((pbx_done - pbx_start) * 1000 / numbers, 2),
    }
    print_report(report, machine, out)
    answered = sum(n for (state, result), n in counts.items() if state == "done" and result)
    return (0 if answered == numbers else 1), report


def print_report(r, machine, out):
    out(f"{r['numbers']} numbers, {r['channels']} channels, callees ring {r['ring']:g} s and hold {r['hold']:g} s: "
        f"{r['calls_per_second']} calls/s over {r['seconds']} s; results "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["results"].items())))
    if r["busy_share"] is not None:
        out(f"channels busy while numbers were left: {r['busy_share']:.1%} "
            f"(target >= {TARGET:.0%}: {'met' if r['busy_share'] >= TARGET else 'NOT met'}); "
            f"a call's end to the next call's start: p50 {r['gap_p50_ms']} ms, p99 {r['gap_p99_ms']} ms")
    out(f"dialer CPU: {r['cpu_ms_per_call']} ms per call (AMI reader thread {r['reader_cpu_ms_per_call']}); idle (nothing to place, nothing ending): "
        f"{r['idle_cpu_ms_per_s']} ms per second; Asterisk {r['asterisk_cpu_ms_per_call']} ms per call")
    if machine:
        out(machine)


def stop_child(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the dialer's loop returns at its next turn
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def child():
    """The dialer process: a spec line on stdin, "ready" on stdout once connected, then
    the dialer's loop from the next line on stdin until SIGTERM or the end of stdin."""
    from agi.ami import Manager
    from agi.dialer import Dialer, LineGroup
    from appliance import db as dbmod
    from appliance.config import Config
    spec = json.loads(sys.stdin.readline())
    dbmod.open_database(Config({"data_dir": spec["data_dir"]}))
    ami = Manager("127.0.0.1", spec["port"], spec["user"], spec["secret"])
    dialer = Dialer(ami, {GROUP: LineGroup(GROUP, DIAL, spec["channels"])}, ring_seconds=spec["ring"],
                    caller_id="95500", cdr_path=spec["cdr"], answer_context=ANSWERED)
    signal.signal(signal.SIGTERM, lambda *_: dialer.stop())
    print("ready", flush=True)
    if not sys.stdin.readline():
        return 1  # the bench went away before it began
    # The bench's end of stdin closing (it stopped, or died) stops the dialer too.
    threading.Thread(target=lambda: (sys.stdin.read(), dialer.stop()), daemon=True).start()
    try:
        dialer.run()
    finally:
        ami.close()
    return 0


if __name__ == "__main__":
    sys.exit(child())
