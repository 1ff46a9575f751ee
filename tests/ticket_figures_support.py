"""The known data set of the ticket figures' tests (tests/appliance/tickets/test_figures.py,
tests/web/test_web_ticket_figures.py): tickets with exact times and histories in the box's
zone, Asia/Shanghai, where a UTC week would differ."""
import datetime

from appliance import clock
from appliance.models import Staff
from appliance.tickets.models import Department, Ticket, TicketEvent

NOW_LOCAL = datetime.datetime(2026, 11, 25, 12, 0)  # Wednesday of week 48


def at(day, hour=0, minute=0):
    """The instant of a wall-clock time in November 2026 in the box's zone."""
    return clock.instant(datetime.datetime(2026, 11, day, hour, minute))


def ticket(kind, source, created, *, staff=None, dept=None, assignee="", due=None, status="new", closed=None,
           events=()):
    """A ticket and its history: events are (instant, action, to_status, by), each from the
    status the one before left, the ticket's status and closed_at as the last left them (as
    appliance.tickets.lifecycle writes them). Without events: a ticket from before the history."""
    t = Ticket.create(kind=kind, source=source, created_at=created, updated_at=created, staff=staff,
                      department=dept, assignee=assignee, due_at=due, status=status, closed_at=closed)
    was = "new"
    for when, action, to_status, by in events:
        TicketEvent.create(ticket=t, at=when, action=action, from_status=was, to_status=to_status, by=by)
        if to_status != was:
            t.closed_at = when if to_status == "closed" else None
        was = t.status = to_status
    t.save()
    return t


def load_known():
    """The data set (comments: what each ticket tests); returns now. Weeks 46-48 are
    11-09..15, 11-16..22, 11-23..29 on the box's calendar; now is 11-25 12:00 there."""
    clock.set_zone("Asia/Shanghai")
    service, claims = Department.create(name="客服部"), Department.create(name="理赔部")
    zhang = Staff.create(badge_no="A001", name="张三", department="销售一部")
    li = Staff.create(badge_no="A002", name="李四", department="销售二部")
    # W46: answered in time (the first answer counts), returned, answered again late, closed;
    # a note afterwards changes no status.
    ticket("complaint", "sms", at(9, 10), staff=zhang, dept=service, assignee="alice", due=at(10, 10),
           events=[(at(9, 11), "assigned", "assigned", "admin"), (at(10, 9), "answered", "answered", "alice"),
                   (at(10, 9, 30), "returned", "returned", "desk"), (at(10, 11), "answered", "answered", "alice"),
                   (at(10, 12), "closed", "closed", "desk"), (at(20, 9), "noted", "closed", "alice")])
    # W47 here (Sunday 17:00 in UTC): answered late, returned, answered again, closed, reopened.
    ticket("complaint", "ivr", at(16, 1), staff=zhang, dept=claims, assignee="bob", due=at(17, 1),
           events=[(at(16, 2), "assigned", "assigned", "admin"), (at(18, 10), "answered", "answered", "bob"),
                   (at(18, 15), "returned", "returned", "desk"), (at(19, 9), "answered", "answered", "bob"),
                   (at(19, 10), "closed", "closed", "desk"), (at(20, 9), "reopened", "assigned", "desk")])
    # W46: never touched, past due.
    ticket("callback", "web", at(12, 9), due=at(12, 11))
    # Before the history (migration 0015): closed in W46, and closed only in W47.
    ticket("agent-report", "ivr", at(10, 8), status="closed", closed=at(11, 8))
    ticket("alert", "system", at(13, 8), status="closed", closed=at(20, 8))
    # Opened before the figures' first week, answered in W47 by carol: an answer given in W47
    # (the SMS to the customer and a note afterwards are no answers).
    ticket("complaint", "voice", at(1, 8), dept=service, assignee="carol", due=at(3, 8),
           events=[(at(2, 8), "assigned", "assigned", "admin"), (at(17, 10), "answered", "answered", "carol"),
                   (at(17, 10, 1), "notified", "answered", "system"), (at(18, 8), "noted", "answered", "dave")])
    # W48: assigned, not yet due; a complaint about nobody in particular; W48 here (W47 in UTC).
    ticket("inquiry", "api", at(24, 10), dept=service, assignee="alice", due=at(26, 10),
           events=[(at(24, 10, 30), "assigned", "assigned", "admin")])
    ticket("complaint", "sms", at(25, 11))
    ticket("complaint", "web", at(23, 0, 30), staff=li, dept=claims)
    return clock.instant(NOW_LOCAL)
