"""The customer asks a ticket's state: by SMS ("GD 2611300004") or in the IVR (keys it).

Who may hear which ticket: only a number the ticket belongs to — the number it was
opened from or for (Ticket.caller: the caller, the SMS sender, the number a callback was
asked to), or the registered mobile of its customer. Other phones on file are not
enough: they are often shared (a family landline, an office switchboard), and the
answer is as personal as a policy's, which the CX/JF/LP keywords also tell only the
registered mobile. A withheld or unparsable number owns nothing.

Everyone else gets exactly what a wrong or made-up number gets ("no such ticket for this
number"), so nobody can probe other people's tickets. Wrong tries are limited: once a
number has had `tickets.query_tries_per_day` questions unanswered in the box's day,
every further question that day, right or wrong, gets the limit answer. Every question is a
TicketQuery row, committed with (SMS: in the same transaction as) the answer it got.

The state is told in the customer's words: assigned, in progress and returned (the
front desk sent an answer back for re-handling) are all "being handled"; the answer
is told once answered or closed; the due time while open.
"""
import logging
import unicodedata
from dataclasses import dataclass

from appliance import clock, phones
from appliance.db import write_transaction
from appliance.models import Customer
from appliance.privacy import mask_mobile
from appliance.tickets.models import Ticket, TicketQuery

log = logging.getLogger(__name__)

MAX_LISTED = 3        # "GD" alone lists this many of the sender's latest tickets
ANSWER_CHARS = 140    # the answer quoted in an SMS: about two SMS parts with the rest
CUSTOMER_STATES = {"new": "new", "assigned": "in_progress", "in_progress": "in_progress",
                   "returned": "in_progress", "answered": "answered", "closed": "closed"}


@dataclass
class Answer:
    """What the asker is told: a ticket of theirs, or none (limited: too many misses today)."""
    ticket: Ticket | None
    limited: bool = False

    @property
    def state(self):
        return CUSTOMER_STATES[self.ticket.status]

    @property
    def answer(self):
        """The latest answer, once the customer may hear it."""
        return self.ticket.resolution if self.state in ("answered", "closed") else ""

    @property
    def due_at(self):
        return self.ticket.due_at if self.state in ("new", "in_progress") else None


def keyed_number(text):
    """The ticket number as typed: full-width digits, spaces and dashes allowed."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(ch for ch in text if ch not in " -#:：")


def belongs_to(ticket, number):
    """True when `number` (E.164) may hear this ticket (see the module docstring)."""
    if not number:
        return False
    if ticket.caller == number:
        return True
    return ticket.customer_id is not None and Customer.select().where(
        Customer.id == ticket.customer_id, Customer.mobile == number).exists()


def misses_today(number, now=None):
    start = clock.day_start(clock.today(now))
    return (TicketQuery.select().where(TicketQuery.number == number, TicketQuery.found == False,
                                       TicketQuery.at >= start).count())


def ask(number, keyed, channel, *, tries_per_day, now=None):
    """Answer `number` asking for ticket `keyed` by `channel` ('sms' or 'ivr'), logged
    and committed. Runs inside the caller's transaction when there is one."""
    now = now or clock.now()
    asker = phones.as_received(number)  # E.164 when it parses
    keyed = keyed_number(keyed)[:40]
    with write_transaction():
        limited = misses_today(asker, now) >= tries_per_day
        ticket = None if limited else Ticket.get_or_none(Ticket.number == keyed)
        if ticket is not None and not belongs_to(ticket, phones.e164_or_none(number)):
            ticket = None
        TicketQuery.create(at=now, number=asker, channel=channel, keyed=keyed,
                           ticket_id=ticket.id if ticket else None, found=ticket is not None)
    log.info("ticket query by %s (%s): %s", mask_mobile(asker), channel,
             "limited" if limited else "told" if ticket else "no such ticket for this number")
    return Answer(ticket, limited)


def tickets_of(number, limit=MAX_LISTED):
    """The latest tickets `number` may hear, newest first."""
    number = phones.e164_or_none(number)
    if number is None:
        return []
    mine = Ticket.caller == number
    customers = Customer.select(Customer.id).where(Customer.mobile == number)
    return list(Ticket.select().where(mine | Ticket.customer.in_(customers))
                .order_by(Ticket.id.desc()).limit(limit))


# --- the SMS answer (texts in appliance/services/notice_templates.toml) ------------------

def sms_reply(answer, word, language):
    """(template key, variables) for an Answer; `word(table, key, language)` gives words."""
    if answer.limited:
        return "reply_ticket_limited", {}
    if answer.ticket is None:
        return "reply_ticket_unknown", {}
    variables = {"ticket_no": answer.ticket.number,
                 "status": word("ticket_status", answer.state, language)}
    if answer.answer:
        text = answer.answer if len(answer.answer) <= ANSWER_CHARS else answer.answer[:ANSWER_CHARS - 1] + "…"
        return "reply_ticket_answered", {**variables, "answer": text}
    if answer.due_at:
        return "reply_ticket_open", {**variables, "due": clock.format(answer.due_at, "%m-%d %H:%M")}
    return "reply_ticket_open_no_due", variables


def sms_list(tickets, word, language):
    """(template key, variables) for "GD" alone: the sender's latest tickets."""
    if not tickets:
        return "reply_ticket_none", {}
    sep = "；" if language == "zh" else "; "
    lines = sep.join(f"{t.number} {word('ticket_status', CUSTOMER_STATES[t.status], language)}" for t in tickets)
    return "reply_ticket_list", {"lines": lines}
