"""smsd under the daemon runner, through a real unix datagram socket standing in
for systemd's: the watchdog is petted while the dispatcher loop turns, and no
longer once it is stuck or gone."""
import queue
import re
from pathlib import Path

import pytest
from systemd_peer import on_first_watchdog, sigterm_on_first_watchdog

from appliance.daemon import serve
from modem.smsd import Smsd

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "appliance-smsd.service"


@pytest.fixture
def smsd(make_sims, sms_config, database):
    sims = make_sims(1)
    return Smsd(sms_config.replace(modems__ports=[str(sims.dir / "gsm*")]))


def run(systemd, smsd, react):
    return systemd.run(lambda: serve("smsd", smsd.start, smsd.stop, smsd.alive), react)


class StuckEvents:
    """The pool's event queue, hanging the dispatcher in its next wait until smsd stops."""

    def __init__(self, stopping):
        self.stopping = stopping

    def get(self, timeout=None):
        self.stopping.wait()
        raise queue.Empty

    def get_nowait(self):
        raise queue.Empty

    def put(self, item):
        pass


def test_pets_while_the_dispatcher_turns_and_sigterm_stops_it(systemd, smsd):
    beats = []

    def react(systemd, message):
        if message != "WATCHDOG=1":
            return
        beats.append(smsd.heartbeat.at)
        if len(beats) == 3:
            sigterm_on_first_watchdog()(systemd, message)
    code = run(systemd, smsd, react)
    assert code == 0
    assert systemd.heard[:4] == ["READY=1"] + ["WATCHDOG=1"] * 3
    assert systemd.heard[-1] == "STOPPING=1"
    assert beats[0] < beats[1] < beats[2]  # the loop turned between pets
    assert not smsd.thread.is_alive()


def test_no_more_pets_once_the_dispatcher_is_stuck(systemd, smsd):
    def hang_the_dispatcher():
        smsd.heartbeat.stall = 0.3  # instead of a minute
        smsd.pool.events = StuckEvents(smsd.stopping)
    code = run(systemd, smsd, on_first_watchdog(hang_the_dispatcher))
    assert code == 1
    # A turn in flight when it was hung may beat once more, so one pet may follow.
    assert systemd.after("acted").count("WATCHDOG=1") <= 1
    assert systemd.heard[-1] == "STOPPING=1"
    assert not systemd.sent_sigterm


def test_no_more_pets_once_the_dispatcher_thread_is_gone(systemd, smsd):
    def end_the_dispatcher():
        smsd.stopping.set()  # its loop returns, as if it had died
        smsd.thread.join(10)
        assert not smsd.thread.is_alive()
    code = run(systemd, smsd, on_first_watchdog(end_the_dispatcher))
    assert code == 1
    assert "WATCHDOG=1" not in systemd.after("acted")
    assert systemd.heard[-1] == "STOPPING=1"


def test_the_smsd_unit_has_a_watchdog():
    assert re.search(r"^WatchdogSec=\d+$", UNIT.read_text(), re.M)
