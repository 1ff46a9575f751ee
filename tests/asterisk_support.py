"""A real Asterisk for tests, built from ../shared/asterisk by image/asterisk/build-asterisk.sh.

`find_install()` says where the build is (or why there is none); `Asterisk` runs it as an
ordinary process (`asterisk -C FILE -f`) with every directory under one scratch folder,
the manager (AMI) on 127.0.0.1 on a free port with a generated secret, and no sounds;
`AMI` is a small manager client that keeps every event; `Asterisk.load_dialplan()` loads
our shipped dialplan (image/asterisk/extensions_appliance.conf) pointed at a FastAGI
server and a data_dir; `Asterisk.call()` plays one inbound call through it over a Local
channel: the caller's leg (;1) keys DTMF when the IVR (;2) starts a given prompt, and the
call is followed to its end through AMI events. Nothing waits by sleeping: every wait polls
a condition with a deadline.
"""
import itertools
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from peer_support import free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "image" / "asterisk" / "build-asterisk.sh"
DIALPLAN = REPO / "image" / "asterisk" / "extensions_appliance.conf"
SHIPPED_AGI = "APPLIANCE_AGI=agi://127.0.0.1:4573\n"
SHIPPED_DATA_DIR = "APPLIANCE_DATA=/var/lib/appliance\n"


