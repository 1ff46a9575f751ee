"""Phone surveys and return visits (回访): the questions, the answers keyed in a call, and
what a campaign's answers add up to.

A script is JSON, a list of questions: {"text": …, "type": "scale" | "yes_no" | "choice",
"options": […] (choice only, keyed 1..n)}; "text_en" may give the English words. Answers
are stored as they are keyed (CallAnswer, one per question): a scale as "1".."5", yes/no
as "yes"/"no", a choice as the option's key "1".."n".

The return visit of a new policy is a built-in script (RETURN_VISIT): its questions are
fixed prompts (appliance/ivr/prompts.toml), and each "no" (or "not me") opens one ticket
per call for the branch, carrying the policy, the question and the number.
"""
import csv
import json
import logging

from appliance.db import write_transaction
from appliance.errors import N_, InputError
from appliance.ivr import tickets
from appliance.tickets.models import Ticket
from appliance.ivr.prompt_files import catalogue
from appliance.voice.models import CallAnswer, CallAttempt, VoiceCampaign

log = logging.getLogger(__name__)

TYPES = ("scale", "yes_no", "choice")
MAX_QUESTIONS = 20
MAX_OPTIONS = 8  # keys 1..8: 9 and 0 stay free
SCALE = ("1", "2", "3", "4", "5")
YES_NO = {"1": "yes", "2": "no"}
# What an answer reads as in the export and the tallies, Chinese first.
ANSWER_WORDS = {"yes": ("是", "yes"), "no": ("否", "no")}

# The new-policy return visit: prompt names (with their zh text as the question's label).
RETURN_VISIT_PROMPTS = ("return_visit_holder", "return_visit_contract", "return_visit_explained",
                        "return_visit_signed")


def return_visit_script():
    """The built-in return-visit questions, every one yes/no; "no" means something went wrong."""
    return [{"text": catalogue()[name]["label"], "type": "yes_no", "prompt": name} for name in RETURN_VISIT_PROMPTS]


def parse_script(text):
    """A script's questions from its JSON (a str, or a list already); InputError naming the
    question (from 1) and the field at the first fault."""
    try:
        questions = json.loads(text) if isinstance(text, (str, bytes)) else text
    except ValueError as exc:
        raise InputError.of(N_("{field}: not JSON ({reason})"), field="script", reason=exc.msg) from None
    if not isinstance(questions, list) or not questions:
        raise InputError.of(N_("{field}: must be a list of questions"), field="script")
    if len(questions) > MAX_QUESTIONS:
        raise InputError.of(N_("{field}: at most {count} questions"), field="script", count=MAX_QUESTIONS)
    return [_check_question(n, q) for n, q in enumerate(questions, 1)]


def _check_question(number, question):
    def fault(field, msgid, **values):
        return InputError.of(msgid, field=f"script[{number}].{field}", **values)
    if not isinstance(question, dict):
        raise fault("text", N_("{field}: question {number} must be an object with text and type"), number=number)
    text = question.get("text")
    if not isinstance(text, str) or not text.strip():
        raise fault("text", N_("{field}: question {number} has no text"), number=number)
    kind = question.get("type")
    if kind not in TYPES:
        raise fault("type", N_("{field}: question {number}: type must be scale, yes_no or choice"), number=number)
    checked = {"text": text.strip(), "type": kind}
    options = question.get("options")
    if kind == "choice":
        if (not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS
                or not all(isinstance(o, str) and o.strip() for o in options)):
            raise fault("options", N_("{field}: question {number}: a choice needs 2 to {most} options, each a text"),
                        number=number, most=MAX_OPTIONS)
        checked["options"] = [o.strip() for o in options]
    elif options is not None:
        raise fault("options", N_("{field}: question {number}: only a choice has options"), number=number)
    for extra in ("text_en", "prompt"):
        if isinstance(question.get(extra), str) and question[extra].strip():
            checked[extra] = question[extra].strip()
    return checked


def keys_of(question):
    """The keys that answer a question."""
    if question["type"] == "scale":
        return "".join(SCALE)
    if question["type"] == "yes_no":
        return "".join(YES_NO)
    return "".join(str(n) for n in range(1, len(question["options"]) + 1))


def answer_of(question, key):
    """The stored answer for a key (None when the key does not answer the question)."""
    if key not in keys_of(question):
        return None
    return YES_NO[key] if question["type"] == "yes_no" else key


def questions_of(campaign):
    return parse_script(campaign.script) if campaign.script else []


# --- answering, in a call (through the FastAGI server's writer) -----------------------

