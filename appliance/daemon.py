"""What every daemon shares: stop on SIGTERM/SIGINT, tell systemd it is ready,
and loops that survive one failure.

Signal handlers only set a flag (an Event); the daemon's loop acts on it.
"""
import logging
import os
import signal
import socket
import threading
import time

log = logging.getLogger(__name__)


def stop_event_on_signals():
    """An Event set by SIGTERM or SIGINT (call from the main thread)."""
    stop = threading.Event()

    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def sd_notify(message):
    """Send a state line to systemd (READY=1, WATCHDOG=1, STATUS=…); no-op outside systemd.

    Written by hand because it is four lines and the sd_notify packages add a
    dependency for nothing more.
    """
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(message.encode(), address)


def watchdog_interval():
    """Half the systemd watchdog period in seconds, or None when there is none."""
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 2e6 if usec else None


class Watchdog:
    """Tells systemd the daemon's main loop still turns (WatchdogSec= in the unit).

    Call pet() once per loop turn, after the turn's work: if the loop hangs
    (a stuck lock, a modem read that never returns), the pets stop and systemd
    restarts the unit. Pets are sent at most every half period."""

    def __init__(self):
        self.every = watchdog_interval()
        self.last = 0.0

    def pet(self):
        if self.every and time.monotonic() - self.last >= self.every:
            sd_notify("WATCHDOG=1")
            self.last = time.monotonic()


def run_forever(name, step, stop, interval=1.0):
    """Call step() every `interval` seconds until stop is set; an exception in one
    step is logged with context and the loop carries on."""
    watchdog = Watchdog()
    while not stop.is_set():
        try:
            step()
        except Exception:
            log.exception("%s: step failed; carrying on", name)
        watchdog.pet()
        stop.wait(interval)
