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
  (pyst2 loops forever on EOF there);
- `-1 (writefile)` and `-1 (randomerror)` (RECORD FILE could not write, or
  could not play its beep) are failures of the command, not hangups;
- a watchdog: before each command, `SET AUTOHANGUP` keeps the channel's
  absolute timeout beyond what the command may take plus `watchdog` seconds, so
  if this server hangs (or is SIGSTOPped) Asterisk ends AGI() and the
  dialplan's `T` extension sends the caller to the operator fallback
  (image/asterisk/extensions_appliance.conf). Dial and Queue run without it;
- replies are read by our own parser (`parse_reply`), linear in the line's
  length (pyst2's regex takes seconds on a long line), lines are capped at
  MAX_LINE characters, and every reply that does not read as Asterisk writes
  it (a 4,300-digit code, `result=3tmf)` where a key is expected, a GET DATA
  answer longer than asked for) raises AgiReplyError, never a foreign error;
- `finished()`: sets APPLIANCE_IVR=done, which tells the dialplan the IVR
  ended the call on purpose; without it (a crash, a closed socket, a refused
  call) the dialplan falls back to the operator. Our own HANGUP sets it
  first, and is sent once.
"""
import math
import os
import re
import socket
import time
from urllib.parse import parse_qs

from asterisk import agi as pyst

# Commands Asterisk still answers on a dead channel (res_agi.c: dead=1 commands).
DEAD_CHANNEL_OK = ("NOOP", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE", "SET VARIABLE")
ALL_KEYS = "0123456789*#"
# -1 results that are failures of the command, not the caller hanging up (res_agi.c):
# RECORD FILE cannot write the file, or cannot play `beep` (no core sounds installed).
NOT_HANGUPS = ("writefile", "randomerror")
# The channel variable the dialplan checks after AGI(): set, the IVR finished the call.
DONE_VARIABLE = "APPLIANCE_IVR"
DONE_VALUE = "done"
# Commands that run without the watchdog: the caller talks to someone for as long as they like.
UNBOUNDED_APPS = ("dial", "queue")
# The longest line read from Asterisk (a GET VARIABLE value is the longest it sends), the
# most env lines and 520 usage lines: beyond them the peer is not Asterisk speaking AGI.
MAX_LINE = 16384
MAX_ENV_LINES = 200
MAX_USAGE_LINES = 100
# What a key press may be: DTMF, as Asterisk reports it (the key's ASCII code).
DTMF_KEYS = "0123456789*#ABCD"
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


class CallerHungUp(pyst.AGIHangup):
    """The caller hung up (HANGUP line, result -1, 511, or the connection closed)."""


class AgiCommandFailed(pyst.AGIAppError):
    """Asterisk could not do it, the caller is still there (e.g. RECORD FILE
    answering '-1 (writefile)': the recordings directory is not writable)."""


class AgiUsageError(pyst.AGIUsageError):
    """Asterisk answered 520: the command was malformed (a bug on our side)."""


class AgiReplyError(pyst.AGIUnknownError):
    """Asterisk's reply could not be read: malformed, or not what the command can
    answer (the call goes on), or too long (the connection is not used again)."""


class _Discard:
    def write(self, text):
        pass

    def flush(self):
        pass


class FastAGI(pyst.AGI):
    """pyst2's AGI on one accepted FastAGI socket."""

    def __init__(self, sock, watchdog=0):
        # AGI.__init__ is not called on purpose: it installs a SIGHUP handler
        # (fails outside the main thread) and dumps sys.argv to stderr.
        self.watchdog = watchdog  # seconds; 0: no SET AUTOHANGUP
        self._lease_until = 0.0   # monotonic time until which the absolute timeout holds
        self.hangup_sent = False
        self.done_set = False
        self.sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.stdin = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        self.stdout = sock.makefile("w", encoding="utf-8", newline="\n")
        self.stderr = _Discard()
        self._got_sighup = False
        self.hung_up = False
        self.broken = False  # a reply read only in part: nothing more is sent on this connection
        self.env = {}
        self._get_agi_env()

    def _get_agi_env(self):
        """`agi_key: value` lines up to a blank one (pyst2's, with our line limits)."""
        for _ in range(MAX_ENV_LINES):
            line = self._read_line()
            if line == "":
                return
            key, _, data = line.partition(":")
            if key.strip():
                self.env[key.strip()] = data.strip()
        self.broken = True
        raise AgiReplyError(f"more than {MAX_ENV_LINES} lines of AGI environment")

    # --- the pieces of pyst2 that do not fit a socket ---------------------------
    def test_hangup(self):
        if self.hung_up:
            raise CallerHungUp("caller hung up")

    def execute(self, command, *args):
        if self.broken:
            raise AgiReplyError("an earlier reply could not be read; the connection is not used again")
        if self.hung_up and command.upper() not in DEAD_CHANNEL_OK:
            raise CallerHungUp("caller hung up")
        if self.watchdog and not self.hung_up:
            self._keep_alive(command.upper(), args)
        return self._execute(command, *args)

    def _execute(self, command, *args):
        try:
            self.send_command(command, *args)
            return self.get_result()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout) as exc:
            self.hung_up = True
            raise CallerHungUp(f"connection lost: {exc}") from None

    def _read_line(self):
        line = self.stdin.readline(MAX_LINE + 1)
        if line == "":
            self.hung_up = True
            raise CallerHungUp("connection closed by Asterisk")
        if len(line) > MAX_LINE:
            self.broken = True  # the rest of the line is still unread: the connection is out of step
            raise AgiReplyError(f"a line of more than {MAX_LINE} characters from Asterisk")
        return line.strip()

    def get_result(self, stdin=None):
        line = self._read_line()
        while line == "HANGUP" or line.startswith("HANGUP "):
            self.hung_up = True  # unsolicited; the reply to our command follows
            line = self._read_line()
        code, response = split_code(line)
        if code == 200:
            result = parse_reply(response)
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
                if len(usage) > MAX_USAGE_LINES:
                    self.broken = True
                    raise AgiReplyError(f"a 520 usage reply of more than {MAX_USAGE_LINES} lines")
                line = self._read_line()
                usage.append(line)
            raise AgiUsageError("\n".join(usage))
        raise AgiReplyError(code, f"unexpected reply: {line[:200]!r}")

    # --- the watchdog ------------------------------------------------------------
    def _keep_alive(self, command, args):
        """SET AUTOHANGUP so that the channel outlives `command` by `watchdog` s, and not more."""
        if command in ("SET AUTOHANGUP", "HANGUP") or command in DEAD_CHANNEL_OK:
            return
        bound = command_bound(command, args)
        now = time.monotonic()
        if bound is None:  # Dial/Queue: no timeout while the caller talks; re-armed after
            if self._lease_until != math.inf:
                self._execute("SET AUTOHANGUP", 0)
            self._lease_until = math.inf
            return
        if self._lease_until == math.inf:
            self._lease_until = 0.0
        if now + bound + self.watchdog / 2 <= self._lease_until:
            return
        seconds = math.ceil(bound + self.watchdog)
        self._execute("SET AUTOHANGUP", seconds)
        self._lease_until = now + seconds

    # --- ending ----------------------------------------------------------------
    def finished(self):
        """Tell the dialplan the IVR is done with this call (no operator fallback)."""
        if self.done_set or self.hung_up:
            return
        self.set_variable(DONE_VARIABLE, DONE_VALUE)
        self.done_set = True

    def hangup(self, channel=""):
        """Our HANGUP, once: the dialplan is told first that this was on purpose."""
        if self.hangup_sent:
            return
        self.finished()
        self.hangup_sent = True
        self.execute("HANGUP", *([channel] if channel else []))

    # --- small additions -------------------------------------------------------
    def stream(self, path, escape_digits=ALL_KEYS):
        """STREAM FILE with a quoted path; the key pressed or ''.

        Always pass an escape set: with "" every key pressed during the
        prompt is lost (Asterisk discards it).
        """
        response = self.execute("STREAM FILE", self._quote(path), self._quote(escape_digits), 0)
        return self._key(response["result"][0])

    def wait_for_digit(self, timeout=pyst.DEFAULT_TIMEOUT):
        """WAIT FOR DIGIT: the key pressed, or '' on timeout."""
        return self._key(self.execute("WAIT FOR DIGIT", timeout)["result"][0])

    def channel_status(self, channel=""):
        """CHANNEL STATUS: Asterisk's state number (6: up)."""
        res = self.execute("CHANNEL STATUS", *([channel] if channel else []))["result"][0]
        if not re.fullmatch(r"-?[0-9]{1,2}", res):
            raise AgiReplyError(f"not a channel status: result={res[:40]!r}")
        return int(res)

    def _key(self, res):
        """A key from its ASCII code as Asterisk answers it ('53' -> '5'); '' for none."""
        if res in ("", "0"):
            return ""
        if len(res) <= 3 and res.isascii() and res.isdigit() and 0 < int(res) < 128 and chr(int(res)) in DTMF_KEYS:
            return chr(int(res))
        raise AgiReplyError(f"not a key: result={res[:40]!r}")

    def get_digits(self, path, timeout_ms, max_digits):
        """GET DATA: the digits entered ('#' ends input and is not returned).
        An answer that is not at most `max_digits` keys raises AgiReplyError."""
        response = self.execute("GET DATA", self._quote(path), timeout_ms, max_digits)
        digits = response["result"][0]
        if len(digits) > int(max_digits) or any(ch not in DTMF_KEYS for ch in digits):
            raise AgiReplyError(f"GET DATA for at most {max_digits} keys answered {digits[:40]!r}"
                                + (f"… ({len(digits)} characters)" if len(digits) > 40 else ""))
        return digits

    def record(self, path, fmt="wav", escape_digits="#", max_ms=120000, silence_s=0):
        """RECORD FILE: how it ended — 'dtmf' (a key ended it), 'timeout' (length
        limit or silence). A hangup raises CallerHungUp (the file is kept).

        No BEEP option: it plays Asterisk's core `beep` sound, which the box does not
        have (the answer is then `-1 (randomerror)`); play our own `beep` prompt first."""
        args = [self._quote(path), fmt, self._quote(escape_digits), max_ms]
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