def record_answer(attempt_id, index, answer, call_id=None):
    """Store the answer to question `index` (from 0) in one transaction; when it is the last
    unanswered question the attempt becomes `completed`. A return visit's "no" opens the
    call's ticket (or adds the question to it). Returns the ticket or None."""
    with write_transaction():
        attempt = CallAttempt.get_by_id(attempt_id)
        questions = questions_of(attempt.campaign)
        row = CallAnswer.get_or_none(CallAnswer.attempt == attempt_id, CallAnswer.question == index)
        if row is None:
            CallAnswer.create(attempt=attempt_id, question=index, answer=answer)
        else:
            CallAnswer.update(answer=answer).where(CallAnswer.id == row.id).execute()
        answered = CallAnswer.select().where(CallAnswer.attempt == attempt_id).count()
        updates = {"keys": (attempt.keys + _key_of(answer))[-32:]}
        if answered >= len(questions) and attempt.result in ("", "answered"):
            updates["result"] = "completed"
        CallAttempt.update(updates).where(CallAttempt.id == attempt_id).execute()
        if attempt.campaign.kind == "return_visit" and answer == "no":
            return _return_visit_ticket(attempt, questions[index], call_id)
    return None


def _key_of(answer):
    return {v: k for k, v in YES_NO.items()}.get(answer, answer)


def _tag(attempt):
    return f"[voice attempt {attempt.id}]"


def _return_visit_ticket(attempt, question, call_id):
    """One ticket per attempt: the first "no" opens it, a later one is added to its text."""
    line = f"{question['text']}: {ANSWER_WORDS['no'][0]} / no"
    ticket = Ticket.get_or_none(Ticket.text.contains(_tag(attempt)))
    if ticket is not None:
        Ticket.update(text=f"{ticket.text}\n{line}").where(Ticket.id == ticket.id).execute()
        return Ticket.get_by_id(ticket.id)
    policy = attempt.policy
    head = (f"新契约回访未通过 / return visit not passed {_tag(attempt)}: "
            f"保单 policy {policy.policy_no if policy else '-'}, 电话 number {attempt.number}")
    # Its own category (service level tickets.sla's return-visit) from an outbound call, as
    # the figures count tickets by category and source.
    ticket = tickets.open_ticket("return-visit", "voice", number=attempt.number, customer=attempt.customer_id,
                                 policy=attempt.policy_id, text=f"{head}\n{line}", call_id=call_id)
    detail = f"{attempt.detail}; ticket {ticket.number}" if attempt.detail else f"ticket {ticket.number}"
    CallAttempt.update(detail=detail).where(CallAttempt.id == attempt.id).execute()
    log.info("return visit attempt %s: %r answered no; ticket %s", attempt.id, question["text"], ticket.number)
    return ticket


# --- what a campaign's answers add up to --------------------------------------------

def tallies(campaign_id):
    """Per question: its text and type, how many answered, the count of each answer, and the
    average of a scale (None before any answer)."""
    questions = questions_of(VoiceCampaign.get_by_id(campaign_id))
    out = [{"question": n, "text": q["text"], "type": q["type"], "answered": 0,
            "counts": {a: 0 for a in _answers(q)}, "average": None} for n, q in enumerate(questions)]
    rows = (CallAnswer.select(CallAnswer.question, CallAnswer.answer).join(CallAttempt)
            .where(CallAttempt.campaign == campaign_id).tuples())
    for index, answer in rows:
        if 0 <= index < len(out) and answer in out[index]["counts"]:
            out[index]["counts"][answer] += 1
            out[index]["answered"] += 1
    for tally in out:
        if tally["type"] == "scale" and tally["answered"]:
            total = sum(int(a) * n for a, n in tally["counts"].items())
            tally["average"] = round(total / tally["answered"], 2)
    return out


def _answers(question):
    return [YES_NO[k] for k in keys_of(question)] if question["type"] == "yes_no" else list(keys_of(question))


def write_csv(campaign_id, out, language="zh"):
    """One row per attempt (number, result, talk seconds) and a column per question, answers
    in words (是/否, the option's text, the scale's digit); returns the rows written."""
    questions = questions_of(VoiceCampaign.get_by_id(campaign_id))
    writer = csv.writer(out)
    head = ("号码", "结果", "通话秒数") if language == "zh" else ("number", "result", "talk seconds")
    writer.writerow([*head, *(f"Q{n} {q['text']}" for n, q in enumerate(questions, 1))])
    answers = {}
    for attempt_id, index, answer in (CallAnswer.select(CallAnswer.attempt, CallAnswer.question, CallAnswer.answer)
                                      .join(CallAttempt).where(CallAttempt.campaign == campaign_id).tuples()):
        answers.setdefault(attempt_id, {})[index] = answer
    count = 0
    for attempt in (CallAttempt.select().where(CallAttempt.campaign == campaign_id).order_by(CallAttempt.id)):
        given = answers.get(attempt.id, {})
        writer.writerow([attempt.number, attempt.result, "" if attempt.talk_seconds is None else attempt.talk_seconds,
                         *(_word(q, given.get(n), language) for n, q in enumerate(questions))])
        count += 1
    return count


def _word(question, answer, language):
    if answer is None:
        return ""
    if answer in ANSWER_WORDS:
        return ANSWER_WORDS[answer][0 if language == "zh" else 1]
    if question["type"] == "choice" and answer.isdigit() and 0 < int(answer) <= len(question["options"]):
        return question["options"][int(answer) - 1]
    return answer
