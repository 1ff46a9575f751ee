"""Escalation: the department head is reminded by SMS while a ticket stays overdue.

The first reminder goes when the ticket passes its due time, the next every
tickets.escalation_hours after the previous one (0: only the first), until it is answered.
Each reminder is one `escalated` TicketEvent and one SMS, committed together; the events
are the memory, so a restart (or a second box on the same database) never sends the same
step twice. Reminders of a period count from the current due time: a reopened ticket,
due again, starts at step 1. After downtime only the reminder due now goes, not every
one missed.

run() is called by the services daemon on every pass: one read query finds the tickets
that need a reminder, and only those take the write lock.
"""
import datetime
import logging

from peewee import JOIN, fn

from appliance import clock
from appliance.db import retry_writes, write_transaction
from appliance.privacy import mask_mobile
from appliance.services import templates
from appliance.sms.outbox import queue_message
from appliance.tickets import sla
from appliance.tickets.models import Ticket, TicketEvent

log = logging.getLogger(__name__)


def run(config, now=None):
    """Remind the heads of every ticket due a reminder at instant `now`; returns how many events were written."""
    now = now or clock.now()
    done = 0
    for ticket_id in due(config, now):
        if escalate(ticket_id, config, now):
            done += 1
    return done


def due(config, now):
    """Ids of the overdue tickets whose next reminder is due (one query)."""
    late = sla.overdue(now)
    # Only the overdue tickets' reminders are grouped: this runs every few seconds.
    last = (TicketEvent.select(TicketEvent.ticket, fn.MAX(TicketEvent.at).alias("last"))
            .where(TicketEvent.action == "escalated", TicketEvent.ticket.in_(late.select(Ticket.id)))
            .group_by(TicketEvent.ticket).alias("last_escalated"))
    query = (late.select(Ticket.id, Ticket.due_at, last.c.last)
             .join(last, JOIN.LEFT_OUTER, on=(last.c.ticket_id == Ticket.id)).objects())
    return [t.id for t in query if _reminder_due(t.due_at, _instant(t.last), config, now)]


def _reminder_due(due_at, last, config, now):
    if last is None or last < due_at:
        return True  # none yet in this period (earlier ones were before a reopen)
    repeat = config["tickets.escalation_hours"]
    return repeat > 0 and now >= last + datetime.timedelta(hours=repeat)


def _instant(value):
    # An aggregate comes back as text on SQLite.
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


class _Raced(Exception):
    """Another box wrote this reminder between our read and our update (PostgreSQL)."""


@retry_writes
def escalate(ticket_id, config, now):
    """Write the ticket's next reminder and queue its SMS, if it is still due (decided again
    under the write lock); returns the event or None."""
    try:
        return _escalate(ticket_id, config, now)
    except _Raced:
        return None


def _escalate(ticket_id, config, now):
    with write_transaction():
        ticket = Ticket.get_by_id(ticket_id)
        if not (ticket.due_at and ticket.status in sla.OPEN_STATUSES and ticket.due_at < now):
            return None  # answered meanwhile
        earlier = list(TicketEvent.select().where(TicketEvent.ticket == ticket.id, TicketEvent.action == "escalated",
                                                  TicketEvent.at >= ticket.due_at).order_by(TicketEvent.at.desc()))
        if not _reminder_due(ticket.due_at, earlier[0].at if earlier else None, config, now):
            return None  # another process sent it
        step = len(earlier) + 1
        department = ticket.department if ticket.department_id else None
        head = department.head if department and department.head_id else None
        told = head if head and head.mobile and head.status == "active" else None
        event = TicketEvent.create(ticket=ticket.id, at=now, by="system", action="escalated",
                                   from_status=ticket.status, to_status=ticket.status,
                                   department=department.name if department else "", assignee=ticket.assignee,
                                   text=f"#{step} → {told.name} {mask_mobile(told.mobile)}" if told else f"#{step}")
        if not (Ticket.update(escalations=Ticket.escalations + 1, escalated_at=now)
                .where(Ticket.id == ticket.id, Ticket.escalations == ticket.escalations).execute()):
            raise _Raced()  # rolls the event back
        if told:
            queue_message(told.mobile, overdue_text(ticket, department, step, config), category="internal",
                          staff=told.id, source="tickets", created_by="system",
                          dedupe_key=f"ticket-overdue:{ticket.id}:{ticket.due_at.isoformat()}:{step}", config=config)
    if told:
        log.warning("ticket %s overdue (due %s): reminder %d to %s %s", ticket.number, clock.format(ticket.due_at),
                    step, told.name, mask_mobile(told.mobile))
    else:
        log.warning("ticket %s overdue (due %s): reminder %d, but %s", ticket.number, clock.format(ticket.due_at),
                    step, "it has no department" if department is None else
                    f"department {department.name} has no head with a mobile")
    return event


def overdue_text(ticket, department, step, config):
    """The head's SMS, in the box's language."""
    language = config["language"]
    values = {"ticket_no": ticket.number, "step": step, "department": department.name,
              "kind": templates.word("ticket_kind", ticket.kind, language), "due": clock.format(ticket.due_at)}
    return templates.render("ticket_overdue", values, config, language=language)