def split_code(line):
    """'200 result=1' -> (200, 'result=1'); a line without a three-digit code -> (0, line)."""
    head, _, rest = line.partition(" ")
    if len(head) == 3 and head.isascii() and head.isdigit():
        return int(head), rest.strip()
    if len(head) > 3 and head[:3].isascii() and head[:3].isdigit() and head[3] == "-":
        return int(head[:3]), line[4:]  # '520-Invalid command syntax…'
    return 0, line


def parse_reply(text):
    """The `key=value [(data)]` pairs of a 200 reply, as {key: (value, data)}, in
    one pass: 'result=-1 (randomerror) endpos=0' -> {'result': ('-1', 'randomerror'),
    'endpos': ('0', '')}. Data runs to the line's last ')' (a variable's value may
    hold brackets), as pyst2 reads it. 'result' is always there."""
    result = {"result": ("", "")}
    i, end = 0, len(text)
    close = text.rfind(")")
    while i < end:
        while i < end and text[i].isspace():
            i += 1
        start = i
        while i < end and text[i] in _WORD:
            i += 1
        if i == start or i >= end or text[i] != "=":
            while i < end and not text[i].isspace():  # not a key=value: skip the word
                i += 1
            continue
        key = text[start:i]
        i += 1
        start = i
        while i < end and not text[i].isspace():
            i += 1
        value = text[start:i]
        while i < end and text[i].isspace():
            i += 1
        data = ""
        if i < end and text[i] == "(" and close > i:
            data, i = text[i + 1:close], close + 1
        result[key] = (value, data)
    return result


