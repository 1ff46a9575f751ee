"""The survey and return-visit flow (agi/survey.py) in the call, against the fake Asterisk:
questions asked with their keys, asked again on a wrong key a limited number of times,
each answer committed before the next question, 2 and 8 in the introduction."""
import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

from agi.asterisk_peer import Step, hang_up, press
from appliance.ivr.models import Call
from appliance.tickets.models import Ticket
from appliance.models import Customer, Policy, Product
from appliance.services.models import OptOut
from appliance.voice import campaigns
from appliance.voice.models import CallAnswer, CallAttempt

SCRIPT = [{"text": "您对本次服务满意吗？", "type": "scale"},
          {"text": "您会推荐给朋友吗？", "type": "yes_no"},
          {"text": "您最常用哪种缴费方式？", "type": "choice", "options": ["银行转账", "微信", "现金"]}]
NUMBER = "13141000001"


@pytest.fixture
def survey(ivr_db):
    campaign = campaigns.create_campaign("satisfaction", [NUMBER], kind="survey", script=SCRIPT)
    return CallAttempt.get(CallAttempt.campaign == campaign.id)


def answers(attempt):
    return [(a.question, a.answer) for a in CallAnswer.select().where(CallAnswer.attempt == attempt.id)
            .order_by(CallAnswer.question)]


def test_a_survey_keyed_through_with_a_wrong_key_asked_again_is_completed(dial, survey):
    call = dial([press("survey_intro", "1"), press("survey_scale", "7"), press("survey_scale", "4"),
                 press("survey_yes_no", "2"), Step("wait", "3")], script=f"survey?attempt={survey.id}",
                callerid=NUMBER)
    assert answers(survey) == [(0, "4"), (1, "no"), (2, "3")]
    assert CallAttempt.get_by_id(survey.id).result == "completed"
    assert call.heard.count("survey_scale") == 2 and "invalid_input" in call.heard
    assert call.heard[-1] == "survey_thanks"
    record = Call.get(Call.caller_id == NUMBER)
    assert (record.script, record.outcome) == ("survey", "completed")
    assert record.path_list == ["intro", "q1", "q2", "q3", "thanks"]


def test_no_key_ends_the_survey_after_the_retries_keeping_the_answers_given(dial, survey):
    call = dial([press("survey_intro", ""), press("survey_scale", "5")], script=f"notify?attempt={survey.id}",
                callerid=NUMBER)
    assert answers(survey) == [(0, "5")]
    assert CallAttempt.get_by_id(survey.id).result == ""  # the dialer writes `answered`
    assert call.heard.count("survey_yes_no") == 3 and call.heard[-1] == "notice_goodbye"


def test_a_hangup_mid_survey_keeps_each_answer_already_keyed(dial, survey):
    dial([press("survey_intro", "1"), press("survey_scale", "2"), hang_up("survey_yes_no")],
         script=f"notify?attempt={survey.id}", callerid=NUMBER)
    assert answers(survey) == [(0, "2")]
    assert Call.get(Call.caller_id == NUMBER).outcome == "caller_hung_up"


def test_key_2_in_the_introduction_asks_for_a_callback_and_8_for_no_more_calls(dial, ivr_db):
    campaign = campaigns.create_campaign("satisfaction", ["13141000002", "13141000003"], kind="survey",
                                         script=SCRIPT)
    first, second = CallAttempt.select().where(CallAttempt.campaign == campaign.id).order_by(CallAttempt.id)
    call = dial([press("survey_intro", "2")], script=f"notify?attempt={first.id}", callerid=first.number)
    assert call.heard[-1] == "survey_callback" and "survey_scale" not in call.heard
    ticket = Ticket.get(Ticket.kind == "callback")
    assert ticket.caller.endswith("13141000002") and ticket.number in CallAttempt.get_by_id(first.id).detail
    dial([press("survey_intro", "8")], script=f"notify?attempt={second.id}", callerid=second.number)
    assert OptOut.get(OptOut.kind == "dnd").number.endswith("13141000003")
    assert answers(first) == [] and answers(second) == []


@pytest.fixture
def return_visit(ivr_db, ivr_config):
    product = Product.create(code="V901", name="康宁重疾险")
    holder = Customer.create(name="陈静", gender="F", mobile="13141000004", customer_no="V0002")
    Policy.create(policy_no="886099000002", product=product, holder=holder, premium=Decimal("3600.00"),
                  issue_date=datetime.date(2026, 11, 20))
    campaign = campaigns.create_campaign("new policies", kind="return_visit", config=ivr_config,
                                         customers=[{"customer": holder.id}])
    return CallAttempt.get(CallAttempt.campaign == campaign.id)


def test_a_return_visit_names_the_holder_and_product_and_a_no_opens_a_ticket(dial, return_visit, ivr_config):
    call = dial([press("return_visit_intro", "1"), Step("wait", "1"), press("survey_yes_no", "1"),
                 press("survey_yes_no", "2"), press("survey_yes_no", "1")],
                script=f"notify?attempt={return_visit.id}", callerid="13141000004")
    assert answers(return_visit) == [(0, "yes"), (1, "yes"), (2, "no"), (3, "yes")]
    assert call.heard[2:5] == ["return_visit_contract", "survey_yes_no", "return_visit_explained"]
    cache = Path(ivr_config.data_dir) / "prompts" / "cache" / "zh"
    holder_question = (cache / f"{call.heard[1]}.txt").read_text()
    assert "陈静" in holder_question and "康宁重疾险" in holder_question and "不是本人请按2" in holder_question
    ticket = Ticket.get()
    assert (ticket.kind, ticket.policy.policy_no) == ("return-visit", "886099000002")
    assert "销售人员" not in ticket.text and "犹豫期" in ticket.text and ticket.caller.endswith("13141000004")
    assert json.loads(CallAttempt.get_by_id(return_visit.id).campaign.script)[2]["prompt"] == "return_visit_explained"
    assert CallAttempt.get_by_id(return_visit.id).result == "completed"
