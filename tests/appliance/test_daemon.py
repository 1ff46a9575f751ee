"""The one daemon runner, serve(name, start, stop, alive), against a real unix
datagram socket standing in for systemd's notify socket."""
import re
import signal
import threading
from pathlib import Path

import pytest
from systemd_peer import Systemd, sigterm_on_first_watchdog

from appliance.daemon import Heartbeat, Loop, serve
from appliance.plugins import plugins

UNITS = Path(__file__).resolve().parents[2] / "systemd"


@pytest.fixture
def systemd(tmp_path, monkeypatch):
    peer = Systemd(tmp_path, monkeypatch, watchdog_s=0.4)
    yield peer
    peer.close()


class Parts:
    """start/stop/alive that record what the runner did; alive() answers from a list."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.calls = []

    def start(self):
        self.calls.append("start")

    def stop(self):
        self.calls.append("stop")

    def alive(self):
        answer = self.answers.pop(0) if self.answers else True
        if isinstance(answer, Exception):
            raise answer
        return answer


def assert_ready_pets_stopping(heard):
    """READY=1, one or more WATCHDOG=1 (a pet may beat the SIGTERM sent after the first), STOPPING=1."""
    assert heard[0] == "READY=1" and heard[-1] == "STOPPING=1"
    assert heard[1:-1] and set(heard[1:-1]) == {"WATCHDOG=1"}


def test_ready_then_pets_then_sigterm_stops_cleanly(systemd):
    parts = Parts()
    before = signal.getsignal(signal.SIGTERM)
    code = systemd.run(lambda: serve("test", parts.start, parts.stop, parts.alive),
                       sigterm_on_first_watchdog())
    assert code == 0
    assert_ready_pets_stopping(systemd.heard)
    assert parts.calls == ["start", "stop"]
    assert not systemd.sent_sigterm  # the peer's own SIGTERM (first pet) did it, not the timeout's
    assert signal.getsignal(signal.SIGTERM) is before  # pytest's handler is back


def test_no_pet_once_alive_fails_and_the_daemon_exits_1(systemd, caplog):
    parts = Parts([True, False])
    code = systemd.run(lambda: serve("test", parts.start, parts.stop, parts.alive))
    assert code == 1
    assert systemd.heard[:2] == ["READY=1", "WATCHDOG=1"]
    assert "WATCHDOG=1" not in systemd.heard[2:]
    assert systemd.heard[-1] == "STOPPING=1"
    assert parts.calls == ["start", "stop"]
    assert not systemd.sent_sigterm
    assert "test: not serving any more" in caplog.text


def test_a_failing_alive_check_skips_one_pet_and_carries_on(systemd):
    parts = Parts([RuntimeError("check broke"), True])
    code = systemd.run(lambda: serve("test", parts.start, parts.stop, parts.alive),
                       sigterm_on_first_watchdog())
    assert code == 0
    assert_ready_pets_stopping(systemd.heard)
    assert parts.answers == []  # the pet came after the second check


def test_without_a_watchdog_nothing_is_petted(tmp_path, monkeypatch):
    systemd = Systemd(tmp_path, monkeypatch, watchdog_s=None)
    parts = Parts([True, False])
    try:
        assert systemd.run(lambda: serve("test", parts.start, parts.stop, parts.alive)) == 1
    finally:
        systemd.close()
    assert systemd.heard[0] == "READY=1" and systemd.heard[-1] == "STOPPING=1"
    assert "WATCHDOG=1" not in systemd.heard


def test_without_systemd_it_runs_and_stops_on_a_signal(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    parts = Parts()

    def start():  # SIGTERM while starting, as `kill` would send it: the runner stops at once
        parts.start()
        signal.raise_signal(signal.SIGTERM)
    assert serve("test", start, parts.stop, parts.alive) == 0
    assert parts.calls == ["start", "stop"]


def test_a_start_that_fails_propagates_and_puts_the_handlers_back(systemd):
    before = signal.getsignal(signal.SIGINT)

    def start():
        raise OSError(98, "Address already in use")
    with pytest.raises(OSError):
        systemd.run(lambda: serve("test", start, lambda: None, lambda: True))
    assert systemd.heard == []
    assert signal.getsignal(signal.SIGINT) is before


def test_a_heartbeat_goes_stale_after_its_stall_time():
    heartbeat = Heartbeat("loop", stall=30)
    heartbeat.beat(now=100.0)
    assert heartbeat.fresh(now=129.0)
    assert not heartbeat.fresh(now=131.0)


def test_a_loop_carries_on_after_a_failed_step():
    turns, second_turn = [], threading.Event()

    def step():
        turns.append(1)
        if len(turns) == 1:
            raise RuntimeError("one bad pass")
        second_turn.set()
    loop = Loop("test-loop", step, interval=0.01, stall=60)
    loop.start()
    try:
        assert second_turn.wait(10)
        assert loop.alive()
    finally:
        loop.stop()
    assert not loop.alive()


def test_every_daemon_has_a_unit_whose_stop_and_watchdog_fit_the_runner():
    for name in plugins("appliance.daemons"):
        unit = (UNITS / f"appliance-{name}.service").read_text()
        assert re.search(rf"^ExecStart=\S+ run {name}$", unit, re.M), name
        assert re.search(r"^Type=notify$", unit, re.M), name  # READY=1 and STOPPING=1
        assert re.search(r"^KillSignal=SIGTERM$", unit, re.M), name  # the runner's flag
        assert re.search(r"^Restart=always$", unit, re.M), name  # exit 1 when alive() fails
        watchdog = int(re.search(r"^WatchdogSec=(\d+)$", unit, re.M).group(1))
        stop = int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M).group(1))
        assert watchdog >= 2, name  # pets come every second at most
        assert stop >= 20, name  # stop() joins its loop for up to 20 s