def command_bound(command, args):
    """Seconds `command` may legitimately take (None: unbounded, e.g. Dial)."""
    def number(index, default):
        try:
            return float(args[index])
        except (IndexError, ValueError, TypeError):
            return default
    if command == "STREAM FILE":
        return sound_seconds(args[0] if args else "") + 1
    if command == "GET DATA":
        return sound_seconds(args[0] if args else "") + number(1, 5000) / 1000 * (number(2, 20) + 1) + 1
    if command == "WAIT FOR DIGIT":
        ms = number(0, -1)
        return None if ms < 0 else ms / 1000 + 1
    if command == "RECORD FILE":
        ms = number(3, -1)
        return None if ms <= 0 else ms / 1000 + 1
    if command == "EXEC":
        application = str(args[0]).strip('"').lower() if args else ""
        return None if application in UNBOUNDED_APPS else 60
    return 1


def sound_seconds(path, default=60.0):
    """Length of the 8 kHz 16-bit WAV Asterisk will play for `path` (given without extension)."""
    try:
        return max(0.0, (os.stat(f"{str(path).strip(chr(34))}.wav").st_size - 44) / 16000)
    except OSError:
        return default


def parse_script(value):
    """'ivr?lang=en' or '/ivr' -> ('ivr', {'lang': 'en'})."""
    path, _, query = (value or "").partition("?")
    return path.strip("/"), {k: v[-1] for k, v in parse_qs(query).items()}
