"""smsd tells systemd its dispatcher loop still turns (WatchdogSec= in the
unit), through a real unix datagram socket standing in for systemd's."""
import re
import socket
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "appliance-smsd.service"


def notify_socket(tmp_path, monkeypatch, period_s):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", str(int(period_s * 1e6)))
    return sock


def test_the_dispatcher_pets_the_watchdog_while_it_runs(make_sims, start_smsd, tmp_path, monkeypatch):
    sock = notify_socket(tmp_path, monkeypatch, 0.4)
    start_smsd(make_sims(1))
    heard = [sock.recv(64) for _ in range(3)]  # three pets within seconds: the loop turns
    assert heard == [b"WATCHDOG=1"] * 3


def test_the_smsd_unit_has_a_watchdog():
    assert re.search(r"^WatchdogSec=\d+$", UNIT.read_text(), re.M)
