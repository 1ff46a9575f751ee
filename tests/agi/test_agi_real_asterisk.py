"""Whole calls through a real Asterisk 22 (built from ../shared/asterisk by ./dev setup) into
our shipped dialplan (image/asterisk/extensions_appliance.conf) and our FastAGI server:
the caller is the other leg of a Local channel, keying real DTMF when the IVR starts a
prompt (tests/asterisk_support.py). Skipped, saying why, where there is no Asterisk tarball.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from asterisk_support import asterisk, asterisk_install, ivr_asterisk  # noqa: F401  (fixtures)
from peer_support import free_port, wait_for
from test_agi_flows import holder_with_due_policy

from appliance.ivr.models import AgentCheck, Call
from appliance.tickets.models import Ticket
from appliance.models import Staff

REPO = Path(__file__).resolve().parents[2]


def finished_call(uniqueid, timeout=10.0):
    """The call record the server writes once the call is over (polled, with a deadline)."""
    def done():
        call = Call.get_or_none(Call.uniqueid == uniqueid)
        return call if call is not None and call.outcome != "in_progress" else None
    return wait_for(done, timeout=timeout, what=f"the call record of {uniqueid} to be finished")


def test_inbound_call_hears_greeting_and_menu_and_keys_a_choice(ivr_asterisk):
    result = ivr_asterisk.call(digits=[("menu_main", "5")], hang_up_at="menu_service_request",
                               caller_id="13912345678")
    assert result.heard[:3] == ["welcome", "menu_main", "menu_service_request"]
    # the key was real DTMF: it interrupted the menu prompt and chose option 5
    call = finished_call(result.uniqueid)
    assert call.caller_id == "13912345678" and call.channel == result.channel
    assert call.path_list == ["greeting", "main", "service_request"]
    assert call.key_list == [["main", "5"]]
    assert call.outcome == "caller_hung_up" and call.ended_in == "service_request"
    # no DID (extension s, as GSM and analogue lines arrive): Asterisk says `unknown`, we store nothing
    assert (call.called_number, call.caller_name) == ("", "")
    assert result.problems == []


def test_agent_check_with_a_known_badge_keyed_as_dtmf_is_active(ivr_asterisk):
    badge = "35010001"
    staff = Staff.get(Staff.badge_no == badge)
    result = ivr_asterisk.call(
        digits=[("welcome", "2"),                      # typed ahead into the main menu
                ("agent_enter_badge", badge + "#"),     # GET DATA collects the badge
                ("agent_active", "*")],                 # heard the verdict; back to the menu
        hang_up_at="menu_main", caller_id="13912345678")
    assert "agent_intro" in result.heard and "agent_active" in result.heard
    check = wait_for(lambda: AgentCheck.get_or_none(AgentCheck.badge_no == badge), what="the agent check")
    assert (check.result, check.staff_id, check.caller) == ("active", staff.id, "13912345678")
    call = finished_call(result.uniqueid)
    assert check.call_id == call.id
    assert call.path_list[:4] == ["greeting", "main", "agent_check", "agent_badge"]
    assert "agent_active" in call.path_list and call.path_list[-1] == "main"
    assert ["agent_badge", badge] in call.key_list
    assert call.outcome == "caller_hung_up" and call.ended_in == "main"
    assert result.problems == []




def test_badge_keyed_over_the_agent_intro_keeps_its_first_digit(ivr_asterisk):
    """The 3 stops the intro; the rest reaches GET DATA: the badge is 35010001, not 5010001."""
    result = ivr_asterisk.call(digits=[("menu_main", "2"), ("agent_intro", "35010001#")],
                               hang_up_at="agent_options", caller_id="13912345678")
    check = wait_for(lambda: AgentCheck.get_or_none(), what="the agent check")
    assert check.badge_no == "35010001" and check.result == "active"
    assert "agent_active" in result.heard and "agent_unknown" not in result.heard
    assert result.problems == []


def test_hash_after_the_six_id_digits_does_not_skip_the_policy_information(ivr_asterisk):
    customer, _ = holder_with_due_policy()
    id6 = customer.id_number[-6:].replace("X", "*")
    result = ivr_asterisk.call(digits=[("menu_main", "1"), ("policy_other", "1"), ("policy_enter_id6", id6 + "#")],
                               hang_up_at="last_payment_is", caller_id=customer.mobile.replace("+86", ""))
    info = result.heard[result.heard.index("policy_status_is"):]
    assert "product_is" in info and "last_payment_is" in info  # every part was played, none skipped


def test_voice_message_is_recorded_after_our_own_beep(asterisk, start_server, ivr_config):
    """No Asterisk core sounds: RECORD FILE … BEEP would answer `-1 (randomerror)`."""
    config = ivr_config.replace(agi__message_max_seconds=1)
    server = start_server(config)
    asterisk.load_dialplan(server.address, config.data_dir)
    result = asterisk.call(digits=[("menu_main", "4")], hang_up_at="ticket_opened", speak=True,
                           caller_id="13912345678")
    assert "beep" in result.heard
    assert not any("BEEP" in c.upper() for c in result.commands if c.startswith("RECORD FILE"))
    ticket = wait_for(lambda: Ticket.get_or_none(Ticket.kind == "complaint"), what="the complaint ticket")
    assert Path(ticket.recording).stat().st_size > 44 + 1600
    assert result.problems == []


# --- the operator fallback: whenever the IVR did not finish the call -------------------------

def fallback_apps(result):
    return [(e["Application"], e.get("AppData", "")) for e in result.events
            if e.get("Event") == "Newexten" and e.get("Uniqueid") == result.uniqueid]


def assert_reached_the_operator(result, data_dir):
    apps = fallback_apps(result)
    names = [app for app, _ in apps]
    assert "AGI" in names, names
    assert apps[-4:] == [("Set", "TIMEOUT(absolute)=0"),
                         ("NoOp", apps[-3][1]),
                         ("Playback", f"{data_dir}/prompts/zh/operator_transfer"),
                         ("Dial", "Local/operator@from-internal,60")], apps
    dialled = [e for e in result.events if e.get("Event") == "DialEnd" and e.get("Uniqueid") == result.uniqueid]
    assert dialled and dialled[0]["DialStatus"] == "ANSWER"
    return apps


def test_fastagi_server_down_sends_the_caller_to_the_operator(asterisk, ivr_config):
    """AGI() cannot connect (AGISTATUS=FAILURE): our operator_transfer prompt, then the operator."""
    asterisk.load_dialplan(("127.0.0.1", free_port()), ivr_config.data_dir)  # nothing listens
    result = asterisk.call(caller_id="13912345678")
    apps = assert_reached_the_operator(result, ivr_config.data_dir)
    assert "AGISTATUS=FAILURE" in apps[-3][1]
    assert result.commands == []  # no AGI command ran
    # Only the failed connection is worth a warning (a missing prompt would be one too).
    assert result.problems and all("res_agi.c" in line for line in result.problems), result.problems


class BadServer:
    """A FastAGI listener that misbehaves: closes at once (as a full server does), closes
    after the env block (a crash at start), or reads the env block and never answers (hung)."""

    def __init__(self, how):
        self.how = how
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()[:2]
        self.held = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            if self.how != "at_once":
                reader = sock.makefile("rb")
                while reader.readline().strip():
                    pass
            if self.how == "hung":
                self.held.append(sock)
            else:
                sock.close()

    def close(self):
        self.listener.close()
        for sock in self.held:
            sock.close()


@pytest.mark.parametrize("how", ["at_once", "after_env", "hung"])
def test_a_server_that_closes_or_hangs_at_start_sends_the_caller_to_the_operator(asterisk, ivr_config, how):
    """Closing gives AGISTATUS=SUCCESS, not FAILURE: the fallback is the absence of APPLIANCE_IVR=done.
    A hung server is cut off by TIMEOUT(absolute) (APPLIANCE_AGI_START_SECONDS) and the T extension."""
    bad = BadServer(how)
    try:
        asterisk.load_dialplan(bad.address, ivr_config.data_dir)
        started = time.monotonic()
        result = asterisk.call(caller_id="13912345678", timeout=30)  # silence until Wait(120) ends otherwise
        assert_reached_the_operator(result, ivr_config.data_dir)
        assert result.commands == []
        if how == "hung":
            assert ("GotoIf", '0?s,done:s,fallback') in fallback_apps(result)  # the T extension
        assert time.monotonic() - started < 25
    finally:
        bad.close()


SERVER = """
import json, sys
from agi.server import FastAGIServer, prepare
from appliance import db
from appliance.config import Config
config = Config(json.loads(sys.argv[1]))
db.open_database(config)
prepare(config)
server = FastAGIServer(config, address=("127.0.0.1", 0))
print(server.address[1], flush=True)
server.serve_forever(poll_interval=0.2)
"""


@pytest.fixture
def server_process(ivr_db, ivr_config):
    """Our FastAGI server in a process of its own (so the test can kill or SIGSTOP it)."""
    settings = {"data_dir": str(ivr_config.data_dir), "agi.business_hours": "00:00-23:59",
                "agi.business_days": "1-7", "agi.watchdog_seconds": 2}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, json.dumps(settings)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        port = int(proc.stdout.readline())
        yield proc, ("127.0.0.1", port)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["crashed", "sigstopped"])
def test_a_server_that_crashes_or_stops_mid_call_sends_the_caller_to_the_operator(asterisk, ivr_config,
                                                                                  server_process, how):
    """While the main menu plays the server dies (the socket closes: AGISTATUS=SUCCESS) or is
    SIGSTOPped (silence: the IVR's SET AUTOHANGUP lease runs out, AGI() ends, T falls back)."""
    proc, address = server_process
    asterisk.load_dialplan(address, ivr_config.data_dir)
    started = time.monotonic()
    result = asterisk.call(digits=[("menu_main", lambda: proc.send_signal(how))], caller_id="13912345678",
                           timeout=45)
    assert result.heard[:2] == ["welcome", "menu_main"]
    assert_reached_the_operator(result, ivr_config.data_dir)
    # bounded: menu_main's length plus agi.watchdog_seconds (2 s), then the operator prompt and dial
    assert time.monotonic() - started < 40
