"""How requests come in: no client can make a request cost more than linear
work, nor hold the server's workers so that others wait.

- `ReadDeadlineConnection` (cheroot's connection class): a request's head and
  body must arrive within `GRACE_SECONDS` plus one second per `MIN_BYTES_PER_SECOND`
  received, or the connection is answered 408 and closed; one client address
  may have at most half the workers reading its requests at once (503 beyond).
- `Intake` (WSGI middleware): the body is read whole, linearly, before the app
  sees it (cheroot de-chunks `Transfer-Encoding: chunked`; Bottle would parse the
  chunking again one byte at a time, quadratic in the size), and handed on as a
  plain Content-Length body. Only then does the request take one of
  `web.threads` processing slots: the workers reading slow bodies are many and
  cheap, the slots that hash passwords and write the database are few.

Chunked bodies are accepted rather than refused with 411: the core systems' HTTP
clients may stream a body, and reading it is as cheap as a Content-Length one.
"""
import _pyio
import collections
import io
import socket
import tempfile
import threading
import time

from cheroot import errors
from cheroot.makefile import MakeFile, StreamReader
from cheroot.server import HTTPConnection

GRACE_SECONDS = 10.0
MIN_BYTES_PER_SECOND = 8 * 1024
SPOOL_BYTES = 1024 * 1024  # bodies above this wait in a temporary file, not in memory


class _DeadlineSocketIO(socket.SocketIO):
    """A socket reader whose every wait is cut at the connection's deadline."""

    def __init__(self, sock, conn):
        super().__init__(sock, "rb")
        self._conn = conn

    def readinto(self, b):
        conn = self._conn
        self._sock.settimeout(conn.read_timeout())
        try:
            n = super().readinto(b)
        finally:
            self._sock.settimeout(conn.server.timeout)  # writing the response keeps the server's timeout
        conn.received += n or 0
        return n


class _DeadlineReader(StreamReader):
    def __init__(self, sock, conn, bufsize):
        _pyio.BufferedReader.__init__(self, _DeadlineSocketIO(sock, conn), bufsize)
        self.bytes_read = 0


class ReadDeadlineConnection(HTTPConnection):
    """cheroot's connection, with a reading deadline per request and a cap per client."""

    grace_seconds = GRACE_SECONDS
    min_bytes_per_second = MIN_BYTES_PER_SECOND

    def __init__(self, server, sock, makefile=MakeFile):
        super().__init__(server, sock, makefile)
        self.rfile = _DeadlineReader(sock, self, self.rbufsize)
        self.started = time.monotonic()
        self.received = 0
        self.reading = None  # the client address while this connection's request is being read

    def read_timeout(self):
        """Seconds the next read may wait; socket.timeout once the request is late."""
        allowed = self.started + self.grace_seconds + self.received / self.min_bytes_per_second
        left = allowed - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")  # cheroot answers 408 and closes
        return min(left, self.server.timeout)

    def communicate(self):
        self.started, self.received = time.monotonic(), 0
        address = getattr(self, "remote_addr", None)
        if not self.server.clients.enter(address):
            self._refuse_busy()
            return False
        self.reading = address
        _current.connection = self
        try:
            return super().communicate()
        finally:
            _current.connection = None
            self.done_reading()

    def done_reading(self):
        """The request is read (or over): it no longer counts against its client."""
        if self.reading is not None:
            self.server.clients.leave(self.reading)
            self.reading = None

    def _refuse_busy(self):
        body = b"too many requests from your address at once; try again\n"
        try:
            self.wfile.write(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
                             b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        except OSError:
            pass


_current = threading.local()  # .connection: the worker thread's connection, while it serves one


class ClientCounts:
    """How many requests each client address has being read by workers; at most `limit`."""

    def __init__(self, limit):
        self.limit = limit
        self._lock = threading.Lock()
        self._counts = collections.Counter()

    def enter(self, address):
        with self._lock:
            if self._counts[address] >= self.limit:
                return False
            self._counts[address] += 1
            return True

    def leave(self, address):
        with self._lock:
            self._counts[address] -= 1
            if self._counts[address] <= 0:
                del self._counts[address]


class Intake:
    """WSGI middleware: read the body whole (linear, size-capped by cheroot), then
    call the app within one of `slots` processing slots."""

    def __init__(self, app, slots):
        self.app = app
        self.slots = threading.BoundedSemaphore(slots)

    def __call__(self, environ, start_response):
        try:
            body, length = read_body(environ)
        except errors.MaxSizeExceeded:
            return _plain(start_response, "413 Request Entity Too Large", "request body too large\n")
        except OSError as exc:
            if str(exc) != "Request Entity Too Large":  # cheroot's words for a chunk past the cap
                raise  # a timeout among them: cheroot answers 408
            return _plain(start_response, "413 Request Entity Too Large", "request body too large\n")
        except ValueError:  # cheroot: a bad chunk size
            return _plain(start_response, "400 Bad Request", "bad chunked body\n")
        connection = getattr(_current, "connection", None)
        if connection is not None:
            connection.done_reading()
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(length)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = True
        with self.slots:
            return self.app(environ, start_response)


def read_body(environ):
    """The request body as a seekable file and its length, read in blocks (linear)."""
    stream = environ.get("wsgi.input")
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    try:
        remaining = None if chunked else int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        remaining = 0
    if stream is None or remaining == 0:
        return io.BytesIO(), 0
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    length = 0
    while remaining is None or remaining > 0:
        block = stream.read(65536 if remaining is None else min(65536, remaining))
        if not block:
            break
        spool.write(block)
        length += len(block)
        if remaining is not None:
            remaining -= len(block)
    spool.seek(0)
    return spool, length


def _plain(start_response, status, text):
    data = text.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data))),
                            ("Connection", "close")])
    return [data]
