"""A small Asterisk manager (AMI) client: one socket, one reader thread.

Not pyst2's `asterisk.manager`: its send_action() waits with no timeout, takes the next
response from one shared queue instead of matching the ActionID (two threads sending
actions can receive each other's answers), writes without a lock, and runs three threads
per connection. Here an action waits, with a deadline, for the response carrying its own
ActionID; every event goes to the listeners in arrival order on the reader thread (they
must be quick: note and notify); `closed` says the connection is gone.
"""
import itertools
import logging
import socket
import threading
import time

from appliance.errors import ApplianceError

log = logging.getLogger(__name__)


class AMIError(ApplianceError):
    """The manager refused an action, did not answer in time, or the connection is gone."""


class AMITimeout(AMIError):
    """No answer in time on a connection that looks open: whether the action was carried
    out is unknown (an Originate may have placed its call)."""


class Manager:
    def __init__(self, host, port, username, secret, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(None)
        self._file = self.sock.makefile("rb")
        self.banner = self._file.readline().decode(errors="replace").strip()
        self._responses = {}
        self._lists = {}              # action id -> events of an event-list action
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._listeners = []
        self.closed = False
        self.fully_booted = False     # Asterisk said FullyBooted (needs read = system)
        self._reader = threading.Thread(target=self._read_loop, name="ami-reader", daemon=True)
        self._reader.start()
        self.action("Login", Username=username, Secret=secret, Events="on")

    def add_listener(self, function):
        """function(event dict), called on the reader thread for every event."""
        self._listeners.append(function)

    def _read_loop(self):
        message = {}
        try:
            for raw in self._file:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if line:
                    key, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if key == "Output" and key in message:  # a Command's output: one header a line
                        value = f"{message[key]}\n{value}"
                    message[key] = value
                    continue
                if message:
                    self._dispatch(message)
                message = {}
        except (OSError, ValueError):
            pass
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        for listener in self._listeners:
            self._call(listener, {"Event": "AMIClosed"})

    def _dispatch(self, message):
        if message.get("Event") == "FullyBooted":
            with self._cond:
                self.fully_booted = True
                self._cond.notify_all()
        if "Event" in message:
            action_id = message.get("ActionID", "")
            with self._cond:
                if action_id in self._lists:
                    self._lists[action_id].append(message)
                    self._cond.notify_all()
            for listener in self._listeners:
                self._call(listener, message)
        elif "Response" in message:
            with self._cond:
                self._responses[message.get("ActionID", "")] = message
                self._cond.notify_all()

    @staticmethod
    def _call(listener, event):
        try:
            listener(event)
        except Exception:  # one bad listener must not stop the reader
            log.exception("AMI listener failed on %s", event.get("Event"))

    def _send(self, name, fields, action_id=None):
        action_id = action_id or f"a{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        for key, value in fields.items():
            for one in value if isinstance(value, (list, tuple)) else [value]:
                lines.append(f"{key}: {one}")
        with self._send_lock:
            try:
                self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            except OSError as exc:
                raise AMIError(f"AMI {name}: {exc}") from None
        return action_id

    def _wait(self, predicate, deadline, what):
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    if self.closed:
                        raise AMIError(f"AMI {what}: connection closed")
                    raise AMITimeout(f"AMI {what}: no answer in time")
                self._cond.wait(left)

    def action(self, name, timeout=10.0, check=True, **fields):
        """Send an action; its response (a dict). check: raise AMIError unless it succeeded."""
        action_id = self._send(name, fields)
        self._wait(lambda: action_id in self._responses, time.monotonic() + timeout, name)
        with self._cond:
            response = self._responses.pop(action_id)
        if check and response.get("Response") not in ("Success", "Follows", "Goodbye"):
            raise AMIError(f"AMI {name} failed: {response.get('Message', response)}")
        return response

    def command(self, text, timeout=10.0):
        """A CLI command through the manager (e.g. `dialplan reload`): its output lines."""
        output = self.action("Command", timeout=timeout, Command=text).get("Output")
        return output.split("\n") if output is not None else []

    def event_list(self, name, complete, timeout=10.0, **fields):
        """An action answered by a list of events ending with the event `complete`
        (e.g. CoreShowChannels … CoreShowChannelsComplete): the events before it."""
        action_id = f"a{next(self._ids)}"  # reserve the list before the first event can arrive
        with self._cond:
            self._lists[action_id] = []
        try:
            sent = self._send(name, fields, action_id)
            deadline = time.monotonic() + timeout
            self._wait(lambda: sent in self._responses, deadline, name)
            with self._cond:
                response = self._responses.pop(sent)
            if response.get("Response") != "Success":
                raise AMIError(f"AMI {name} failed: {response.get('Message', response)}")
            self._wait(lambda: any(e.get("Event") == complete for e in self._lists[action_id]), deadline, name)
            with self._cond:
                return [e for e in self._lists[action_id] if e.get("Event") != complete]
        finally:
            with self._cond:
                self._lists.pop(action_id, None)

    def wait_fully_booted(self, timeout=30.0):
        """Wait until Asterisk has booted (its FullyBooted event: sent at login once booted,
        or when the boot ends): the manager answers before the dialplan is loaded."""
        self._wait(lambda: self.fully_booted, time.monotonic() + timeout, "FullyBooted")

    def close(self):
        try:
            with self._send_lock:
                self.sock.sendall(b"Action: Logoff\r\n\r\n")
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
