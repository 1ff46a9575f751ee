"""`appliance run agi` under the daemon runner, with a real notify socket
standing in for systemd: the watchdog is petted only while the FastAGI server
thread serves."""
import socket

import pytest
from peer_support import free_port
from systemd_peer import on_first_watchdog, sigterm_on_first_watchdog

from agi.server import Daemon
from appliance.daemon import serve


@pytest.fixture
def agi(ivr_config, ivr_db):
    return Daemon(ivr_config.replace(agi__listen=f"127.0.0.1:{free_port()}"))


def run(systemd, agi, react):
    return systemd.run(lambda: serve("agi", agi.start, agi.stop, agi.alive), react)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the crash we cause
def test_no_more_pets_once_the_fastagi_thread_dies(systemd, agi):
    def crash_the_accept_loop():
        def crash():
            raise RuntimeError("the accept loop crashed")
        agi.server.service_actions = crash  # serve_forever calls it every turn
        agi.thread.join(5)
        assert not agi.thread.is_alive()
    code = run(systemd, agi, on_first_watchdog(crash_the_accept_loop))
    assert systemd.heard[:2] == ["READY=1", "WATCHDOG=1"]
    assert "WATCHDOG=1" not in systemd.after("acted")
    assert systemd.heard[-1] == "STOPPING=1"
    assert code == 1  # it exited by itself, so systemd restarts it at once
    assert not systemd.sent_sigterm


def test_sigterm_stops_it_cleanly(systemd, agi):
    code = run(systemd, agi, sigterm_on_first_watchdog())
    assert code == 0
    assert systemd.heard[0] == "READY=1" and systemd.heard[-1] == "STOPPING=1"
    assert "WATCHDOG=1" in systemd.heard
    assert not agi.thread.is_alive() and not agi.server.writer.thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(agi.server.address, timeout=2).close()
