"""The voice notice (FastAGI script `notify`): played to a callee who answered a campaign call.

The dialplan ([appliance-answered] in extensions_outbound.conf) runs
AGI(agi://…/notify?attempt=ID) on the answered leg. The callee hears the notice, then the
keys: 1 confirms, 2 asks for a callback (a ticket for the branch), 9 repeats, 8 puts the
number on the do-not-call list. Only a key proves a person heard it: the dialer records
'answered' (with talk seconds) for a call that ended without one.

Every write goes through the server's writer thread; the call record (script 'notify')
is kept like an IVR call's.
"""
import logging

from agi.channel import CallerHungUp, parse_script
from agi.ivr import _quietly_hang_up, start_session
from agi.session import EndCall
from appliance.ivr import calls
from appliance.voice import notices

log = logging.getLogger(__name__)

# Spoken with the dynamic-prompt cache until they get fixed prompts in prompts.toml.
WORDS = {
    "zh": {"keys": "确认收到请按1，需要回电请按2，重听请按9，不希望再接到此类电话请按8。",
           "confirmed": "感谢您的确认，再见。", "callback": "好的，我们会尽快给您回电，再见。",
           "do_not_call": "好的，我们将不再拨打您的电话，再见。", "goodbye": "再见。"},
    "en": {"keys": "To confirm, press 1. For a call back, press 2. To hear it again, press 9. "
                   "To receive no more such calls, press 8.",
           "confirmed": "Thank you for confirming. Goodbye.", "callback": "We will call you back soon. Goodbye.",
           "do_not_call": "We will not call you again. Goodbye.", "goodbye": "Goodbye."},
}
KEYS = "1289"
MAX_PLAYS = 3


def handle_call(channel, context, script="notify"):
    """Serve one answered campaign call; returns the finished call record."""
    _, query = parse_script(channel.env.get("agi_network_script", ""))
    attempt = notices.attempt_for(query.get("attempt"))
    session = start_session(channel, context, script)
    outcome = "completed"
    try:
        if attempt is None:
            log.warning("notify call without a known attempt (%r); hanging up", query.get("attempt"))
            raise EndCall("completed")
        play_notice(session, attempt)
        _quietly_hang_up(channel)
    except EndCall as end:
        outcome = end.outcome
        _quietly_hang_up(channel)
    except CallerHungUp:
        outcome = "caller_hung_up"
    except Exception:
        log.exception("notify call for attempt %s failed at %s", getattr(attempt, "id", None), session.where)
        outcome = "error"
        _quietly_hang_up(channel)
    session.call_id
    session.write(calls.finish_call, session.call, outcome, ended_in=session.where)
    return session.call


def words(session, name):
    return session.text(WORDS.get(session.language, WORDS["zh"])[name])


def play_notice(session, attempt):
    text = attempt.campaign.text or attempt.campaign.name
    for _ in range(MAX_PLAYS):
        session.enter("notice")
        key = session.ask_key([session.text(text), words(session, "keys")], KEYS, retries=0)
        if not key:
            session.play(words(session, "goodbye"), escape="")
            return
        session.write(notices.pressed, attempt.id, key)
        if key == "9":
            continue
        if key == "1":
            session.enter("confirmed")
            session.play(words(session, "confirmed"), escape="")
        elif key == "2":
            session.enter("callback")
            ticket = session.write(notices.callback, attempt.id, call_id=session.call_id)
            session.call.note(f"ticket {ticket.number} (callback)")
            session.play(words(session, "callback"), escape="")
        elif key == "8":
            session.enter("do_not_call")
            session.write(notices.do_not_call, attempt.id)
            session.play(words(session, "do_not_call"), escape="")
        return
