"""A fake Asterisk: the far end of a FastAGI connection, speaking AGI the way
Asterisk really does (shared/NOTES-libraries.md, res_agi.c).

- the 22-key environment block in Asterisk's order, then a blank line;
- replies `200 result=N [(data)] [endpos=N]`; DTMF as ASCII codes
  (`STREAM FILE … "0123456789*#"` interrupted by '5' -> `200 result=53 endpos=…`);
  `GET DATA` returns the digits, `(timeout)` when input stopped short, '#' ends
  input and is not returned; `WAIT FOR DIGIT` returns the code or 0;
- a missing sound file: `200 result=-1 endpos=0` (the same as a hangup);
- the caller hanging up during a command: `200 result=-1 endpos=N`, then the
  unsolicited `HANGUP` line about 40 ms later; after that channel commands get
  `511 Command Not Permitted on a dead channel or intercept routine`, while
  NOOP and GET VARIABLE still answer 200;
- the script's own HANGUP: `200 result=1`, then the `HANGUP` line;
- `510 Invalid or unknown command`; `520-` multi-line usage for malformed ones;
- RECORD FILE writes a real WAV file where it was asked to; with the BEEP option
  and no core sounds (the box has none) it answers `200 result=-1 (randomerror)
  endpos=0`, as res_agi.c does when `beep` cannot be played;
- keys: a key outside a STREAM FILE's escape set is lost; keys after the one
  that stopped a prompt, and keys beyond GET DATA's maximum, reach the next
  command; keys pressed between two commands (Step.after) are dropped;
- without a DID (GSM and analogue lines, dnid=''): `agi_dnid: unknown` and
  extension `s`; no caller name: `agi_calleridname: unknown`;
- SET AUTOHANGUP is remembered (`autohangup`).

The caller is a script of steps: at a given prompt (or at `wait`, `record`,
`dial`) press keys, hang up, or record. Tests and `appliance bench agi` use it.
`CallerScript` is the protocol logic without I/O; `FakeAsterisk` drives it over
a blocking socket, one call per thread.
"""
import os
import re
import shlex
import socket
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

ENV_KEYS = ("agi_network", "agi_network_script", "agi_request", "agi_channel", "agi_language", "agi_type",
            "agi_uniqueid", "agi_version", "agi_callerid", "agi_calleridname", "agi_callingpres",
            "agi_callingani2", "agi_callington", "agi_callingtns", "agi_dnid", "agi_rdnis", "agi_context",
            "agi_extension", "agi_priority", "agi_enhanced", "agi_accountcode", "agi_threadid")
