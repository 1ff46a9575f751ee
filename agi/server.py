"""The FastAGI server: one process, a thread per call, up to agi.max_calls at once.

Asterisk connects to agi://HOST:4573/<script>; the script name (the path part
of agi_network_script, before any '?') picks the handler from ROUTES. A call
over the limit, or for a script we do not serve, is closed at once: AGI() then
returns FAILURE and the dialplan's fallback takes over.

Threads rather than asyncio because the flows call the (blocking) database and
pyst2's blocking protocol code; 120 threads mostly waiting on sockets are cheap.
The threads are a pool that grows to agi.max_calls and is reused.
"""
import gc
import logging
import queue
import socketserver
import sys
import threading
import time

from agi import ivr, notify, prompts
from agi.channel import CallerHungUp, FastAGI, parse_script
from agi.session import parse_days, parse_hours
from agi.writer import Writer
from appliance.daemon import serve, threads_alive
from appliance.db import database
from appliance.errors import ConfigError
from appliance.ivr import calls
from appliance.ivr.menus import ensure_default_menu

log = logging.getLogger(__name__)

# agi_network_script -> handler(channel, context, script=…), where context (the
# server) has config, finder (prompt files), writer (database writes) and menus.
# Outbound call flows (survey, screen) add their entries here.
ROUTES = {
    "ivr": ivr.handle_call,
    "notify": notify.handle_call,
    "survey": notify.handle_call,  # the campaign's kind picks the flow (agi/notify.py)
}


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
    if "{number}" not in config["agi.transfer_dial"]:  # IVR entries that transfer to a number need it
        raise ConfigError(f"agi.transfer_dial: must contain {{number}}, got {config['agi.transfer_dial']!r}",
                          field="agi.transfer_dial")


def serve_call(server, sock):
    """One call on an accepted socket, start to end, in a worker thread."""
    started = time.perf_counter()
    channel = None
    try:
        channel = FastAGI(sock, watchdog=server.config["agi.watchdog_seconds"])
        script, _ = parse_script(channel.env.get("agi_network_script", ""))
        handler = server.routes.get(script)
        if handler is None:
            log.log(logging.WARNING if script else logging.DEBUG,
                    "no handler for agi script %r; closing so the dialplan falls back", script)
            return
        with server.lock:
            server.active += 1
        try:
            handler(channel, server, script=script)
        finally:
            with server.lock:
                server.active -= 1
    except CallerHungUp:
        log.info("caller gone before the call started")
    except Exception:
        log.exception("call failed")
    finally:
        server.slots.release()  # before the close Asterisk sees, so its next call finds the slot free
        if channel is not None:
            channel.close()
        else:
            sock.close()
        log.debug("session done in %.1f ms", (time.perf_counter() - started) * 1000)


class FastAGIServer(socketserver.TCPServer):
    """Accepts FastAGI connections and hands each to a pool of agi.max_calls
    worker threads. Workers outlive calls and keep their database connection,
    so a new call costs neither a thread start nor a connection set-up."""
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, config, routes=None, address=None):
        self.config = config
        self.routes = dict(ROUTES if routes is None else routes)
        self.finder = prompts.PromptFinder(config)
        self.max_calls = config["agi.max_calls"]
        self.slots = threading.BoundedSemaphore(self.max_calls)
        self.lock = threading.Lock()
        self.active = 0
        self.writer = Writer()
        self.menus = ivr.MenuCache()
        self.jobs = queue.SimpleQueue()
        self.workers = []
        self.idle = 0
        super().__init__(address or parse_listen(config["agi.listen"]), None)

    @property
    def address(self):
        return self.server_address[:2]

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            log.warning("call refused: already %d calls (agi.max_calls)", self.max_calls)
            self.shutdown_request(request)
            return
        with self.lock:
            if self.idle == 0 and len(self.workers) < self.max_calls:
                worker = threading.Thread(target=self._work, name=f"call-{len(self.workers)}", daemon=True)
                self.workers.append(worker)
                self.idle += 1
                worker.start()
            self.idle -= 1
        self.jobs.put(request)

    def _work(self):
        try:
            while True:
                sock = self.jobs.get()
                if sock is None:
                    return
                serve_call(self, sock)
                with self.lock:
                    self.idle += 1
        finally:
            if not database.is_closed():
                database.close()  # this worker's connection

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
        for _ in self.workers:
            self.jobs.put(None)
        self.writer.stop()


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


def warm_names_in_background(config):
    """Agents' and products' names spoken into the prompt cache while calls are served."""
    def run():
        try:
            built = prompts.warm_names(config)
            if built:
                log.info("spoke %d agent/product names into the prompt cache", built)
        except Exception:
            log.exception("warming the name cache failed; names are spoken on first use instead")
        finally:
            if not database.is_closed():
                database.close()
    thread = threading.Thread(target=run, name="warm-names", daemon=True)
    thread.start()
    return thread


class Daemon:
    """`appliance run agi` as serve() drives it: the FastAGI accept thread, and
    the database writer thread every call writes through."""

    def __init__(self, config):
        self.config = config
        self.server = self.thread = None

    def start(self):
        prepare(self.config)
        self.server = FastAGIServer(self.config)
        gc.freeze()  # start-up objects out of the collector's way: shorter pauses during calls
        self.thread = self.server.start()
        warm_names_in_background(self.config)
        log.info("FastAGI server listening on %s:%d (up to %d calls)", *self.server.address,
                 self.server.max_calls)

    def alive(self):
        # Without the writer every call's first database write waits forever.
        return threads_alive(self.thread, self.server.writer.thread)

    def stop(self):
        self.server.stop()


def main(config):
    """`appliance run agi`: the FastAGI server until SIGTERM/SIGINT."""
    # Many call threads, each mostly waiting on its socket: hand the GIL over
    # sooner than the default 5 ms, so a thread woken by a reply is not kept
    # waiting behind another call's Python work (measured by `bench agi`).
    sys.setswitchinterval(0.0005)
    daemon = Daemon(config)
    return serve("agi", daemon.start, daemon.stop, daemon.alive)
