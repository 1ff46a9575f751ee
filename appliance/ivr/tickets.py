"""Tickets: work for branch staff opened by callers (IVR) or by SMS.

A ticket is a complaint or message left by a caller, a callback request, a
phone application (电话投保), a report of an agent's visit, or an alert the
appliance raises itself (e.g. a policy locked out of the IVR). Opening is
here; what happens next (assign, answer, close…) is appliance/tickets/lifecycle.py.

`Ticket.number` is the ticket's own number, told to the caller by voice and
SMS: the day (yymmdd) followed by the row id, digits only so it can be keyed
and read out. `Ticket.caller` is the phone number of the person it is for.
"""
from pathlib import Path

from appliance import clock, phones
from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.tickets import sla
from appliance.tickets.models import (
    TICKET_KINDS,
    TICKET_SOURCES,
    Ticket,
    TicketEvent,
)


def open_ticket(kind, source, *, number, customer=None, staff=None, text="", recording="",
                policy=None, call_id=None, message_id=None, by="", config=None, now=None):
    """Open a ticket and return it, committed, with its number set, due by its category's
    service level, routed to the category's department (tickets.departments) and its
    `opened` event (and `assigned`, when routed) in the history, all in one transaction.

    `number` is the caller's phone number (not the ticket number); `by` who opened it
    (a user, a token; default the source); `config` gives the rules (default: sla.box_config()).
    """
    if kind not in TICKET_KINDS:
        raise InputError.of(N_("{field}: must be one of {choices}, got {kind!r}"),
                            field="kind", choices=', '.join(TICKET_KINDS), kind=kind)
    if source not in TICKET_SOURCES:
        raise InputError.of(N_("{field}: must be one of {choices}, got {source!r}"),
                            field="source", choices=', '.join(TICKET_SOURCES), source=source)
    now = now or clock.now()
    config = sla.box_config(config)
    due = sla.due_or_none(kind, now, config)  # outside the transaction: it reads the holiday overrides
    by = by or source
    with write_transaction():
        department = sla.department_for(kind, config)
        ticket = Ticket.create(kind=kind, source=source, caller=phones.as_received(number),
                               customer=customer, staff=staff, policy=policy, text=text or "",
                               recording=str(recording or ""), call_id=call_id, message_id=message_id,
                               due_at=due, department=department, status="assigned" if department else "new",
                               created_at=now, updated_at=now)
        ticket.number = f"{clock.today(now):%y%m%d}{ticket.id:04d}"  # the box's day
        ticket.save(only=[Ticket.number])
        TicketEvent.create(ticket=ticket, at=now, by=by, action="opened", to_status="new", text=text or "")
        if department:
            TicketEvent.create(ticket=ticket, at=now, by="system", action="assigned", from_status="new",
                               to_status="assigned", department=department.name)
    return ticket


def get_ticket(number_or_id):
    """A ticket by its number or id, else NotFound."""
    text = str(number_or_id)
    ticket = Ticket.get_or_none(Ticket.number == text)
    if ticket is None and text.isdigit() and len(text) < 10:
        ticket = Ticket.get_or_none(Ticket.id == int(text))
    if ticket is None:
        raise NotFound.of(N_("ticket {text} does not exist"), field="ticket", text=text)
    return ticket



def recording_file(config, ticket):
    """The ticket's recorded message as a file to play, or None when it has none,
    it is gone, or its path points outside data_dir/recordings (the field is
    only ever written by the IVR, but a page must not serve any other file)."""
    if not ticket.recording:
        return None
    root = (Path(config.data_dir) / "recordings").resolve()
    path = Path(ticket.recording).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path

