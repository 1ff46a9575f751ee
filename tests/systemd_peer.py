"""A stand-in for systemd in daemon tests: a real unix datagram socket at
NOTIFY_SOCKET that hears READY=1, WATCHDOG=1 and STOPPING=1, and can act on
what it hears while the daemon runs serve() in the test's main thread."""
import os
import signal
import socket
import threading
import time


class Systemd:
    """Bind the notify socket and point NOTIFY_SOCKET (and WATCHDOG_USEC) at it."""

    def __init__(self, tmp_path, monkeypatch, watchdog_s=2.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = str(tmp_path / "notify")
        self.sock.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        if watchdog_s:
            monkeypatch.setenv("WATCHDOG_USEC", str(int(watchdog_s * 1e6)))
        else:
            monkeypatch.delenv("WATCHDOG_USEC", raising=False)
        self.heard = []
        self.marks = {}  # name -> len(heard) when the test marked it
        self.sent_sigterm = False
        self.errors = []  # what react() raised
        self.done = threading.Event()  # serve_daemon() returned: never signal after that

    def mark(self, name):
        self.marks[name] = len(self.heard)

    def after(self, name):
        return self.heard[self.marks[name]:]

    def run(self, serve_daemon, react=lambda systemd, message: None, timeout=10.0):
        """serve_daemon() in this (main) thread while a listener thread records
        every message and calls react(self, message). If STOPPING=1 has not come
        within `timeout`, the listener sends SIGTERM, as `systemctl stop` would,
        so a daemon that fails to stop by itself ends the test instead of hanging it.
        Returns serve_daemon()'s exit code."""
        listener = threading.Thread(target=self._listen, args=(react, timeout), daemon=True)
        listener.start()
        try:
            code = serve_daemon()
        finally:
            self.done.set()
            listener.join(timeout)
        if self.errors:
            raise self.errors[0]
        return code

    def _listen(self, react, timeout):
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.1)  # to notice self.done
        while not self.done.is_set():
            try:
                message = self.sock.recv(256).decode()
            except socket.timeout:
                if time.monotonic() > deadline and not self.sent_sigterm:
                    self.sent_sigterm = True
                    os.kill(os.getpid(), signal.SIGTERM)
                continue
            self.heard.append(message)
            if message == "STOPPING=1":
                return
            try:
                react(self, message)
            except Exception as exc:  # re-raised in the test by run()
                self.errors.append(exc)
        self._drain()  # what was sent before serve_daemon() returned

    def _drain(self):
        self.sock.setblocking(False)
        while True:
            try:
                self.heard.append(self.sock.recv(256).decode())
            except BlockingIOError:
                return

    def close(self):
        self.sock.close()


def on_first_watchdog(action):
    """A react() that runs action() once, after the first WATCHDOG=1, and marks
    the point as 'acted'."""
    def react(systemd, message):
        if message == "WATCHDOG=1" and "acted" not in systemd.marks:
            action()
            systemd.mark("acted")
    return react


def sigterm_on_first_watchdog():
    return on_first_watchdog(lambda: os.kill(os.getpid(), signal.SIGTERM))
