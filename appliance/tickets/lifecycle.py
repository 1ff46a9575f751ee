"""A ticket's life: assign, start, answer, return, close, reopen, note; and its history.

    action   from                                  to
    assign   new, assigned, in_progress, returned  assigned  (a department and/or a person)
    start    assigned, returned                    in_progress
    answer   new, assigned, in_progress, returned  answered  (the customer's SMS or mail is queued)
    return   answered                              returned  (the front desk sends it back)
    close    answered                              closed    (the front desk confirmed it)
    reopen   closed                                assigned, or new when it has no one
    note     any                                   unchanged

Each call is one short write transaction: the ticket's new state and one TicketEvent (who,
when, what was said) commit together, and so does the customer's SMS with its `notified`
event, so a crash leaves either all of it or none. The history is only appended to: a
reopen keeps the earlier answer there, `resolution` holds the latest. An impossible
transition is Refused (HTTP 409), decided inside the transaction on the row as it is then,
so two people acting at once cannot both move it.

Functions take a Ticket, its id or its number; `now=` injects the clock in tests.
"""
import logging

from appliance import clock, phones
from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, InputError, NotFound, Refused
from appliance.models import AdminUser
from appliance.mail import outbox as mail_outbox
from appliance.mail.compose import Composer
from appliance.privacy import mask_email, mask_mobile
from appliance.services import templates
from appliance.sms.outbox import queue_message
from appliance.tickets import sla
from appliance.tickets.models import Department, Ticket, TicketEvent

log = logging.getLogger(__name__)

TEXT_MAX = 2000  # characters of an answer, reason or note
ANSWER_SMS_CHARS = 140  # of the answer in the customer's SMS: three UCS-2 parts with the frame

# Kinds whose customer is not told by SMS when the ticket is answered, and why.
NOT_TOLD = {
    # The box's own alerts (a policy locked out of the IVR after wrong ID numbers): the caller
    # may be the one trying other people's policies and was never given a ticket number.
    "alert": "an alert the box raised itself; the caller was never told of it",
    # Reported by an agent: the new mobile is not verified yet, and the agent confirms the change.
    "mobile-change": "the new mobile is not verified; the agent who reported it confirms it",
}
# A ticket handed over by another box: the box that has the customer tells them (hand-off).
NOT_TOLD_SOURCES = {"remote": "handed over by another box, which tells its customer"}

REFUSALS = {  # no status code in them: the pages show these translated
    "assign": N_("{field}: ticket {number} cannot be assigned now; it is answered or closed"),
    "start": N_("{field}: ticket {number} cannot be started now; only an assigned or returned ticket can"),
    "answer": N_("{field}: ticket {number} cannot be answered now; it is answered or closed already"),
    "return": N_("{field}: ticket {number} cannot be returned now; only an answered ticket can"),
    "close": N_("{field}: ticket {number} cannot be closed now; only an answered ticket can"),
    "reopen": N_("{field}: ticket {number} cannot be reopened now; only a closed ticket can"),
}
FROM = {"assign": ("new", "assigned", "in_progress", "returned"), "start": ("assigned", "returned"),
        "answer": ("new", "assigned", "in_progress", "returned"), "return": ("answered",),
        "close": ("answered",), "reopen": ("closed",)}
TO = {"start": "in_progress", "answer": "answered", "return": "returned", "close": "closed"}
EVENT = {"assign": "assigned", "start": "started", "answer": "answered", "return": "returned",
         "close": "closed", "reopen": "reopened", "note": "noted"}


class _Raced(Exception):
    """Another box changed the row between our read and our update (PostgreSQL)."""


# --- the interface ----------------------------------------------------------------------

def assign(ticket, *, by, department=None, assignee="", text="", now=None):
    """To a department (a Department, its id or name) and/or a person (an admin user's name)."""
    department = _department(department)
    assignee = _assignee(assignee)
    if department is None and not assignee:
        raise InputError.of(N_("{field}: name a department or a person to assign the ticket to"), field="department")

    def change(row):
        return {"department": department.id if department else row.department_id, "assignee": assignee}
    return _move(ticket, "assign", by=by, text=_text(text, required=False), now=now, change=change,
                 to_status=lambda row: "assigned")


def start(ticket, *, by, text="", now=None):
    return _move(ticket, "start", by=by, text=_text(text, required=False), now=now)