def find_install():
    """(prefix, None) for a good install, else (None, why not).

    APPLIANCE_ASTERISK_PREFIX (set by ./dev test after building) wins; otherwise the
    build script names the prefix its tarball and recipe would use."""
    prefix = os.environ.get("APPLIANCE_ASTERISK_PREFIX")
    if prefix:
        if not (Path(prefix) / "sbin" / "asterisk").is_file():
            return None, f"APPLIANCE_ASTERISK_PREFIX={prefix} holds no sbin/asterisk"
        return Path(prefix), None
    try:
        run = subprocess.run(["bash", str(BUILD_SCRIPT), "--print-prefix"], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot run {BUILD_SCRIPT.name}: {exc}"
    if run.returncode == 3:
        return None, ("no Asterisk source tarball (../shared/asterisk/asterisk-*.tar.xz next to the clone, "
                      "/work/shared/asterisk, or APPLIANCE_ASTERISK_TARBALL)")
    if run.returncode == 4:
        return None, (f"Asterisk is not built at {run.stdout.strip()}: run ./dev setup "
                      f"(or image/asterisk/build-asterisk.sh)")
    if run.returncode != 0:
        return None, f"{BUILD_SCRIPT.name} --print-prefix failed: {run.stderr.strip()}"
    return Path(run.stdout.strip()), None


# --- the manager interface ------------------------------------------------------------------

class AMIError(AssertionError):
    pass


class AMI:
    """A manager connection: actions wait for their response; every event is kept in
    order, and wait_event() finds one matching a predicate after a mark."""

    def __init__(self, port, username, secret, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(None)
        self._file = self.sock.makefile("rb")
        self.banner = self._file.readline().decode(errors="replace").strip()
        self.events = []
        self._responses = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="ami-reader", daemon=True)
        self._reader.start()
        self.action("Login", Username=username, Secret=secret)

    def _read_loop(self):
        message = {}
        try:
            for raw in self._file:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if line:
                    key, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if key == "Output":  # a Command action's output, one line per header
                        message.setdefault("Output", []).append(value)
                    else:
                        message[key] = value
                    continue
                if not message:
                    continue
                with self._cond:
                    if "Event" in message and "Response" not in message:
                        self.events.append(message)
                    else:
                        self._responses[message.get("ActionID", "")] = message
                    self._cond.notify_all()
                message = {}
        except (OSError, ValueError):
            pass
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def action(self, name, timeout=10.0, check=True, **fields):
        action_id = f"t{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        for key, value in fields.items():
            for one in value if isinstance(value, (list, tuple)) else [value]:
                lines.append(f"{key}: {one}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        deadline = time.monotonic() + timeout
        with self._cond:
            while action_id not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AMIError(f"AMI {name}: no response within {timeout} s")
                self._cond.wait(left)
            response = self._responses.pop(action_id)
        if check and response.get("Response") not in ("Success", "Follows", "Goodbye"):
            raise AMIError(f"AMI {name} failed: {response}")
        return response

    def command(self, text, timeout=10.0):
        """A CLI command through AMI; its output lines."""
        return self.action("Command", timeout=timeout, Command=text).get("Output", [])

    def mark(self):
        with self._cond:
            return len(self.events)

    def wait_event(self, predicate, timeout, what, since=0):
        """The first event at or after index `since` for which predicate(event) is true;
        returns (index, event)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            index = since
            while True:
                while index < len(self.events):
                    if predicate(self.events[index]):
                        return index, self.events[index]
                    index += 1
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self._cond.wait(left)

    def close(self):
        try:
            self.sock.sendall(b"Action: Logoff\r\n\r\n")
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


# --- one call ---------------------------------------------------------------------------------

@dataclass
class CallResult:
    uniqueid: str            # the IVR leg's (;2) uniqueid = agi_uniqueid = Call.uniqueid
    channel: str             # the IVR leg's channel name
    commands: list           # every AGI command the IVR leg ran, in order
    heard: list              # prompt names (file base names) played by STREAM FILE / GET DATA
    hangup_cause: str = ""   # the IVR leg's Hangup event Cause-txt
    events: list = field(default_factory=list)  # every AMI event about this call
    problems: list = field(default_factory=list)  # WARNING/ERROR lines Asterisk logged meanwhile


AGI_PLAYS = re.compile(r'^(?:STREAM FILE|GET DATA|EXEC Playback)\s+"?([^"\s,]+)')


def prompt_name(command):
    """'STREAM FILE "/x/prompts/zh/menu_main" "…" 0' -> 'menu_main' (None for other commands)."""
    match = AGI_PLAYS.match(command)
    return os.path.basename(match.group(1)) if match else None


def is_problem(log_line):
    return "WARNING[" in log_line or "ERROR[" in log_line


# --- the Asterisk process ------------------------------------------------------------------------

ASTERISK_CONF = """\
[directories]
astcachedir => {root}/cache
astetcdir => {root}/etc
astmoddir => {prefix}/lib/asterisk/modules
astvarlibdir => {root}/lib
astdbdir => {root}/lib
astkeydir => {root}/lib
astdatadir => {prefix}/var/lib/asterisk
astagidir => {root}/lib/agi-bin
astspooldir => {root}/spool
astrundir => {run}
astlogdir => {root}/log
astsbindir => {prefix}/sbin

[options]
verbose = 3
debug = 0
nocolor = yes
highpriority = no
dumpcore = no
cache_media_frames = no
transmit_silence = no
hideconnect = yes
"""

MODULES_CONF = """\
[modules]
autoload = yes
"""

LOGGER_CONF = """\
[general]
dateformat = %F %T.%3q
[logfiles]
full => notice,warning,error,verbose,dtmf
messages => notice,warning,error
"""

MANAGER_CONF = """\
[general]
enabled = yes
port = {port}
bindaddr = 127.0.0.1
webenabled = no
displayconnects = no

[{user}]
secret = {secret}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
writetimeout = 5000
"""

# The test's side of every call: the caller's phone, the ;1 leg of a Local channel whose
# ;2 leg runs our dialplan from appliance-inbound. Keys come from the test (AMI PlayDTMF on
# this leg, which Asterisk delivers to the IVR as DTMF frames) or from ${DIGITS} at once.
# from-internal/operator stands in for the operator the dialplan and the IVR dial.
EXTENSIONS_CONF = """\
[general]
static = yes
writeprotect = yes
clearglobalvars = yes

#include extensions_appliance.conf

[appliance-test-caller]
exten => s,1,NoOp(test caller ${{CALLERID(num)}} on ${{CHANNEL}})
 same => n,ExecIf($["${{DIGITS}}" != ""]?SendDTMF(${{DIGITS}},250,120))
 same => n,ExecIf($["${{SPEAK}}" != ""]?Milliwatt())
 same => n,Wait({max_seconds})
 same => n,Hangup()

[from-internal]
exten => operator,1,NoOp(test operator)
 same => n,Answer()
 same => n,Wait(1)
 same => n,Hangup()
"""


# Files Asterisk complains about when missing; what they hold does not matter here.
QUIET_CONFIGS = {
    "cdr.conf": "[general]\nenable = yes\n[csv]\nusegmtime = yes\nloguniqueid = yes\n",
    "indications.conf": "[general]\ncountry = cn\n[cn]\ndescription = China\nringcadence = 1000,4000\n"
                        "dial = 450\nring = 450/1000,0/4000\nbusy = 450/350,0/350\n"
                        "congestion = 450/700,0/700\n",
    "musiconhold.conf": "", "ccss.conf": "", "cel.conf": "", "features.conf": "", "acl.conf": "",
    "udptl.conf": "",
}


class Asterisk:
    """One Asterisk process under `root` (etc, lib, spool, run, log)."""

    def __init__(self, prefix, root):
        self.prefix = Path(prefix)
        self.root = Path(root)
        self.binary = self.prefix / "sbin" / "asterisk"
        self.etc = self.root / "etc"
        self.log_dir = self.root / "log"
        # The control socket's path must fit in sockaddr_un (108 bytes).
        run = self.root / "run"
        if len(str(run / "asterisk.ctl")) > 100:
            run = Path(tempfile.mkdtemp(prefix="ast-run-"))
        self.run_dir = run
        self.conf = self.etc / "asterisk.conf"
        self.ami_port = free_port()
        self.ami_user = "appliance-test"
        self.ami_secret = secrets.token_hex(16)
        self.proc = None
        self.ami = None
        self._ids = itertools.count(1)
        self._console = None

    # --- life cycle ----------------------------------------------------------------------
    def write_config(self):
        for sub in ("etc", "lib/agi-bin", "spool/outgoing", "log/cdr-csv", "cache"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fields = {"root": self.root, "prefix": self.prefix, "run": self.run_dir}
        (self.etc / "asterisk.conf").write_text(ASTERISK_CONF.format(**fields))
        (self.etc / "modules.conf").write_text(MODULES_CONF)
        (self.etc / "logger.conf").write_text(LOGGER_CONF)
        (self.etc / "manager.conf").write_text(MANAGER_CONF.format(
            port=self.ami_port, user=self.ami_user, secret=self.ami_secret))
        (self.etc / "extensions.conf").write_text(EXTENSIONS_CONF.format(max_seconds=120))
        # Until load_dialplan() points it at a server: the shipped file as is.
        (self.etc / "extensions_appliance.conf").write_text(DIALPLAN.read_text())
        for name, text in QUIET_CONFIGS.items():
            (self.etc / name).write_text(text)

    def start(self, timeout=60.0):
        self.write_config()
        self._console = open(self.log_dir / "console.log", "wb")
        self.proc = subprocess.Popen([str(self.binary), "-C", str(self.conf), "-f", "-n"],
                                     stdin=subprocess.DEVNULL, stdout=self._console,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout

        def booted():
            if self.proc.poll() is not None:
                raise AssertionError(f"asterisk exited with {self.proc.returncode} while starting:\n"
                                     + self.log_tail())
            if not (self.run_dir / "asterisk.ctl").exists():
                return False
            return self.rx("core waitfullybooted", check=False, timeout=max(1.0, deadline - time.monotonic()))
        wait_for(booted, timeout=timeout, what="Asterisk to boot")
        self.ami = wait_for(self._connect_ami, timeout=max(1.0, deadline - time.monotonic()),
                            what="the Asterisk manager interface")
        return self

    def _connect_ami(self):
        try:
            return AMI(self.ami_port, self.ami_user, self.ami_secret)
        except (OSError, AMIError):
            return None

    def stop(self, timeout=10.0):
        if self.ami is not None:
            self.ami.close()
            self.ami = None
        if self.proc is not None and self.proc.poll() is None:
            self.rx("core stop now", check=False, timeout=timeout)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self._console is not None:
            self._console.close()
        if self.run_dir.parent != self.root:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def rx(self, command, check=True, timeout=10.0):
        """`asterisk -C FILE -rx COMMAND`: its output (str), or False if it failed and check=False."""
        try:
            run = subprocess.run([str(self.binary), "-C", str(self.conf), "-rx", command],
                                 capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            if check:
                raise
            return False
        if run.returncode != 0:
            if check:
                raise AssertionError(f"asterisk -rx {command!r}: exit {run.returncode}: {run.stderr}{run.stdout}")
            return False
        return run.stdout or True

    def log_lines(self, name="full"):
        path = self.log_dir / name
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def log_tail(self, lines=40):
        text = []
        for name in ("full", "console.log"):
            path = self.log_dir / name
            if path.exists():
                text.append(f"--- {path}")
                text += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(text)

    def problems(self):
        """WARNING and ERROR lines Asterisk logged so far."""
        return [line for line in self.log_lines() if is_problem(line)]

    # --- dialplan ----------------------------------------------------------------------
    def load_dialplan(self, agi_address, data_dir):
        """Our shipped dialplan, with its FastAGI URL pointed at `agi_address` (host, port) and
        its data_dir at `data_dir` (the two [globals] lines the image README says to change)."""
        text = DIALPLAN.read_text()
        assert SHIPPED_AGI in text and SHIPPED_DATA_DIR in text, "the shipped dialplan changed shape"
        host, port = agi_address
        text = text.replace(SHIPPED_AGI, f"APPLIANCE_AGI=agi://{host}:{port}\n")
        text = text.replace(SHIPPED_DATA_DIR, f"APPLIANCE_DATA={str(data_dir).rstrip('/')}\n")
        (self.etc / "extensions_appliance.conf").write_text(text)
        self.ami.command("dialplan reload")
        shown = "\n".join(self.ami.command("dialplan show globals"))
        assert f":{port}" in shown, f"dialplan not reloaded:\n{shown}"

    # --- calls -----------------------------------------------------------------------------
    def call(self, extension="s", digits=(), caller_id="13912345678", hang_up_at=None, timeout=60.0,
             step_timeout=30.0, speak=False):
        """One inbound call into appliance-inbound over a Local channel, followed to its end.

        digits: a string keyed as soon as the IVR answers (SendDTMF in the caller's dialplan;
        'w' waits 0.5 s: keys before the IVR's first prompt are lost, as Asterisk drops DTMF
        between AGI commands), or a list of (prompt, keys) steps: when the IVR starts playing `prompt`
        (STREAM FILE / GET DATA of that file name), the caller keys `keys` (AMI PlayDTMF on
        the caller's leg), or a callable run at that prompt (the test acts: stops the server…).
        speak: the caller sends audio (a 1 kHz tone) all call long, e.g. for a voice message.
        hang_up_at: a prompt at which the caller then hangs up; else the
        call runs until the IVR hangs up (or `timeout`). One call at a time: the result's
        `problems` are all the warnings Asterisk logged while it ran."""
        ami = self.ami
        log_mark = len(self.log_lines())
        n = next(self._ids)
        caller_uid, ivr_uid = f"tcall{os.getpid()}-{n}-caller", f"tcall{os.getpid()}-{n}-ivr"
        since = ami.mark()
        variables = [f"DIGITS={digits}"] if isinstance(digits, str) and digits else []
        if speak:
            variables.append("SPEAK=1")
        fields = dict(Channel=f"Local/{extension}@appliance-inbound", Context="appliance-test-caller",
                      Exten="s", Priority="1", CallerID=caller_id, Timeout="10000", Async="true",
                      ChannelId=caller_uid, OtherChannelId=ivr_uid)
        if variables:
            fields["Variable"] = variables
        ami.action("Originate", **fields)
        deadline = time.monotonic() + timeout

        def left():
            return max(0.1, deadline - time.monotonic())

        def of(uid):
            return lambda e: e.get("Uniqueid") == uid

        _, new = ami.wait_event(lambda e: e.get("Event") == "Newchannel" and e.get("Uniqueid") == caller_uid,
                                left(), "the caller's channel", since)
        caller_channel = new["Channel"]

        def plays(prompt):
            return lambda e: (e.get("Event") == "AGIExecStart" and e.get("Uniqueid") == ivr_uid
                              and prompt_name(e.get("Command", "")) == prompt)

        def ended(uid):
            return lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == uid

        position = since
        steps = [] if isinstance(digits, str) else list(digits)
        for prompt, keys in steps:
            position, _ = self._wait_call_event(plays(prompt), min(step_timeout, left()),
                                                f"the IVR to play {prompt!r}", position, ivr_uid)
            position += 1
            if callable(keys):  # the test acts at that prompt (e.g. stops the server)
                keys()
                continue
            for key in keys:
                ami.action("PlayDTMF", Channel=caller_channel, Digit=key, Duration="120")
        if hang_up_at:
            position, _ = self._wait_call_event(plays(hang_up_at), min(step_timeout, left()),
                                                f"the IVR to play {hang_up_at!r}", position, ivr_uid)
            ami.action("Hangup", Channel=caller_channel, check=False)
        _, hangup = ami.wait_event(ended(ivr_uid), left(), "the IVR leg to hang up", since)
        ami.wait_event(ended(caller_uid), left(), "the caller's leg to hang up", since)
        with ami._cond:
            events = [e for e in ami.events[since:]
                      if e.get("Uniqueid") in (caller_uid, ivr_uid) or e.get("DestUniqueid") == ivr_uid]
        commands = [e.get("Command", "") for e in events
                    if e.get("Event") == "AGIExecStart" and e.get("Uniqueid") == ivr_uid]
        heard = [name for name in map(prompt_name, commands) if name]
        ivr_channel = next((e["Channel"] for e in events if of(ivr_uid)(e) and "Channel" in e), "")
        problems = [line for line in self.log_lines()[log_mark:] if is_problem(line)]
        return CallResult(uniqueid=ivr_uid, channel=ivr_channel, commands=commands, heard=heard,
                          hangup_cause=hangup.get("Cause-txt", ""), events=events, problems=problems)

    def _wait_call_event(self, predicate, timeout, what, since, ivr_uid):
        """Like AMI.wait_event, but fails at once (with what the IVR did) if the IVR leg hangs up first."""
        def either(e):
            return predicate(e) or (e.get("Event") == "Hangup" and e.get("Uniqueid") == ivr_uid)
        try:
            index, event = self.ami.wait_event(either, timeout, what, since)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the IVR did: {self._did(ivr_uid, since)}") from None
        if event.get("Event") == "Hangup":
            raise AssertionError(f"the call ended ({event.get('Cause-txt')}) before {what}; "
                                 f"the IVR did: {self._did(ivr_uid, since)}")
        return index, event

    def _did(self, ivr_uid, since):
        with self.ami._cond:
            return [e.get("Command") for e in self.ami.events[since:]
                    if e.get("Event") == "AGIExecStart" and e.get("Uniqueid") == ivr_uid]


# --- pytest fixtures (import them into a test module) ----------------------------------------

@pytest.fixture(scope="session")
def asterisk_install():
    prefix, why = find_install()
    if prefix is None:
        if os.environ.get("APPLIANCE_ASTERISK_REQUIRED"):
            pytest.fail(f"real Asterisk required (APPLIANCE_ASTERISK_REQUIRED) but: {why}")
        pytest.skip(f"real Asterisk tests: {why}")
    return prefix


@pytest.fixture(scope="session")
def asterisk(asterisk_install, tmp_path_factory):
    """A running Asterisk for the session (see Asterisk); stopped cleanly at the end."""
    pbx = Asterisk(asterisk_install, tmp_path_factory.mktemp("asterisk"))
    try:
        pbx.start()
        yield pbx
    finally:
        pbx.stop()


@pytest.fixture
def ivr_asterisk(asterisk, agi_server, ivr_config):
    """The session's Asterisk with our dialplan pointed at this test's FastAGI server
    (tests/agi/conftest.py agi_server: its own copy of the seeded database and data_dir)."""
    asterisk.load_dialplan(agi_server.address, ivr_config.data_dir)
    return asterisk
