"""A voice notice campaign end to end through a real Asterisk 22: the dialer calls the test
network, the answered leg runs our FastAGI server's `notify` script
([appliance-answered] in image/asterisk/extensions_outbound.conf), the callee keys real
DTMF (SendDTMF in tests/agi/test-network.conf) while the notice plays.
"""
import pytest
from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from test_dialer_real_asterisk import NETWORK, manager, network, run_in_thread  # noqa: F401  (fixtures)

from agi import prompts
from agi.dialer import Dialer, LineGroup
from appliance.ivr.models import Call
from appliance.tickets.models import Ticket
from appliance.services.models import OptOut
from appliance.voice import campaigns
from appliance.voice.models import CallAttempt, VoiceCampaign

TEXT = "您好，您的保单保费将于十二月一日到期，请及时缴费。"


@pytest.fixture
def notice_network(network, agi_server, ivr_config):
    """The test network with [appliance-answered] pointed at this test's FastAGI server,
    and the notice's words already spoken into the prompt cache (as a campaign's start
    would), so the first callee's keys do not fall between two commands."""
    network.load_dialplan(agi_server.address, ivr_config.data_dir)
    assert prompts.PromptFinder(ivr_config).spoken(TEXT, "zh")  # the key prompts are fixed ones, built
    return network


EXPECTED = {  # number -> (result, keys)
    "13011000000": ("confirmed", "1"),
    "13012000000": ("answered", "2"),
    "13018000000": ("answered", "8"),
    "13019000000": ("answered", "9"),    # heard it again, then keyed nothing
    "13020000000": ("answered", ""),     # silent
    "13040000000": ("busy", ""),
}


def test_a_notice_campaign_keys_confirm_call_back_repeat_and_do_not_call(notice_network, manager, ivr_db):
    campaign = campaigns.create_campaign("premium due", list(EXPECTED), text=TEXT)
    VoiceCampaign.update(max_tries=1).where(VoiceCampaign.id == campaign.id).execute()  # the busy one once
    campaigns.set_state(campaign.id, "running")
    dialer = Dialer(manager, {"default": LineGroup("default", NETWORK, 6)}, ring_seconds=3, caller_id="95500",
                    default_window="always")
    run_in_thread(dialer, timeout=120)
    got = {a.number: a for a in CallAttempt.select()}
    assert {n: (a.result, a.keys) for n, a in got.items()} == EXPECTED, {n: a.detail for n, a in got.items()}
    assert got["13011000000"].talk_seconds >= 2
    ticket = Ticket.get(Ticket.kind == "callback")
    assert ticket.caller.endswith("13012000000") and "premium due" in ticket.text
    assert ticket.number in got["13012000000"].detail
    assert OptOut.get(OptOut.kind == "dnd").number.endswith("13018000000")
    assert "do-not-call" in got["13018000000"].detail
    # the call records name the callee; the caller who keyed 9 heard the notice twice
    notify_calls = {c.caller_id: c for c in Call.select().where(Call.script == "notify")}
    assert set(notify_calls) == set(EXPECTED) - {"13040000000"}
    assert all(c.outcome == "completed" for c in notify_calls.values())
    assert notify_calls["13019000000"].path_list == ["notice", "notice"]
    assert notify_calls["13011000000"].path_list == ["notice", "confirmed"]
    report = campaigns.summary(campaign.id)
    assert report["results"]["confirmed"] == 1 and report["results"]["answered"] == 4
    assert report["answer_rate"] == round(5 / 6, 4) and report["confirmation_rate"] == 0.2