def answer(ticket, *, by, text, config=None, now=None):
    """Record the answer (`resolution` holds it) and queue the customer's SMS in the same
    transaction, once per answer, unless the kind or source says not to (NOT_TOLD)."""
    text, config, now = _text(text), sla.box_config(config), _now(now)

    def change(row):
        return {"resolution": text, "answered_at": now}

    def tell(row, event):
        tell_customer(row, event, config, now)
    return _move(ticket, "answer", by=by, text=text, now=now, change=change, after=tell)


def return_for_rework(ticket, *, by, text, now=None):
    return _move(ticket, "return", by=by, text=_text(text), now=now)


def close(ticket, *, by, text="", now=None):
    now = _now(now)
    return _move(ticket, "close", by=by, text=_text(text, required=False), now=now,
                 change=lambda row: {"closed_at": now})


def reopen(ticket, *, by, text, config=None, now=None):
    """Back to its department or person (new when it had none), due again by its service level."""
    config, now = sla.box_config(config), _now(now)

    def change(row):
        return {"closed_at": None, "due_at": sla.due_or_none(row.kind, now, config)}
    return _move(ticket, "reopen", by=by, text=_text(text), now=now, change=change,
                 to_status=lambda row: "assigned" if row.department_id or row.assignee else "new")


def note(ticket, *, by, text, now=None):
    """A remark in the history; the state stays."""
    return _move(ticket, "note", by=by, text=_text(text), now=now)


def history(ticket):
    """The ticket's TicketEvents, oldest first."""
    return list(TicketEvent.select().where(TicketEvent.ticket == _id(ticket))
                .order_by(TicketEvent.at, TicketEvent.id))


# --- the one way a ticket changes -------------------------------------------------------

def _move(ticket, action, *, by, text, now, change=None, to_status=None, after=None):
    by = _who(by)
    ticket_id = _id(ticket)
    for _ in range(3):
        try:
            return _move_once(ticket_id, action, by, text, _now(now), change, to_status, after)
        except _Raced:
            continue  # read it again: the other change may have made ours impossible (Refused)
    raise Refused.of(N_("{field}: {ticket_id} keeps changing; try again"), field="ticket", ticket_id=ticket_id)


@retry_writes
def _move_once(ticket_id, action, by, text, now, change, to_status, after):
    with write_transaction():
        row = Ticket.get_or_none(Ticket.id == ticket_id)
        if row is None:
            raise NotFound.of(N_("{field}: {ticket_id} does not exist"), field="ticket", ticket_id=ticket_id)
        was = row.status
        if action in FROM and was not in FROM[action]:
            raise Refused.of(REFUSALS[action], field="status", number=row.number)
        status = to_status(row) if to_status else TO.get(action, was)
        fields = {"status": status, "updated_at": now, **(change(row) if change else {})}
        if action != "note":
            fields["handled_by"] = by
        # The row count decides: on PostgreSQL another box may have moved it since our read.
        if not Ticket.update(fields).where(Ticket.id == row.id, Ticket.status == was).execute():
            raise _Raced()
        row = Ticket.get_by_id(row.id)
        event = TicketEvent.create(ticket=row.id, at=now, by=by, action=EVENT[action], from_status=was,
                                   to_status=status, department=row.department.name if row.department_id else "",
                                   assignee=row.assignee, text=text)
        if after:
            after(row, event)
    return Ticket.get_by_id(ticket_id)


# --- the customer's SMS -----------------------------------------------------------------

def why_not_told(ticket):
    """Why this ticket's customer gets no "answered" SMS, or None when they do."""
    return NOT_TOLD.get(ticket.kind) or NOT_TOLD_SOURCES.get(ticket.source)


def customer_mobile(ticket):
    """Where the "answered" SMS goes: the number the ticket came from when it is a mobile,
    else the customer's registered mobile; None when there is neither."""
    candidates = [ticket.caller, ticket.customer.mobile if ticket.customer_id else None]
    for number in candidates:
        e164 = phones.e164_or_none(number)
        if e164 and phones.is_mobile(e164):
            return e164
    return None


