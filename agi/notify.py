"""The answered leg of a campaign call (FastAGI scripts `notify` and `survey`).

The dialplan ([appliance-answered] in extensions_outbound.conf) runs
AGI(agi://…/notify?attempt=ID) on the answered leg of every campaign call; the campaign's
kind picks the flow, so one answered context serves every kind (`survey` is routed here
too, for dialplans that name it): a survey or return visit goes to agi/survey.py, a
notice is played here.

The notice: the campaign's free text, or its notice type's text from the SMS notice
catalogue filled with the attempt's facts (appliance/voice/notices.py) — amounts, dates
and numbers composed from prompts (agi/speech.py), words spoken into the prompt cache.
Then the keys (fixed prompts in appliance/ivr/prompts.toml): 1 confirms, 2 asks for a
callback (a ticket for the branch), 9 repeats, 8 puts the number on the do-not-call list.
Only a key proves a person heard it: the dialer records 'answered' (with talk seconds) for
a call that ended without one.

Every write goes through the server's writer thread; the call record is kept like an IVR
call's, under the flow's script name.
"""
import datetime
import json
import logging

from agi import survey
from agi.channel import CallerHungUp, parse_script
from agi.ivr import _quietly_hang_up, start_session
from agi.session import EndCall
from appliance.ivr import calls
from appliance.voice import notices
from appliance.voice.models import CallAttempt, VoiceCampaign

log = logging.getLogger(__name__)

KEYS = "1289"
MAX_PLAYS = 3
FLOWS = {"survey": survey.run, "return_visit": survey.run}  # kinds not played here


def handle_call(channel, context, script="notify"):
    """Serve one answered campaign call; returns the finished call record."""
    _, query = parse_script(channel.env.get("agi_network_script", ""))
    attempt = notices.attempt_for(query.get("attempt"))
    flow = FLOWS.get(attempt.campaign.kind, play_notice) if attempt is not None else None
    session = start_session(channel, context, "survey" if flow is survey.run else "notify")
    if attempt is not None and attempt.customer is not None and attempt.customer.language in ("zh", "en"):
        session.language = attempt.customer.language
    outcome = "completed"
    try:
        if attempt is None:
            log.warning("notify call without a known attempt (%r); hanging up", query.get("attempt"))
            raise EndCall("completed")
        flow(session, attempt)
        _quietly_hang_up(channel)
    except EndCall as end:
        outcome = end.outcome
        _quietly_hang_up(channel)
    except CallerHungUp:
        outcome = "caller_hung_up"
    except Exception:
        log.exception("%s call for attempt %s failed at %s", session.call.script, getattr(attempt, "id", None),
                      session.where)
        outcome = "error"
        _quietly_hang_up(channel)
    session.call_id  # noqa: B018  (waits: the start is committed before the end is written)
    session.write(calls.finish_call, session.call, outcome, ended_in=session.where)
    return session.call


def play_notice(session, attempt):
    items = notice_items(session, attempt)
    for _ in range(MAX_PLAYS):
        session.enter("notice")
        key = session.ask_key([*items, "notice_keys"], KEYS, retries=0)
        if not key:
            session.play("notice_goodbye", escape="")
            return
        session.write(notices.pressed, attempt.id, key)
        if key == "9":
            continue
        if key == "1":
            session.enter("confirmed")
            session.play("notice_confirmed", escape="")
        elif key == "2":
            call_back(session, attempt)
        elif key == "8":
            do_not_call(session, attempt)
        return


def call_back(session, attempt, prompt="notice_callback"):
    session.enter("callback")
    ticket = session.write(notices.callback, attempt.id, call_id=session.call_id)
    session.call.note(f"ticket {ticket.number} (callback)")
    session.play(prompt, escape="")


def do_not_call(session, attempt):
    session.enter("do_not_call")
    session.write(notices.do_not_call, attempt.id)
    session.play("notice_do_not_call", escape="")


def notice_items(session, attempt):
    """What the callee hears as the notice, as play() items, each already spoken into the
    cache (so no synthesis falls between two prompts, where a key would be lost)."""
    campaign = attempt.campaign
    if not campaign.notice_type:
        items = [spoken(session, campaign.text or campaign.name)]
    else:
        values = json.loads(attempt.variables or "{}")
        text = notices.notice_text(campaign.notice_type, session.language)
        items = [word for how, value in notices.parts(text, values) for word in said(session, how, value)]
    for item in items:
        if isinstance(item, tuple):
            template, language, text = item
            session.finder.spoken(text, language, template)
    return items


def said(session, how, value):
    """Prompt names for money, a date or digits; the words spoken otherwise (a value that
    is not what its name promises is read out as it is)."""
    words = []
    try:
        if how == "money":
            words = session.say_money(value)
        elif how == "date":
            words = session.say_date(datetime.date.fromisoformat(value))
        elif how == "digits":
            words = session.say_digits(value)
    except ValueError:
        words = []
    return words or [spoken(session, value)]


def spoken(session, text):
    """Words in the callee's language's voice (Mandarin for Chinese callers)."""
    return ("spoken_text", session.language, text)


def warm(finder, campaign_id, language="zh", limit=50):
    """Speak a notice campaign's texts into the prompt cache before its calls (the first
    `limit` attempts: a type's words are mostly the same for every customer)."""
    campaign = VoiceCampaign.get_by_id(campaign_id)
    if campaign.kind in FLOWS:  # a survey speaks its questions when its call starts
        return 0
    built = 0
    for attempt in CallAttempt.select().where(CallAttempt.campaign == campaign_id).limit(limit):
        lang = attempt.customer.language if attempt.customer is not None else language
        if campaign.notice_type:
            values = json.loads(attempt.variables or "{}")
            texts = [v for how, v in notices.parts(notices.notice_text(campaign.notice_type, lang), values)
                     if how == "text"]
        else:
            texts = [campaign.text or campaign.name]
        built += sum(1 for text in texts if finder.spoken(text, lang))
    return built
