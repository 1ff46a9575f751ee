"""What the voice notice writes while a callee listens: keys, confirmations, callbacks,
do-not-call. Called from agi/notify.py through the FastAGI server's writer thread."""
import logging

from appliance.db import write_transaction
from appliance.errors import InputError
from appliance.ivr import tickets
from appliance.services import optout
from appliance.voice.models import CallAttempt

log = logging.getLogger(__name__)


def pressed(attempt_id, key):
    """Note a key the callee pressed; 1 makes the attempt `confirmed` (the dialer keeps it
    when it writes the call's end)."""
    with write_transaction():
        attempt = CallAttempt.get_by_id(attempt_id)
        updates = {"keys": (attempt.keys + key)[-32:]}
        if key == "1" and attempt.result in ("", "answered"):
            updates["result"] = "confirmed"
        CallAttempt.update(updates).where(CallAttempt.id == attempt_id).execute()


def callback(attempt_id, call_id=None):
    """Key 2: a callback ticket for the branch, naming the campaign."""
    attempt = CallAttempt.get_by_id(attempt_id)
    ticket = tickets.open_ticket("callback", "ivr", number=attempt.number, customer=attempt.customer,
                                 text=f"voice notice {attempt.campaign.name!r}: callback asked (key 2)",
                                 call_id=call_id)
    note(attempt_id, f"ticket {ticket.number}")
    return ticket


def do_not_call(attempt_id):
    """Key 8: the number goes on the do-not-call list (dnd); True when it was added."""
    attempt = CallAttempt.get_by_id(attempt_id)
    try:
        added = optout.add(attempt.number, kind="dnd", reason=f"key 8 in voice notice {attempt.campaign_id}",
                           source="ivr")
    except InputError as exc:  # not a number the list takes (a test number, an extension)
        log.warning("attempt %s: key 8 but %s", attempt_id, exc)
        added = False
    note(attempt_id, "do-not-call (key 8)")
    return added


def note(attempt_id, text):
    with write_transaction():
        attempt = CallAttempt.get_by_id(attempt_id)
        detail = f"{attempt.detail}; {text}" if attempt.detail else text
        CallAttempt.update(detail=detail).where(CallAttempt.id == attempt_id).execute()


def attempt_for(attempt_id):
    """The attempt a notify call is about (None when the id is unknown)."""
    try:
        return CallAttempt.get_or_none(CallAttempt.id == int(attempt_id))
    except (TypeError, ValueError):
        return None