def shorten(text, limit=ANSWER_SMS_CHARS):
    """The answer cut to `limit` characters for an SMS: at the last sentence end when one
    falls in the second half, else mid-sentence, marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    end = max(cut.rfind(mark) for mark in "。！？；.!?;")
    return cut[:end + 1] + "…" if end >= limit // 2 else cut + "…"


def tell_customer(ticket, event, config, now):
    """Queue the "answered" SMS for answer `event` (its text, once per event) with a `notified`
    event, and set customer_told_at; call it inside the transaction that records the answer
    (answer() does; so can a hand-off whose answer came back from the other box). Nothing
    when the kind or source says not to, or there is no mobile to tell."""
    reason = why_not_told(ticket)
    if not reason and ticket.customer_id and mail_outbox.mail_address(ticket.customer):
        return _mail_customer(ticket, event, config, now)
    mobile = None if reason else customer_mobile(ticket)
    if mobile is None:
        log.info("ticket %s answered; customer not told by SMS: %s", ticket.number,
                 reason or "no mobile number for the caller or the customer")
        return
    language = ticket.customer.language if ticket.customer_id else config["language"]
    sms = templates.render("ticket_answered", {"ticket_no": ticket.number, "answer": shorten(event.text)},
                           config, language=language)
    queue_message(mobile, sms, category="service", customer=ticket.customer_id, source="tickets",
                  created_by=event.by, dedupe_key=f"ticket-answered:{event.id}", config=config)
    TicketEvent.create(ticket=ticket.id, at=now, by="system", action="notified", from_status=ticket.status,
                       to_status=ticket.status, department=event.department, assignee=event.assignee,
                       text=f"{mask_mobile(mobile)}: {sms}")
    Ticket.update(customer_told_at=now).where(Ticket.id == ticket.id).execute()
    log.info("ticket %s answered; SMS queued to %s", ticket.number, mask_mobile(mobile))


def _mail_customer(ticket, event, config, now):
    """tell_customer() for a customer who prefers e-mail: the whole answer, not shortened."""
    customer = ticket.customer
    composed = Composer(config, "ticket_answered").compose(
        {"ticket_no": ticket.number, "answer": " ".join(event.text.split())}, customer.language)
    mail_outbox.queue_one(mail_outbox.row(customer.email, composed, category="service", kind="ticket_answered",
                                          language=customer.language, customer=customer, source="tickets",
                                          created_by=event.by, dedupe_key=f"ticket-answered:{event.id}"))
    TicketEvent.create(ticket=ticket.id, at=now, by="system", action="notified", from_status=ticket.status,
                       to_status=ticket.status, department=event.department, assignee=event.assignee,
                       text=f"{mask_email(customer.email)}: {composed[0]}")
    Ticket.update(customer_told_at=now).where(Ticket.id == ticket.id).execute()
    log.info("ticket %s answered; mail queued to %s", ticket.number, mask_email(customer.email))


# --- input ------------------------------------------------------------------------------

def _id(ticket):
    if isinstance(ticket, Ticket):
        return ticket.id
    text = str(ticket).strip()
    found = Ticket.get_or_none(Ticket.number == text)
    if found is None and text.isdigit() and len(text) < 10:
        found = Ticket.get_or_none(Ticket.id == int(text))
    if found is None:
        raise NotFound.of(N_("{field}: no ticket {number}"), field="ticket", number=text)
    return found.id


def _now(now):
    return now or clock.now()


def _who(by):
    by = str(by or "").strip()
    if not by:
        raise InputError.of(N_("{field}: say who acts"), field="by")
    return by[:64]


def _text(text, required=True):
    text = str(text or "").strip()
    if required and not text:
        raise InputError.of(N_("{field}: empty; say what was answered, why, or what to note"), field="text")
    if len(text) > TEXT_MAX:
        raise InputError.of(N_("{field}: at most {most} characters, got {count}"), field="text", most=TEXT_MAX,
                            count=len(text))
    return text


def _department(value):
    if value is None or value == "" or isinstance(value, Department):
        return value or None
    text = str(value).strip()
    found = Department.get_or_none(Department.name == text)
    if found is None and text.isdigit():
        found = Department.get_or_none(Department.id == int(text))
    if found is None:
        raise InputError.of(N_("{field}: no department {name}"), field="department", name=text)
    return found


def _assignee(name):
    name = str(name or "").strip()
    if name and not AdminUser.select().where(AdminUser.username == name).exists():
        raise InputError.of(N_("{field}: no user {name}"), field="assignee", name=name)
    return name
