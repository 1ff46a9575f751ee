"""Voice notices: what a catalogue notice says to one customer (its facts, stored per
attempt at creation, and its text as parts to speak), and what the notice writes while a
callee listens: keys, confirmations, callbacks, do-not-call (called from agi/notify.py
through the FastAGI server's writer thread)."""
import logging
import string

from appliance.db import write_transaction
from appliance.errors import InputError
from appliance.ivr import tickets
from appliance.models import Payment
from appliance.services import notices as catalogue
from appliance.services import optout
from appliance.services.templates import Renderer, common_variables, get
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
    ticket = tickets.open_ticket("callback", "voice", number=attempt.number, customer=attempt.customer,
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



# --- what a catalogue notice says to one customer ---------------------------------------
# The notice's text is the SMS catalogue's (appliance/services/notice_templates.toml, with
# admins' edits); its facts are stored per attempt at creation, in a form that speaks
# exactly: amounts as decimal strings, dates ISO. In the call the text becomes parts, each
# spoken its own way (agi/notify.py): words, money, a date, digits.
MONEY_FACTS = frozenset({"amount", "sum_assured"})
DATE_FACTS = frozenset({"due_date", "grace_end", "maturity_date", "paid_on"})
DIGIT_FACTS = frozenset({"policy_no", "claim_no", "hotline", "agent_mobile"})


def facts(kind, config, customer, policy=None, claim=None, extra=None):
    """The facts catalogue notice `kind` speaks for one customer (and policy or claim)."""
    values = {"name": customer.name, "salutation": customer.salutation}
    if claim is not None:
        values.update(catalogue.claim_variables(claim, config), paid_on=_iso(claim.paid_on))
        policy = claim.policy
    elif policy is not None:
        values.update(catalogue.policy_variables(policy, customer.language, config))
        if kind in catalogue.PAYMENT_EVENTS:
            values.update(_latest_payment(policy, catalogue.PAYMENT_EVENTS[kind]))
        if kind in catalogue.AMOUNT_FROM_EVENT:
            values["amount"] = ""  # only the caller's own amount: the premium is not a dividend
    if policy is not None:
        values.update(due_date=_iso(policy.next_due_date), grace_end=_iso(policy.grace_end),
                      maturity_date=_iso(policy.maturity_date))
    values.update({k: str(v) for k, v in (extra or {}).items()})
    values.update(common_variables(config))
    return values


def _iso(day):
    return day.isoformat() if day is not None else ""


def _latest_payment(policy, status):
    payment = (Payment.select().where(Payment.policy == policy, Payment.status == status)
               .order_by(Payment.paid_on.desc(), Payment.id.desc()).first())
    if payment is None:
        return {"amount": "", "paid_on": "", "reason": ""}
    return {"amount": f"{payment.amount:.2f}", "paid_on": _iso(payment.paid_on),
            "reason": payment.failure_reason or "-"}


def missing_fact(kind, values, language, claim_status=None, config=None):
    """(field, reason) when notice `kind` cannot be said with `values` (a fact it speaks is
    empty, or a claim's status contradicts it), else None."""
    return catalogue.withheld_reason(kind, values, Renderer(kind, config), language, claim_status)


def parts(text, values):
    """The template `text` filled with `values`, as [(how, value)]: how is 'text', 'money',
    'date' or 'digits'. A fact the values lack is left out (the call goes on)."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(text):
        if literal:
            out.append(("text", literal))
        if not name:
            continue
        value = str(values.get(name) or "")
        if not value:
            log.warning("voice notice: no value for {%s}; left out", name)
            continue
        how = ("money" if name in MONEY_FACTS else "date" if name in DATE_FACTS
               else "digits" if name in DIGIT_FACTS and value.isdigit() else "text")
        out.append((how, value))
    merged = []
    for how, value in out:  # adjacent words become one spoken prompt
        if how == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + value)
        else:
            merged.append((how, value))
    return merged


def notice_text(kind, language):
    """The catalogue's text of notice `kind` in `language` (an admin's edit first)."""
    return get(kind, language)[0]