DEAD_OK = ("NOOP", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE", "SET VARIABLE")
USAGE = {  # minimum argument counts, for the 520 usage answer
    "STREAM FILE": 2, "GET DATA": 1, "WAIT FOR DIGIT": 1, "RECORD FILE": 4, "EXEC": 1,
    "SET VARIABLE": 2, "GET VARIABLE": 1, "SAY DIGITS": 2, "SAY NUMBER": 2,
}
KNOWN = ("ANSWER", "HANGUP", "NOOP", "VERBOSE", "CHANNEL STATUS", "SET MUSIC", "SET AUTOHANGUP",
         "DATABASE GET", "DATABASE PUT") + tuple(USAGE)
# Prompts that ask the caller for a key: where a step at "?" (the next question) fires.
QUESTION_PREFIXES = ("menu_",)
QUESTIONS = {"policy_other", "agent_options", "after_info", "callback_confirm", "phone_application_confirm",
             "staff_menu", "staff_mobile_confirm"}
PACED = ("STREAM FILE", "GET DATA", "WAIT FOR DIGIT", "RECORD FILE", "EXEC")
_uid_lock = threading.Lock()
_uid = [0]


@dataclass
class Step:
    """What the caller does when the call reaches `at`.

    at: a prompt name (the file's base name) played by STREAM FILE or GET DATA,
        or 'wait' (WAIT FOR DIGIT), 'record' (RECORD FILE), 'dial' (EXEC Dial),
        '*' (whatever comes next that takes input), or '?' (the next question:
        a menu or options prompt, an entry, a wait or a recording).
    keys: DTMF keys pressed ('' = none: the prompt plays out / input times out).
    hangup: the caller hangs up during that command.
    record_seconds / record_end: for RECORD FILE, how much audio to write and
        how it ends: 'dtmf' (#), 'timeout' (length limit) or 'hangup'; or
        'writefile': Asterisk cannot write the file.
    dial_status: for EXEC Dial or Queue, the DIALSTATUS / QUEUESTATUS it leaves
        (ANSWER, NOANSWER… / TIMEOUT, JOINEMPTY…; '' for a queue call answered).
    after: keys pressed after that command ended, before the next began: Asterisk
        drops them (nothing reads the channel's DTMF between AGI commands).
    """
    at: str
    keys: str = ""
    hangup: bool = False
    record_seconds: float = 2.0
    record_end: str = "dtmf"
    dial_status: str = "ANSWER"
    after: str = ""


def press(at, keys):
    return Step(at, keys=keys)


def hang_up(at):
    return Step(at, hangup=True)


def next_uniqueid():
    with _uid_lock:
        _uid[0] += 1
        return f"{int(time.time())}.{_uid[0]}"


@dataclass
class CallerScript:
    """The Asterisk side of one call, without I/O: env block in, replies out."""
    steps: list
    script: str = "ivr"
    callerid: str = "13800138000"
    calleridname: str = ""
    dnid: str = "95500"
    language: str = "en"
    channel: str = "DAHDI/1-1"
    host: str = "127.0.0.1:4573"
    uniqueid: str = field(default_factory=next_uniqueid)
    variables: dict = field(default_factory=dict)
    heard: list = field(default_factory=list)      # prompt names, in order
    events: list = field(default_factory=list)     # ('heard', path) and ('caller', what they did)
    commands: list = field(default_factory=list)   # every command line received
    recordings: list = field(default_factory=list)  # files written by RECORD FILE
    dead: bool = False
    hangup_sent: bool = False
    typeahead: str = ""
    core_sounds: bool = False  # Asterisk's own sounds (beep…) installed: the box has none
    autohangup: int = 0        # the last SET AUTOHANGUP, seconds

    def env_block(self):
        values = {
            "agi_network": "yes", "agi_network_script": self.script,
            "agi_request": f"agi://{self.host}/{self.script}", "agi_channel": self.channel,
            "agi_language": self.language, "agi_type": self.channel.split("/")[0],
            "agi_uniqueid": self.uniqueid, "agi_version": "20.5.0", "agi_callerid": self.callerid,
            "agi_calleridname": self.calleridname or "unknown", "agi_callingpres": "0",
            "agi_callingani2": "0", "agi_callington": "0", "agi_callingtns": "0",
            "agi_dnid": self.dnid or "unknown", "agi_rdnis": "unknown", "agi_context": "from-pstn",
            "agi_extension": self.dnid or "s", "agi_priority": "2", "agi_enhanced": "0.0",
            "agi_accountcode": "", "agi_threadid": str(140000000000000 + threading.get_ident() % 10 ** 9),
        }
        return "".join(f"{key}: {values[key]}\n" for key in ENV_KEYS) + "\n"

    # --- one command -> reply lines -------------------------------------------------
    def handle(self, line):
        """Reply lines for one command line; a 'HANGUP' entry means: send the
        unsolicited HANGUP line ~40 ms after the lines before it."""
        self.commands.append(line)
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        name, args = self._command(words)
        if name is None:
            return ["510 Invalid or unknown command"]
        if len(args) < USAGE.get(name, 0):
            return ["520-Invalid command syntax.  Proper usage follows:",
                    f"Usage: {name} <arguments>", "520 End of proper usage."]
        if self.dead:
            pre = [] if self.hangup_sent else ["HANGUP!"]  # the pending HANGUP line goes first
            self.hangup_sent = True
            if name in DEAD_OK:
                return pre + self._alive_reply(name, args)
            return pre + ["511 Command Not Permitted on a dead channel or intercept routine"]
        self._after = ""
        reply = self._alive_reply(name, args)
        if self._after:  # pressed between this command and the next: nobody reads them
            self.events.append(("caller", f"presses {self._after} between commands (dropped)"))
            self._after = ""
        return reply

    def _command(self, words):
        upper = [w.upper() for w in words]
        for size in (3, 2, 1):
            name = " ".join(upper[:size])
            if name in KNOWN:
                return name, words[size:]
        return None, words

    def _step_for(self, at, prompt=None):
        if not self.steps:
            return None
        step = self.steps[0]
        question = at in ("get_data", "wait", "record") or (prompt or "").startswith(QUESTION_PREFIXES) \
            or prompt in QUESTIONS
        if (step.at == "*" or step.at == at or (prompt is not None and step.at == prompt)
                or (step.at == "?" and question)):
            step = self.steps.pop(0)
            self._after = step.after
            what = "hangs up" if step.hangup else (f"presses {step.keys}" if step.keys else "says nothing")
            if at == "record":
                what = f"speaks {step.record_seconds:g} s, then " + {
                    "dtmf": "presses #", "timeout": "waits", "hangup": "hangs up"}.get(step.record_end, "waits")
            self.events.append(("caller", what))
            return step
        return None

    def _hangup_now(self, reply):
        self.dead = True
        return [reply, "HANGUP"]

    def _alive_reply(self, name, args):
        if name == "STREAM FILE":
            return self._stream(args[0], args[1])
        if name == "GET DATA":
            timeout_ms = int(args[1]) if len(args) > 1 else 0
            max_digits = int(args[2]) if len(args) > 2 else 1024
            return self._get_data(args[0], timeout_ms, max_digits)
        if name == "WAIT FOR DIGIT":
            return self._wait_for_digit()
        if name == "RECORD FILE":
            return self._record(args)
        if name == "EXEC":
            return self._exec(args)
        if name == "HANGUP":
            self.dead = True
            return ["200 result=1", "HANGUP"]
        if name == "GET VARIABLE":
            value = self.variables.get(args[0])
            return [f"200 result=1 ({value})"] if value is not None else ["200 result=0"]
        if name in ("SET VARIABLE",):
            self.variables[args[0]] = args[1]
            return ["200 result=1"]
        if name == "CHANNEL STATUS":
            return ["200 result=6"]
        if name == "SET AUTOHANGUP":
            self.autohangup = int(float(args[0])) if args else 0
            return ["200 result=0"]
        if name == "VERBOSE":
            return ["200 result=1"]
        return ["200 result=0"]

    def _sound_file(self, path):
        return next((Path(f"{path}.{ext}") for ext in ("wav", "gsm", "sln", "ulaw")
                     if Path(f"{path}.{ext}").exists()), None)

    def _endpos(self, path, fraction=1.0):
        try:
            with wave.open(str(path)) as audio:
                return int(audio.getnframes() * fraction)
        except (OSError, wave.Error, EOFError):
            return 0

    def _stream(self, path, escape):
        prompt = os.path.basename(path)
        sound = self._sound_file(path)
        if sound is None:
            return ["200 result=-1 endpos=0"]  # missing file: as res_agi answers it
        self.heard.append(prompt)
        self.events.append(("heard", path))
        if self.typeahead:
            key, self.typeahead = self.typeahead[0], self.typeahead[1:]
            if key in escape:
                return [f"200 result={ord(key)} endpos=0"]
        step = self._step_for("stream", prompt)
        if step is None:
            return [f"200 result=0 endpos={self._endpos(sound)}"]
        if step.hangup:
            return self._hangup_now(f"200 result=-1 endpos={self._endpos(sound, 0.5)}")
        keys = step.keys
        while keys:
            key, keys = keys[0], keys[1:]
            if key in escape:
                self.typeahead += keys
                return [f"200 result={ord(key)} endpos={self._endpos(sound, 0.5)}"]
            # a key outside the escape set is lost, as in Asterisk
        return [f"200 result=0 endpos={self._endpos(sound)}"]

    def _get_data(self, path, timeout_ms, max_digits):
        prompt = os.path.basename(path)
        if self._sound_file(path) is None:
            return ["200 result=-1"]  # missing file: indistinguishable from a hangup
        self.heard.append(prompt)
        self.events.append(("heard", path))
        step = self._step_for("get_data", prompt)
        if step is not None and step.hangup:
            return self._hangup_now("200 result=-1")
        keys = self.typeahead + (step.keys if step else "")
        self.typeahead = ""
        digits = ""
        for i, key in enumerate(keys):
            if key == "#":
                self.typeahead = keys[i + 1:]
                return [f"200 result={digits}"]
            digits += key
            if len(digits) >= max_digits:
                self.typeahead = keys[i + 1:]  # keys beyond the maximum reach the next command
                return [f"200 result={digits}"]
        return [f"200 result={digits} (timeout)"]

    def _wait_for_digit(self):
        if self.typeahead:
            key, self.typeahead = self.typeahead[0], self.typeahead[1:]
            return [f"200 result={ord(key)}"]
        step = self._step_for("wait")
        if step is None:
            return ["200 result=0"]
        if step.hangup:
            return self._hangup_now("200 result=-1")
        if not step.keys:
            return ["200 result=0"]
        self.typeahead = step.keys[1:]
        return [f"200 result={ord(step.keys[0])}"]

    def _record(self, args):
        path, fmt, escape = args[0], args[1], args[2]
        if any(arg.upper() == "BEEP" for arg in args[4:]) and not self.core_sounds:
            return ["200 result=-1 (randomerror) endpos=0"]  # no `beep` sound to play first
        step = self._step_for("record") or Step("record", record_seconds=0.0, record_end="timeout")
        target = Path(f"{path}.{fmt}")
        if step.record_end == "writefile" or not os.access(target.parent, os.W_OK):
            # Asterisk (another user) cannot write there: res_agi.c answers so
            return ["200 result=-1 (writefile)"]
        frames = int(8000 * step.record_seconds)
        with wave.open(str(target), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(bytes(frames * 2))
        self.recordings.append(str(target))
        if step.record_end == "hangup" or step.hangup:
            return self._hangup_now(f"200 result=-1 (hangup) endpos={frames}")
        if step.record_end == "dtmf":
            key = next((k for k in step.keys or "#" if k in escape), "#")
            return [f"200 result={ord(key)} (dtmf) endpos={frames}"]
        return [f"200 result=0 (timeout) endpos={frames}"]

    def _exec(self, args):
        application = args[0].lower()
        if application not in ("dial", "queue"):
            return ["200 result=0"]
        variable = "DIALSTATUS" if application == "dial" else "QUEUESTATUS"
        step = self._step_for("dial")
        if step is not None and step.hangup:  # after talking (ANSWER) or while it rang (CANCEL)
            self.variables[variable] = step.dial_status
            return self._hangup_now("200 result=-1")
        status = step.dial_status if step else ("NOANSWER" if application == "dial" else "TIMEOUT")
        if status:
            self.variables[variable] = status
        return ["200 result=0"]


class FakeAsterisk:
    """Runs one CallerScript against a FastAGI server over TCP (blocking)."""

    def __init__(self, address, steps, hangup_delay=0.04, timeout=10.0, pace=0.0, **call):
        """pace: seconds each prompt or input command takes before its reply
        (a real prompt plays for seconds; 0 answers at once)."""
        self.address = address
        self.pace = pace
        self.call = CallerScript(steps=list(steps), host=f"{address[0]}:{address[1]}", **call)
        self.hangup_delay = hangup_delay
        self.timeout = timeout
        self.closed_by_server = False
        self.round_trips = []  # seconds from our reply to the server's next command
        self.setup = None      # seconds from connect to the first command
        self._write_lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.call, name)

    def _send(self, sock, text):
        with self._write_lock:
            try:
                sock.sendall(text.encode())
            except OSError:
                pass

    def run(self):
        """Play the whole call; returns self (heard, commands, recordings…)."""
        started = time.perf_counter()
        with socket.create_connection(self.address, timeout=self.timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = sock.makefile("r", encoding="utf-8", newline="\n")
            self._send(sock, self.call.env_block())
            replied = started
            timer = None
            while True:
                try:
                    line = reader.readline()
                except (ConnectionResetError, socket.timeout):
                    line = ""
                now = time.perf_counter()
                if not line:
                    self.closed_by_server = True
                    break
                if self.setup is None:
                    self.setup = now - started
                else:
                    self.round_trips.append(now - replied)
                out = []
                if self.pace and line.startswith(PACED):
                    time.sleep(self.pace)
                for reply in self.call.handle(line.rstrip("\n")):
                    if reply == "HANGUP":  # unsolicited, a little later
                        self._send(sock, "".join(out))
                        out = []
                        timer = threading.Timer(self.hangup_delay, self._late_hangup, (sock,))
                        timer.start()
                    elif reply == "HANGUP!":  # a pending HANGUP line, sent now
                        if timer:
                            timer.cancel()
                        out.append("HANGUP\n")
                    else:
                        out.append(reply + "\n")
                self._send(sock, "".join(out))
                replied = time.perf_counter()
            if timer:
                timer.cancel()
        return self

    def _late_hangup(self, sock):
        with self._write_lock:
            if self.call.hangup_sent:
                return
            self.call.hangup_sent = True
            try:
                sock.sendall(b"HANGUP\n")
            except OSError:
                pass


def unmasked(text):
    """Strip a quoted AGI argument (used by tests reading `commands`)."""
    return re.sub(r'^"|"$', "", text)


class ManyCalls:
    """Many CallerScripts at once in ONE thread (selectors), for the bench.

    Like a real Asterisk, the peer must not add its own delays to what it
    measures: with a thread per call, 120 Python threads waiting for the GIL
    would. Each call starts at its own time, each prompt or input command is
    answered `pace` seconds after it arrived, and a call's unsolicited HANGUP
    line follows its -1 after `hangup_delay`. Timestamps are taken when the
    selector reports a socket readable.
    """

    def __init__(self, address, hangup_delay=0.04):
        self.address = address
        self.hangup_delay = hangup_delay
        self.pending = []   # (start_at, seq, scripts, pace)
        self.done = []      # finished _Line objects
        self.peak = 0       # most calls up at once

    def add(self, scripts, start_at=0.0, pace=0.0):
        """One caller: these CallerScripts one after another from start_at."""
        self.pending.append((start_at, len(self.pending), list(scripts), pace))

    def run(self, timeout=600.0):
        import heapq
        import selectors
        sel = selectors.DefaultSelector()
        timers = []  # (when, seq, action, line)
        seq = 0
        begin = time.perf_counter()
        for start_at, _, scripts, pace in self.pending:
            heapq.heappush(timers, (begin + start_at, seq, "connect", (scripts, pace)))
            seq += 1
        live = 0
        deadline = begin + timeout
        while (timers or live) and time.perf_counter() < deadline:
            now = time.perf_counter()
            while timers and timers[0][0] <= now:
                _, _, action, arg = heapq.heappop(timers)
                if action == "connect":
                    scripts, pace = arg
                    line = _Line(self.address, scripts[0], pace)
                    line.next_scripts = scripts[1:]
                    sel.register(line.sock, selectors.EVENT_READ, line)
                    live += 1
                    self.peak = max(self.peak, live)
                elif action == "reply":
                    line, text = arg
                    line.send(text)
                elif action == "hangup" and not arg.call.hangup_sent:
                    arg.call.hangup_sent = True
                    arg.send("HANGUP\n", measure=False)
            wait = max(0.0, timers[0][0] - time.perf_counter()) if timers else 1.0
            for key, _ in sel.select(min(wait, 1.0)):
                line = key.data
                stamp = time.perf_counter()
                for command in line.read(stamp):
                    if command is None:  # the server closed the call
                        sel.unregister(line.sock)
                        line.sock.close()
                        live -= 1
                        self.done.append(line)
                        if line.next_scripts:  # this caller's next call
                            heapq.heappush(timers, (stamp, seq, "connect", (line.next_scripts, line.pace)))
                            seq += 1
                        break
                    out, hangup_later = line.answer(command)
                    delay = line.pace if command.startswith(PACED) else 0.0
                    if delay:
                        heapq.heappush(timers, (stamp + delay, seq, "reply", (line, out)))
                    else:
                        line.send(out)
                    if hangup_later:
                        heapq.heappush(timers, (stamp + delay + self.hangup_delay, seq + 1, "hangup", line))
                    seq += 2
        sel.close()
        return self.done


class _Line:
    """One call's socket in ManyCalls."""

    def __init__(self, address, script, pace):
        self.call = script
        self.pace = pace
        self.started = time.perf_counter()
        self.sock = socket.create_connection(address, timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buffer = b""
        self.replied = None
        self.setup = None
        self.round_trips = []
        self.trip_commands = []  # the command each round trip ended with, for the bench's breakdown
        self.send(script.env_block(), measure=False)

    def send(self, text, measure=True):
        try:
            self.sock.setblocking(True)
            self.sock.sendall(text.encode())
            self.sock.setblocking(False)
        except OSError:
            pass
        if measure:
            self.replied = time.perf_counter()

    def read(self, stamp):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return []
        except OSError:
            data = b""
        if not data:
            return [None]
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        commands = []
        for raw in lines:
            if self.setup is None:
                self.setup = stamp - self.started
            elif self.replied is not None:
                self.round_trips.append(stamp - self.replied)
                self.trip_commands.append(raw.decode())
            self.replied = None
            commands.append(raw.decode())
        return commands

    def answer(self, command):
        out, later = [], False
        for reply in self.call.handle(command):
            if reply == "HANGUP":
                later = True
            elif reply == "HANGUP!":
                out.append("HANGUP\n")
            else:
                out.append(reply + "\n")
        return "".join(out), later

    def __getattr__(self, name):
        return getattr(self.call, name)
