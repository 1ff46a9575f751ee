"""The one way a daemon runs: `serve(name, start, stop, alive)`.

Every daemon (`appliance run smsd|services|agi|web`) hands the runner three
functions and leaves the main thread to it:

- start() brings the daemon up and returns once it serves (listening, its
  threads running). Its exceptions propagate: a port in use is `cli`'s to report.
- alive() is True while the serving threads really serve. It looks at them (a
  thread that died, a loop that stopped turning) because a process that merely
  exists proves nothing.
- stop() shuts down: stop accepting, finish what is in flight, join.

The runner sends READY=1 after start(), installs SIGTERM/SIGINT handlers that
only set a flag, and checks alive() every second (or every half watchdog
period, if shorter), sending WATCHDOG=1 after each check that holds.

When alive() turns False the runner logs what died, pets no more, sends
STOPPING=1, calls stop() and returns 1. Exiting beats waiting for the watchdog:
Restart=always brings the unit back within RestartSec instead of WatchdogSec,
and a daemon run by hand or by `appliance demo` ends visibly instead of
lingering half dead. STOPPING=1 arms systemd's TimeoutStopSec, so a stop()
that hangs is killed all the same. On a signal the runner does the same and
returns 0.
"""
import contextlib
import fcntl
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds between alive() checks: a dead thread is noticed within this
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve(name, start, stop, alive):
    """Run a daemon until a signal (returns 0) or until alive() fails (returns 1).

    Call from the main thread (signal handlers can only be installed there);
    the previous handlers are put back before returning."""
    stopping = threading.Event()
    previous = _set_signal_handlers(stopping)
    try:
        start()
        sd_notify("READY=1")
        log.info("%s running", name)
        code = _supervise(name, alive, stopping)
        sd_notify("STOPPING=1")
        stop()
        log.info("%s stopped", name)
        return code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def lock_path(data_dir, name):
    return Path(data_dir) / "run" / f"{name}.lock"


@contextlib.contextmanager
def running_lock(data_dir, name):
    """Hold a shared flock on data_dir/run/NAME.lock while daemon NAME runs, so
    `restore` and `doctor` can tell which daemons of this box run (the kernel drops
    the lock when the process ends, even by kill -9: no stale pid files). Blocks
    while a restore holds it exclusively: a daemon starting then opens the
    restored database, not the one being replaced."""
    path = lock_path(data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield path
    finally:
        os.close(fd)


def running_daemons(data_dir):
    """Names of this box's daemons that run now (whose lock is held), sorted."""
    return sorted(name for name, fd in _probe(data_dir, ()) if fd is None)


@contextlib.contextmanager
def all_stopped(data_dir, names):
    """Hold every daemon's lock exclusively (those of `names` and any that ran
    before); yields the names that run now instead, and then holds nothing.
    While the locks are held no daemon of this box can start."""
    held = _probe(data_dir, names)
    try:
        running = sorted(name for name, fd in held if fd is None)
        yield running
    finally:
        for _, fd in held:
            if fd is not None:
                os.close(fd)


def _probe(data_dir, names):
    """[(name, fd holding its lock exclusively, or None when a daemon holds it)]."""
    run_dir = Path(data_dir) / "run"
    if names:
        run_dir.mkdir(parents=True, exist_ok=True)
    found = {p.stem for p in run_dir.glob("*.lock")} | set(names)
    held = []
    for name in sorted(found):
        fd = os.open(lock_path(data_dir, name), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held.append((name, fd))
        except BlockingIOError:
            os.close(fd)
            held.append((name, None))
    if not names:  # only asked who runs: let go at once
        for _, fd in held:
            if fd is not None:
                os.close(fd)
    return held


def _supervise(name, alive, stopping):
    """Wait for a stop signal, petting the watchdog while alive() holds."""
    period = watchdog_period()
    every = min(CHECK_EVERY, period / 2) if period else CHECK_EVERY
    while not stopping.wait(every):
        state = _check(name, alive)
        if state is False:
            log.error("%s: not serving any more; exiting with code 1 so it is restarted", name)
            sd_notify("STATUS=not serving any more; restarting")
            return 1
        if state and period:
            sd_notify("WATCHDOG=1")
    return 0


def _check(name, alive):
    """alive()'s answer, or None when the check itself failed: that turn is not
    petted, but one broken check does not end the daemon (if it stays broken,
    the watchdog does)."""
    try:
        return bool(alive())
    except Exception:
        log.exception("%s: the alive() check failed; not petting the watchdog this time", name)
        return None


def _set_signal_handlers(stopping):
    """Handlers that only set the flag; returns the previous ones."""
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda signum, frame: stopping.set())
    return previous


def stop_event_on_signals():
    """An Event set by SIGTERM or SIGINT, for commands that are not daemons
    (`appliance demo`, `appliance sim`); call from the main thread."""
    stopping = threading.Event()
    _set_signal_handlers(stopping)
    return stopping


def sd_notify(message):
    """Send a state line to systemd (READY=1, WATCHDOG=1, STOPPING=1, STATUS=…);
    nothing is sent outside systemd (no NOTIFY_SOCKET).

    Written by hand because it is a few lines and the sd_notify packages add a
    dependency for nothing more. A send that fails (or would block) is logged,
    never raised: the daemon serves on, and missing pets tell systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)  # a listener that does not read must not stall the runner
            sock.sendto(message.encode(), address)
    except OSError as exc:
        log.warning("cannot tell systemd %s: %s", message, exc)


def watchdog_period():
    """systemd's watchdog period in seconds (WatchdogSec=), or None when there is none."""
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 1e6 if usec else None


def threads_alive(*threads):
    """True while every thread runs; logs the first one that does not."""
    for thread in threads:
        if not thread.is_alive():
            log.error("thread %r is no longer running", thread.name)
            return False
    return True


class Heartbeat:
    """Proof that a loop still turns: the loop calls beat() each turn, alive()
    asks fresh(). A thread can be alive yet stuck (a database lock never freed,
    a read that never returns); only its progress tells."""

    def __init__(self, name, stall):
        self.name = name
        self.stall = stall  # seconds without a beat that count as stuck
        self.at = time.monotonic()

    def beat(self, now=None):
        self.at = time.monotonic() if now is None else now

    def fresh(self, now=None):
        """Was there a beat within `stall` seconds? (now: a time.monotonic() reading)"""
        age = (time.monotonic() if now is None else now) - self.at
        if age <= self.stall:
            return True
        log.error("%s: no progress for %.0f s (stuck, limit %.0f s)", self.name, age, self.stall)
        return False


class Loop:
    """step() every `interval` seconds in a thread, with start/stop/alive for serve().

    An exception in one step is logged with context and the loop carries on;
    alive() holds while the thread runs and has finished a step within `stall`."""

    def __init__(self, name, step, interval, stall):
        self.name = name
        self.step = step
        self.interval = interval
        self.heartbeat = Heartbeat(name, stall)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self, timeout=20.0):
        """Let the step in flight finish (within `timeout`, under TimeoutStopSec)."""
        self.stopping.set()
        self.thread.join(timeout)

    def alive(self):
        return threads_alive(self.thread) and self.heartbeat.fresh()

    def _run(self):
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:
                log.exception("%s: step failed; carrying on", self.name)
            self.heartbeat.beat()
            self.stopping.wait(self.interval)
