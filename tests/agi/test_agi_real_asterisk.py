"""Whole calls through a real Asterisk 22 (built from ../shared/asterisk by ./dev setup) into
our shipped dialplan (image/asterisk/extensions_appliance.conf) and our FastAGI server:
the caller is the other leg of a Local channel, keying real DTMF when the IVR starts a
prompt (tests/asterisk_support.py). Skipped, saying why, where there is no Asterisk tarball.
"""
from asterisk_support import asterisk, asterisk_install, ivr_asterisk  # noqa: F401  (fixtures)
from peer_support import free_port, wait_for

from appliance.ivr.models import AgentCheck, Call
from appliance.models import Staff


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


def test_fastagi_server_down_sends_the_caller_to_the_operator(asterisk, ivr_config):
    """The dialplan's fallback: AGI() cannot connect, so AGISTATUS=FAILURE, the caller hears
    our operator_transfer prompt and is dialled through to the operator."""
    asterisk.load_dialplan(("127.0.0.1", free_port()), ivr_config.data_dir)  # nothing listens
    result = asterisk.call(caller_id="13912345678")
    apps = [(e["Application"], e.get("AppData", "")) for e in result.events
            if e.get("Event") == "Newexten" and e.get("Uniqueid") == result.uniqueid]
    names = [app for app, _ in apps]
    assert names[names.index("AGI"):] == ["AGI", "GotoIf", "NoOp", "Playback", "Dial"]
    assert apps[-2] == ("Playback", f"{ivr_config.data_dir}/prompts/zh/operator_transfer")
    assert apps[-1] == ("Dial", "Local/operator@from-internal,60")
    assert result.commands == []  # no AGI command ran
    dialled = [e for e in result.events if e.get("Event") == "DialEnd" and e.get("Uniqueid") == result.uniqueid]
    assert dialled and dialled[0]["DialStatus"] == "ANSWER"
    # Only the failed connection is worth a warning (a missing prompt would be one too).
    assert result.problems and all("res_agi.c" in line for line in result.problems), result.problems
