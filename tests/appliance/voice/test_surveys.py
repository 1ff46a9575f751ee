"""Surveys and return visits in the domain: scripts checked at creation (an error naming
the question and the field), answers stored as keyed, `completed` after the last one,
tallies and the CSV export, and a return visit's "no" opening one ticket per call."""
import csv
import io
import json

import pytest
from test_voice_notices import Book

from appliance.errors import InputError
from appliance.tickets.models import Ticket
from appliance.voice import campaigns, surveys
from appliance.voice.models import CallAnswer, CallAttempt, VoiceCampaign

SCRIPT = [{"text": "您对本次服务满意吗？", "type": "scale"},
          {"text": "您会推荐给朋友吗？", "type": "yes_no"},
          {"text": "您最常用哪种缴费方式？", "type": "choice", "options": ["银行转账", "微信", "现金"]}]


@pytest.mark.parametrize("script, field, message", [
    ("[", "script", "script: not JSON (Expecting value)"),
    ({"text": "好吗"}, "script", "script: must be a list of questions"),
    ([SCRIPT[0], {"type": "scale"}], "script[2].text", "script[2].text: question 2 has no text"),
    ([{"text": "好吗", "type": "stars"}], "script[1].type",
     "script[1].type: question 1: type must be scale, yes_no or choice"),
    ([{"text": "哪个", "type": "choice", "options": ["只有一个"]}], "script[1].options",
     "script[1].options: question 1: a choice needs 2 to 8 options, each a text"),
    ([SCRIPT[1], {"text": "几分", "type": "scale", "options": ["a", "b"]}], "script[2].options",
     "script[2].options: question 2: only a choice has options"),
    (["好吗"], "script[1].text", "script[1].text: question 1 must be an object with text and type"),
])
def test_a_bad_script_is_refused_naming_the_question_and_field(database, script, field, message):
    with pytest.raises(InputError) as err:
        campaigns.create_campaign("survey", ["13800000001"], kind="survey", script=script)
    assert (err.value.field, str(err.value)) == (field, message)
    assert VoiceCampaign.select().count() == 0


def test_a_survey_needs_questions_and_stores_them_checked(database):
    with pytest.raises(InputError, match="^script: a survey needs its questions$"):
        campaigns.create_campaign("survey", ["13800000001"], kind="survey")
    campaign = campaigns.create_campaign("survey", ["13800000001"], kind="survey",
                                         script=json.dumps([dict(SCRIPT[2], text="  哪种？ ", extra=1)]))
    assert json.loads(campaign.script) == [{"text": "哪种？", "type": "choice", "options": ["银行转账", "微信", "现金"]}]


def answer_all(attempt, answers):
    for index, answer in enumerate(answers):
        if answer is not None:
            surveys.record_answer(attempt.id, index, answer)


def test_answers_are_stored_as_keyed_and_the_last_one_completes_the_attempt(database):
    campaign = campaigns.create_campaign("survey", ["13800000001"], kind="survey", script=SCRIPT)
    attempt = CallAttempt.get(CallAttempt.campaign == campaign.id)
    surveys.record_answer(attempt.id, 0, "4")
    surveys.record_answer(attempt.id, 1, "yes")
    assert CallAttempt.get_by_id(attempt.id).result == ""  # one question left
    surveys.record_answer(attempt.id, 2, "2")
    done = CallAttempt.get_by_id(attempt.id)
    assert (done.result, done.keys) == ("completed", "412")
    assert [(a.question, a.answer) for a in CallAnswer.select().order_by(CallAnswer.question)] == [
        (0, "4"), (1, "yes"), (2, "2")]
    assert campaigns.summary(campaign.id)["results"]["completed"] == 1


