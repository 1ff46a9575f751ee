"""The tickets' listing: one query and one serialiser shared by `appliance tickets`,
GET /api/v1/tickets and the tickets page (as appliance/sms/history.py is for messages),
and what a ticket's own page shows beside it: its history, the SMS it came from, the
customer's other tickets, calls and messages.

Filters arrive as text from the command line, the API and the page alike and are
checked here, each error naming its field. `number` finds a ticket by its own number
or its caller's number, each in any written form or by its last digits.
"""
from peewee import JOIN

from appliance import clock, listings
from appliance.errors import N_, InputError
from appliance.ivr import calls as ivr_calls
from appliance.privacy import mask_mobile
from appliance.sms import history
from appliance.sms.models import InboundMessage
from appliance.tickets.models import TICKET_KINDS, TICKET_SOURCES, TICKET_STATUSES, Department, Ticket
from appliance.tickets.sla import OPEN_STATUSES  # waiting for an answer: the service level counts
from appliance.voice.listing import number_digits

RELATED_LIMIT = 10  # of each kind on a ticket's page; the listings have the rest


def listing(*, status=None, kind=None, source=None, department=None, assignee=None, overdue=False, number=None,
            since=None, until=None, before=None, limit=listings.PAGE_SIZE, now=None):
    """A Page of tickets, newest first, each with its department (joined: one query).

    `department` an id or a name; `overdue` only tickets past due and not yet answered;
    `since`/`until` days the ticket was opened (both included)."""
    query = Ticket.select(Ticket, Department).join(Department, JOIN.LEFT_OUTER)
    if listings.choice(status, TICKET_STATUSES, "status"):
        query = query.where(Ticket.status == status)
    if listings.choice(kind, TICKET_KINDS, "kind"):
        query = query.where(Ticket.kind == kind)
    if listings.choice(source, TICKET_SOURCES, "source"):
        query = query.where(Ticket.source == source)
    if department:
        text = str(department).strip()
        query = query.where(Department.id == int(text) if text.isdigit() else Department.name == text)
    if assignee:
        query = query.where(Ticket.assignee == assignee.strip())
    if _flag(overdue, "overdue"):
        query = query.where(Ticket.due_at < (now or clock.now()), Ticket.status.in_(OPEN_STATUSES))
    if number:
        digits = number_digits(number)
        query = query.where(Ticket.number.endswith(digits) | Ticket.caller.endswith(digits))
    for condition in listings.day_range(Ticket.created_at, since, until):
        query = query.where(condition)
    return listings.keyset(query, Ticket.id, before, limit)


def _flag(value, field):
    """A yes/no filter from a bool or text ('1', 'true', 'yes'; empty: no)."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise InputError.of(N_("{field}: must be yes or no"), field=field)


def is_overdue(ticket, now=None):
    return bool(ticket.due_at and ticket.status in OPEN_STATUSES and ticket.due_at < (now or clock.now()))


def as_dict(ticket, mask=True, now=None):
    """A ticket for --json, the API and the page: its columns, its department's name and
    whether it is overdue; the caller's number masked unless `mask` is False."""
    department = ticket.department if ticket.department_id else None
    return {**ticket.to_dict(mask=mask), "department": department.name if department else "",
            "overdue": is_overdue(ticket, now)}


def event_dict(event):
    """One entry of lifecycle.history: who, when, what was done and said."""
    return {"id": event.id, "at": event.at, "by": event.by, "action": event.action,
            "from_status": event.from_status, "to_status": event.to_status,
            "department": event.department, "assignee": event.assignee, "text": event.text}


def source_message(ticket):
    """The inbound SMS the ticket was opened from, or None."""
    if not ticket.message_id:
        return None
    return InboundMessage.get_or_none(InboundMessage.id == ticket.message_id)


def related(ticket, mask=True, limit=RELATED_LIMIT):
    """The customer's other tickets, calls, sent messages and received messages, newest
    first: by the ticket's customer and caller number (a ticket opened for a number
    that is no phone number, e.g. a withheld caller, has only the customer's tickets)."""
    others = Ticket.select(Ticket, Department).join(Department, JOIN.LEFT_OUTER).where(Ticket.id != ticket.id)
    same = []
    if ticket.customer_id:
        same.append(Ticket.customer == ticket.customer_id)
    if ticket.caller:
        same.append(Ticket.caller == ticket.caller)
    found = {"tickets": [], "calls": [], "messages": [], "received": []}
    if same:
        condition = same[0] if len(same) == 1 else same[0] | same[1]
        found["tickets"] = [as_dict(t, mask) for t in others.where(condition).order_by(Ticket.id.desc()).limit(limit)]
    if not ticket.caller.startswith("+"):  # not a phone number: no calls or messages to match
        return found
    found["calls"] = [c.to_dict(mask=mask) for c in ivr_calls.listing(caller=ticket.caller, limit=limit).rows]
    found["messages"] = [history.as_dict(m, mask) for m in history.listing(to=ticket.caller, limit=limit).rows]
    received = (InboundMessage.select().where(InboundMessage.from_number == ticket.caller)
                .order_by(InboundMessage.id.desc()).limit(limit))
    found["received"] = [{"id": m.id, "from_number": mask_mobile(m.from_number) if mask else m.from_number,
                          "text": m.text, "received_at": m.received_at, "state": m.state} for m in received]
    return found

