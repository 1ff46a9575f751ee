"""A survey and a return visit end to end through a real Asterisk 22: the dialer calls the
test network's 1314<keys>0… callee, which keys its digits one every 3 s as real DTMF; the
answered leg runs our FastAGI server ([appliance-answered] → `notify`, which hands the
call to agi/survey.py by the campaign's kind). Both campaigns run at once (two channels).
"""
import datetime
from decimal import Decimal

import pytest
from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from test_dialer_real_asterisk import NETWORK, manager, network, run_in_thread  # noqa: F401  (fixtures)

from agi.dialer import Dialer, LineGroup
from appliance.ivr.models import Call
from appliance.tickets.models import Ticket
from appliance.models import Customer, Policy, Product
from appliance.voice import campaigns, surveys
from appliance.voice.models import CallAnswer, CallAttempt, VoiceCampaign

SCRIPT = [{"text": "您对本次服务满意吗？", "type": "scale"},
          {"text": "您会推荐给朋友吗？", "type": "yes_no"},
          {"text": "您最常用哪种缴费方式？", "type": "choice", "options": ["银行转账", "微信", "现金"]}]
SURVEY_CALLEE = "13141641200"        # 1 starts; 6 is no score (asked again); 4; yes; 微信
RETURN_VISIT_CALLEE = "13141121100"  # 1 starts; the holder; contract: no; explained; signed


@pytest.fixture
def answered_network(network, agi_server, ivr_config):
    network.load_dialplan(agi_server.address, ivr_config.data_dir)
    return network


def answers(attempt):
    return [(a.question, a.answer) for a in
            CallAnswer.select().where(CallAnswer.attempt == attempt.id).order_by(CallAnswer.question)]


def test_a_survey_is_keyed_through_and_a_return_visit_no_opens_one_ticket(answered_network, manager, ivr_config):
    survey = campaigns.create_campaign("satisfaction", [SURVEY_CALLEE], kind="survey", script=SCRIPT)
    product = Product.create(code="V902", name="安心医疗险")
    holder = Customer.create(name="林小红", gender="F", mobile=RETURN_VISIT_CALLEE, customer_no="V0003")
    policy = Policy.create(policy_no="886099000003", product=product, holder=holder, premium=Decimal("980.00"),
                           issue_date=datetime.date(2026, 11, 25))
    visit = campaigns.create_campaign("new policies", kind="return_visit", config=ivr_config,
                                      customers=[{"customer": holder.id}])
    for campaign in (survey, visit):  # any hour, one try: what one call comes to
        VoiceCampaign.update(window="always", max_tries=1).where(VoiceCampaign.id == campaign.id).execute()
        campaigns.set_state(campaign.id, "running")
    dialer = Dialer(manager, {"default": LineGroup("default", NETWORK, 2)}, ring_seconds=3, caller_id="95500")
    run_in_thread(dialer, timeout=60)

    surveyed = CallAttempt.get(CallAttempt.campaign == survey.id)
    assert (surveyed.result, answers(surveyed)) == ("completed", [(0, "4"), (1, "yes"), (2, "2")]), surveyed.detail
    assert surveyed.talk_seconds >= 10
    assert surveys.tallies(survey.id)[0]["average"] == 4.0
    record = Call.get(Call.caller_id == SURVEY_CALLEE)
    assert record.script == "survey" and record.path_list == ["intro", "q1", "q2", "q3", "thanks"]

    visited = CallAttempt.get(CallAttempt.campaign == visit.id)
    assert answers(visited) == [(0, "yes"), (1, "no"), (2, "yes"), (3, "yes")], visited.detail
    assert visited.result == "completed"
    ticket = Ticket.get()
    assert (ticket.kind, ticket.policy_id, ticket.caller) == ("return-visit", policy.id, "+86" + RETURN_VISIT_CALLEE)
    assert "是否收到保险合同" in ticket.text and ticket.number in visited.detail
    assert Ticket.select().count() == 1
