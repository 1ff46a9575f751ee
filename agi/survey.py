"""A phone survey or return visit (回访) on the answered leg of a campaign call (run from
agi/notify.py, which picks the flow by the campaign's kind).

The callee hears an introduction that offers 2 (call me at another time: a callback
ticket) and 8 (no more such calls: the do-not-call list); 1, another key or silence starts
the questions. Keys 2 and 8 work only there: in the questions they are answers (scales 1–5,
yes 1 / no 2, options 1..n). Each question is asked with its keys and asked again on a
wrong or no key, up to RETRIES times; then the call ends (a person who keys nothing has
gone). Each answer is committed through the server's writer before the next question is
played, so a hangup loses none; the last one makes the attempt `completed`, and a return
visit's "no" opens the branch's ticket (appliance/voice/surveys.py).
"""
import json
import logging

from appliance.ivr.prompt_files import catalogue, fill
from appliance.voice import notices, surveys

log = logging.getLogger(__name__)

RETRIES = 2             # a question is asked at most 1 + RETRIES times
INTRO_WAIT_MS = 1500    # after the introduction, before the first question
ANSWER_WAIT_MS = 5000


def run(session, attempt):
    questions = surveys.questions_of(attempt.campaign)
    asked = [question_items(session, attempt, q) for q in questions]
    for item in (i for items in asked for i in items if isinstance(i, tuple)):
        template, language, text = item  # spoken now: a synthesis between two prompts would lose a key
        session.finder.spoken(text, language, template)
    session.enter("intro")
    intro = "return_visit_intro" if attempt.campaign.kind == "return_visit" else "survey_intro"
    key = session.ask_key([intro], "128", timeout_ms=INTRO_WAIT_MS, retries=0)
    if key in ("2", "8"):
        session.write(notices.pressed, attempt.id, key)
        if key == "2":
            session.enter("callback")
            ticket = session.write(notices.callback, attempt.id, call_id=session.call_id)
            session.call.note(f"ticket {ticket.number} (callback)")
            session.play("survey_callback", escape="")
        else:
            session.enter("do_not_call")
            session.write(notices.do_not_call, attempt.id)
            session.play("notice_do_not_call", escape="")
        return
    for index, question in enumerate(questions):
        if not ask(session, attempt, index, question, asked[index]):
            session.play("notice_goodbye", escape="")
            return
    session.enter("thanks")
    session.play("survey_thanks", escape="")


def ask(session, attempt, index, question, items):
    """Ask one question (its prompt `items`) and store its answer; False when none came."""
    session.enter(f"q{index + 1}")
    key = session.ask_key(items, surveys.keys_of(question),
                          timeout_ms=ANSWER_WAIT_MS, retries=RETRIES)
    if not key:
        return False
    ticket = session.write(surveys.record_answer, attempt.id, index, surveys.answer_of(question, key),
                           call_id=session.call_id)
    if ticket is not None:
        session.call.note(f"ticket {ticket.number} (return visit)")
    return True


def question_items(session, attempt, question):
    """The question, then its keys (unless its text names them), as play() items."""
    language = session.language
    name = question.get("prompt")
    entry = catalogue().get(name) if name else None
    if entry is None:
        text = question.get("text_en") if language == "en" and question.get("text_en") else question["text"]
        items = [("spoken_text", language if question.get("text_en") else "zh", text)]
    elif entry.get("dynamic"):
        facts = attempt_facts(attempt)
        items = [filled(session, name, name=facts.get("name", ""), product=facts.get("product", ""))]
    else:
        items = [name]
    if entry is not None and entry.get("says_keys"):
        return items
    if question["type"] == "scale":
        return items + ["survey_scale"]
    if question["type"] == "yes_no":
        return items + ["survey_yes_no"]
    return items + [filled(session, "survey_option", text=option, key=n)
                    for n, option in enumerate(question["options"], 1)]


def filled(session, template, **fields):
    """A dynamic catalogue entry filled in, as a spoken item in the callee's language."""
    entry = catalogue()[template]
    language = session.language if session.language in entry else "zh"
    return ("spoken_text", language, fill(entry[language], session.config, **fields))


def attempt_facts(attempt):
    try:
        return json.loads(attempt.variables or "{}")
    except ValueError:
        log.warning("attempt %s: facts are not JSON; spoken without them", attempt.id)
        return {}
