"""One FastAGI connection: pyst2's AGI protocol code over a TCP socket.

pyst2's `AGI` class does the command formatting and most of the result parsing
(its methods stream_file, wait_for_digit, get_data, record_file… are used as
they are). What it does not do for FastAGI, this subclass does
(see shared/NOTES-libraries.md):

- no SIGHUP handler: `signal.signal` only works in the main thread, and each
  call runs in its own thread; hangups arrive on the socket instead;
- text I/O over the socket's file objects, and no debug dump to stderr;
- the unsolicited `HANGUP` line Asterisk sends when the caller hangs up (pyst2's
  parser dies on it with ValueError): noted, and skipped to the real reply;
- `200 result=-1` (hangup during a command), `511` (dead channel) and a closed
  socket all become CallerHungUp; after a hangup, channel commands are not sent;
- `520` usage replies are read to their end even when the socket closes
  (pyst2 loops forever on EOF there).
"""
import socket

from asterisk import agi as pyst

# Commands Asterisk still answers on a dead channel (res_agi.c: dead=1 commands).
DEAD_CHANNEL_OK = ("NOOP", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE", "SET VARIABLE")
ALL_KEYS = "0123456789*#"
# -1 results that are failures of the command, not the caller hanging up (res_agi.c).
NOT_HANGUPS = ("writefile",)


class CallerHungUp(pyst.AGIHangup):
    """The caller hung up (HANGUP line, result -1, 511, or the connection closed)."""


class AgiCommandFailed(pyst.AGIAppError):
    """Asterisk could not do it, the caller is still there (e.g. RECORD FILE
    answering '-1 (writefile)': the recordings directory is not writable)."""


class AgiUsageError(pyst.AGIUsageError):
    """Asterisk answered 520: the command was malformed (a bug on our side)."""


class _Discard:
    def write(self, text):
        pass

    def flush(self):
        pass


class FastAGI(pyst.AGI):
    """pyst2's AGI on one accepted FastAGI socket."""

    def __init__(self, sock):
        # AGI.__init__ is not called on purpose: it installs a SIGHUP handler
        # (fails outside the main thread) and dumps sys.argv to stderr.
        self.sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.stdin = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        self.stdout = sock.makefile("w", encoding="utf-8", newline="\n")
        self.stderr = _Discard()
        self._got_sighup = False
        self.hung_up = False
        self.env = {}
        self._get_agi_env()

    # --- the pieces of pyst2 that do not fit a socket ---------------------------
    def test_hangup(self):
        if self.hung_up:
            raise CallerHungUp("caller hung up")

    def execute(self, command, *args):
        if self.hung_up and command.upper() not in DEAD_CHANNEL_OK:
            raise CallerHungUp("caller hung up")
        try:
            self.send_command(command, *args)
            return self.get_result()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout) as exc:
            self.hung_up = True
            raise CallerHungUp(f"connection lost: {exc}") from None

    def _read_line(self):
        line = self.stdin.readline()
        if line == "":
            self.hung_up = True
            raise CallerHungUp("connection closed by Asterisk")
        return line.strip()

    def get_result(self, stdin=None):
        line = self._read_line()
        while line == "HANGUP" or line.startswith("HANGUP "):
            self.hung_up = True  # unsolicited; the reply to our command follows
            line = self._read_line()
        match = pyst.re_code.search(line)
        code, response = (int(match.group(1)), match.group(2)) if match and match.group(1) else (0, line)
        if code == 200:
            result = {"result": ("", "")}
            for key, value, data in pyst.re_kv.findall(response):
                result[key] = (value, data)
            if result["result"][0] == "-1" and result["result"][1] in NOT_HANGUPS:
                raise AgiCommandFailed(line)
            if result["result"][0] == "-1" or result["result"][1] == "hangup":
                self.hung_up = True
                raise CallerHungUp(f"hangup during command ({line})")
            return result
        if code == 511:
            self.hung_up = True
            raise CallerHungUp("511 command not permitted on a dead channel")
        if code == 510:
            raise pyst.AGIInvalidCommand(response)
        if code == 520:
            usage = [line]
            while not line.startswith("520 "):
                line = self._read_line()
                usage.append(line)
            raise AgiUsageError("\n".join(usage))
        raise pyst.AGIUnknownError(code, f"unexpected reply: {line!r}")

    # --- small additions -------------------------------------------------------
    def stream(self, path, escape_digits=ALL_KEYS):
        """STREAM FILE with a quoted path; the key pressed or ''.

        Always pass an escape set: with "" every key pressed during the
        prompt is lost (Asterisk discards it).
        """
        response = self.execute("STREAM FILE", self._quote(path), self._quote(escape_digits), 0)
        res = response["result"][0]
        return "" if res in ("", "0") else chr(int(res))

    def get_digits(self, path, timeout_ms, max_digits):
        """GET DATA: the digits entered ('#' ends input and is not returned)."""
        response = self.execute("GET DATA", self._quote(path), timeout_ms, max_digits)
        return response["result"][0]

    def record(self, path, fmt="wav", escape_digits="#", max_ms=120000, silence_s=0):
        """RECORD FILE: how it ended — 'dtmf' (a key ended it), 'timeout' (length
        limit or silence). A hangup raises CallerHungUp (the file is kept)."""
        args = [self._quote(path), fmt, self._quote(escape_digits), max_ms, "BEEP"]
        if silence_s:
            args.append(f"s={silence_s}")
        response = self.execute("RECORD FILE", *args)
        return response["result"][1] or ("dtmf" if response["result"][0] not in ("", "0") else "timeout")

    def close(self):
        for stream in (self.stdout, self.stdin):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
