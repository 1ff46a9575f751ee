"""The FastAGI server: one process, a thread per call, up to agi.max_calls at once.

Asterisk connects to agi://HOST:4573/<script>; the script name (the path part
of agi_network_script, before any '?') picks the handler from ROUTES. A call
over the limit, or for a script we do not serve, is closed at once: AGI() then
returns FAILURE and the dialplan's fallback takes over.

Threads rather than asyncio because the flows call the (blocking) database and
pyst2's blocking protocol code; 120 threads mostly waiting on sockets are cheap.
"""
import logging
import socketserver
import threading
import time
from urllib.parse import parse_qs

from appliance import calls
from appliance.daemon import run_forever, sd_notify, stop_event_on_signals
from appliance.db import database
from appliance.errors import ConfigError
from appliance.ivr_menus import ensure_default_menu

from . import ivr, prompts
from .channel import CallerHungUp, FastAGI
from .session import parse_days, parse_hours

log = logging.getLogger(__name__)

# agi_network_script -> handler(channel, config, finder, script=…). Outbound call
# flows (notify, survey, screen) add their entries here.
ROUTES = {
    "ivr": ivr.handle_call,
}


def parse_script(value):
    """'ivr?lang=en' or '/ivr' -> ('ivr', {'lang': 'en'})."""
    path, _, query = (value or "").partition("?")
    return path.strip("/"), {k: v[-1] for k, v in parse_qs(query).items()}


def parse_listen(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def check_config(config):
    """Refuse obviously bad IVR settings at start, naming the key."""
    try:
        parse_hours(config["agi.business_hours"])
    except ValueError:
        raise ConfigError(f"agi.business_hours: must be HH:MM-HH:MM, got {config['agi.business_hours']!r}",
                          field="agi.business_hours") from None
    try:
        days = parse_days(config["agi.business_days"])
    except ValueError:
        days = {0}
    if not days or not days <= set(range(1, 8)):
        raise ConfigError(f"agi.business_days: must be ISO weekdays like 1-5, got {config['agi.business_days']!r}",
                          field="agi.business_days")


class CallHandler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        if not server.slots.acquire(blocking=False):
            log.warning("call refused: already %d calls (agi.max_calls)", server.max_calls)
            return
        started = time.perf_counter()
        channel = None
        try:
            channel = FastAGI(self.request)
            script, _ = parse_script(channel.env.get("agi_network_script", ""))
            handler = server.routes.get(script)
            if handler is None:
                log.warning("no handler for agi script %r; closing so the dialplan falls back", script)
                return
            with server.lock:
                server.active += 1
            try:
                handler(channel, server.config, server.finder, script=script)
            finally:
                with server.lock:
                    server.active -= 1
        except CallerHungUp:
            log.info("caller gone before the call started")
        except Exception:
            log.exception("call failed")
        finally:
            if not database.is_closed():
                database.close()  # this thread's connection
            server.slots.release()  # before the close Asterisk sees, so its next call finds the slot free
            if channel is not None:
                channel.close()
            log.debug("session done in %.1f ms", (time.perf_counter() - started) * 1000)


class FastAGIServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, config, routes=None, address=None):
        self.config = config
        self.routes = dict(ROUTES if routes is None else routes)
        self.finder = prompts.PromptFinder(config)
        self.max_calls = config["agi.max_calls"]
        self.slots = threading.BoundedSemaphore(self.max_calls)
        self.lock = threading.Lock()
        self.active = 0
        super().__init__(address or parse_listen(config["agi.listen"]), CallHandler)

    @property
    def address(self):
        return self.server_address[:2]

    def start(self):
        """Serve in a background thread; returns the thread."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="fastagi", daemon=True)
        thread.start()
        return thread

    def stop(self, grace=5.0):
        """Stop accepting, give calls in progress `grace` seconds, then close."""
        self.shutdown()
        self.server_close()
        deadline = time.monotonic() + grace
        while self.active and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.active:
            log.warning("%d call(s) still in progress at shutdown; they are marked interrupted at next start",
                        self.active)


def prepare(config):
    """What the server needs before the first call (idempotent)."""
    check_config(config)
    stale = calls.close_interrupted_calls()
    if stale:
        log.warning("%d call record(s) left open by a previous run marked interrupted", stale)
    ensure_default_menu()
    missing = prompts.missing(config)
    if missing:
        log.warning("%d prompt file(s) missing (e.g. %s): run `appliance prompts build`",
                    len(missing), missing[0])


def main(config):
    """`appliance run agi`: the FastAGI server until SIGTERM/SIGINT."""
    stop = stop_event_on_signals()
    prepare(config)
    server = FastAGIServer(config)
    server.start()
    log.info("FastAGI server listening on %s:%d (up to %d calls)", *server.address, server.max_calls)
    sd_notify("READY=1")
    run_forever("agi", lambda: None, stop, interval=1.0)
    sd_notify("STOPPING=1")
    server.stop()
    log.info("FastAGI server stopped")
    return 0
