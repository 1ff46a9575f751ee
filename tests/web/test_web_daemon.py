"""`appliance run web` under the daemon runner, with a real notify socket
standing in for systemd: the watchdog is petted only while cheroot's serving
thread runs."""
import urllib.error
import urllib.request

import pytest
from systemd_peer import on_first_watchdog, sigterm_on_first_watchdog

from appliance.daemon import serve
from web.server import Daemon


@pytest.fixture
def web(web_config, web_db):
    return Daemon(web_config)


def run(systemd, web, react):
    return systemd.run(lambda: serve("web", web.start, web.stop, web.alive), react)


def url(web):
    host, port = web.server.bind_addr[:2]
    return f"http://{host}:{port}/api/v1/openapi.json"


def status(web):
    """The HTTP status the server answers with (401 without a token: it serves)."""
    try:
        with urllib.request.urlopen(url(web), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_no_more_pets_once_the_serving_thread_stops(systemd, web):
    def stop_serving():
        assert status(web) == 401  # it did serve
        web.server.stop()
        web.thread.join(5)
        assert not web.thread.is_alive()
    code = run(systemd, web, on_first_watchdog(stop_serving))
    assert systemd.heard[:2] == ["READY=1", "WATCHDOG=1"]
    assert "WATCHDOG=1" not in systemd.after("acted")
    assert systemd.heard[-1] == "STOPPING=1"
    assert code == 1
    assert not systemd.sent_sigterm


def test_sigterm_stops_it_cleanly(systemd, web):
    code = run(systemd, web, sigterm_on_first_watchdog())
    assert code == 0
    assert systemd.heard[0] == "READY=1" and systemd.heard[-1] == "STOPPING=1"
    assert not web.thread.is_alive()
    with pytest.raises(urllib.error.URLError):
        status(web)
