"""A real Asterisk for tests, built from ../shared/asterisk by image/asterisk/build-asterisk.sh.

`find_install()` says where the build is (or why there is none); `Asterisk` is the
package's private Asterisk (agi/asterisk_run.py: one process, every directory under one
scratch folder, the manager on a free port) with our shipped dialplan
(image/asterisk/extensions_appliance.conf) and a test caller; its `ami` is an
agi.ami.Manager that also keeps every event (`EventLog`: mark() and wait_event()).
`Asterisk.load_dialplan()` points the dialplan at a FastAGI server and a data_dir;
`Asterisk.call()` plays one inbound call through it over a Local channel: the caller's leg
(;1) keys DTMF when the IVR (;2) starts a given prompt, and the call is followed to its end
through AMI events. Nothing waits by sleeping: every wait polls a condition with a deadline.
"""
import itertools
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agi.ami import Manager
from agi.asterisk_run import Private, find_prefix

REPO = Path(__file__).resolve().parents[1]
DIALPLAN = REPO / "image" / "asterisk" / "extensions_appliance.conf"
SHIPPED_AGI = "APPLIANCE_AGI=agi://127.0.0.1:4573\n"
SHIPPED_DATA_DIR = "APPLIANCE_DATA=/var/lib/appliance\n"


def find_install():
    """(prefix, None) for a good install, else (None, why not): see agi.asterisk_run.find_prefix."""
    return find_prefix()


# --- the manager interface ------------------------------------------------------------------

class EventLog(Manager):
    """A manager connection that keeps every event in order (under the manager's condition):
    mark() is a position in `events`, wait_event() finds one matching a predicate after it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.events = []
        self.add_listener(self._keep)

    def _keep(self, event):
        if event.get("Event") == "AMIClosed":
            return
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

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
                if left <= 0 or self.closed:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self._cond.wait(left)


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


class Asterisk(Private):
    """The private Asterisk with our shipped dialplan (as is until load_dialplan() points it
    at a server, but for its data dir: a scratch folder, not the box's /var/lib/appliance,
    where outbound calls would leave their early audio) and the test caller; `ami` logged
    in once it runs."""

    def __init__(self, prefix, root):
        dialplan = DIALPLAN.read_text().replace(SHIPPED_DATA_DIR, f"APPLIANCE_DATA={Path(root) / 'data'}\n")
        super().__init__(prefix, root, extensions=EXTENSIONS_CONF.format(max_seconds=120),
                         files={"extensions_appliance.conf": dialplan}, ami_user="appliance-test")
        self.ami = None
        self._ids = itertools.count(1)

    def start(self, timeout=60.0):
        try:
            super().start(timeout)
        except (RuntimeError, TimeoutError) as exc:
            raise AssertionError(str(exc)) from None
        self.ami = self.manager(EventLog)
        return self

    def stop(self, timeout=10.0):
        if self.ami is not None:
            self.ami.close()
            self.ami = None
        super().stop(timeout)

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