def test_tallies_count_each_answer_and_average_the_scales_and_the_csv_has_a_column_per_question(database):
    numbers = ["13800000001", "13800000002", "13800000003", "13800000004"]
    campaign = campaigns.create_campaign("survey", numbers, kind="survey", script=SCRIPT)
    attempts = list(CallAttempt.select().where(CallAttempt.campaign == campaign.id).order_by(CallAttempt.id))
    answer_all(attempts[0], ["5", "yes", "1"])
    answer_all(attempts[1], ["4", "no", "3"])
    answer_all(attempts[2], ["4"])  # hung up after the first question
    tallies = surveys.tallies(campaign.id)
    assert tallies[0] == {"question": 0, "text": "您对本次服务满意吗？", "type": "scale", "answered": 3,
                          "counts": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}, "average": 4.33}
    assert (tallies[1]["counts"], tallies[1]["average"]) == ({"yes": 1, "no": 1}, None)
    assert tallies[2]["counts"] == {"1": 1, "2": 0, "3": 1}
    out = io.StringIO()
    assert surveys.write_csv(campaign.id, out) == 4
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["号码", "结果", "通话秒数", "Q1 您对本次服务满意吗？", "Q2 您会推荐给朋友吗？", "Q3 您最常用哪种缴费方式？"]
    assert rows[1:] == [["13800000001", "completed", "", "5", "是", "银行转账"],
                        ["13800000002", "completed", "", "4", "否", "现金"],
                        ["13800000003", "", "", "4", "", ""],
                        ["13800000004", "", "", "", "", ""]]
    english = io.StringIO()
    surveys.write_csv(campaign.id, english, language="en")
    assert list(csv.reader(io.StringIO(english.getvalue())))[2][:5] == ["13800000002", "completed", "", "4", "no"]


@pytest.fixture
def book(database):
    return Book()


def return_visit(book, config):
    holder = book.customer()
    policy = book.policy(holder, "886010000001")
    campaign = campaigns.create_campaign("new policies", kind="return_visit", customers=[{"customer": holder.id}],
                                         config=config)
    return CallAttempt.get(CallAttempt.campaign == campaign.id), policy


def test_a_return_visit_is_the_built_in_script_about_the_customers_new_policy(book, config):
    attempt, policy = return_visit(book, config)
    questions = surveys.questions_of(attempt.campaign)
    assert [q["prompt"] for q in questions] == list(surveys.RETURN_VISIT_PROMPTS)
    assert all(q["type"] == "yes_no" for q in questions) and "投保人" in questions[0]["text"]
    facts = json.loads(attempt.variables)
    assert (facts["name"], facts["product"], facts["policy_no"]) == ("张伟", "安康终身寿险", "886010000001")
    assert attempt.policy_id == policy.id
    with pytest.raises(InputError, match="^customers: a return visit calls customers about their policies$"):
        campaigns.create_campaign("rv", ["13800000001"], kind="return_visit")
    nobody = book.customer("王芳", "F")
    with pytest.raises(InputError, match=r"^customers\[1\]: C00002 holds no policy $"):
        campaigns.create_campaign("rv", kind="return_visit", customers=[{"customer": nobody.id}], config=config)


def test_a_return_visit_no_opens_one_ticket_per_call_carrying_policy_question_and_number(book, config):
    attempt, policy = return_visit(book, config)
    assert surveys.record_answer(attempt.id, 0, "yes") is None  # the policyholder: no ticket
    ticket = surveys.record_answer(attempt.id, 1, "no")  # no contract received
    assert (ticket.kind, ticket.source, ticket.policy_id, ticket.caller) == ("return-visit", "voice", policy.id,
                                                                             "+8613800000001")
    assert "886010000001" in ticket.text and "是否收到保险合同" in ticket.text and "13800000001" in ticket.text
    again = surveys.record_answer(attempt.id, 3, "no")  # not signed in person either: the same ticket
    assert again.id == ticket.id and "是否本人亲笔签名" in again.text
    assert Ticket.select().count() == 1
    assert ticket.number in CallAttempt.get_by_id(attempt.id).detail
