"""The ticket tables: tickets of every source, their history, and departments.

A ticket goes new -> assigned -> in_progress -> answered -> closed; a department's answer
can be `returned` for re-handling by the front desk, and a closed ticket reopened. Every
change is a TicketEvent row (who, when, what was said): the history is only ever appended
to, never overwritten. Enumerations are CHECK constraints, as in appliance/models.py.
"""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from appliance import clock
from appliance.db import BaseModel
from appliance.models import Customer, Policy, Staff, one_of
from appliance.privacy import mask_mobile

# The category decides the service level (tickets.sla). return-visit: a "no" / "not me"
# in a return-visit call; mobile-change: an agent reports a customer's new mobile.
TICKET_KINDS = ("complaint", "callback", "phone-application", "agent-report", "alert", "return-visit",
                "mobile-change", "inquiry")
# Where it came in: the IVR, an SMS, the admin page, the HTTP API, the box itself (rules),
# an outbound voice call, or another box / head office (hand-off).
TICKET_SOURCES = ("ivr", "sms", "web", "system", "api", "voice", "remote")
TICKET_STATUSES = ("new", "assigned", "in_progress", "answered", "returned", "closed")
EVENT_ACTIONS = ("opened", "assigned", "started", "answered", "returned", "closed", "reopened", "escalated",
                 "noted", "notified", "handed_off", "remote_update")


class Department(BaseModel):
    """Who handles tickets: a department with a head who is told of overdue ones."""
    name = CharField(unique=True)
    head = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)


class Ticket(BaseModel):
    number = CharField(unique=True, null=True)  # date + sequence in the box's zone, set with the id
    kind = CharField(constraints=[one_of("kind", TICKET_KINDS)], index=True)
    source = CharField(constraints=[one_of("source", TICKET_SOURCES)])
    status = CharField(default="new", constraints=[one_of("status", TICKET_STATUSES)], index=True)
    caller = CharField(default="", index=True)  # E.164 when it parses, else as received
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")  # e.g. the agent reported
    policy = ForeignKeyField(Policy, null=True, on_delete="SET NULL")
    text = TextField(default="")
    recording = CharField(default="")  # path of the caller's recorded message, if any
    call_id = IntegerField(null=True)   # the IVR call it came from (appliance.ivr.models.Call)
    message_id = IntegerField(null=True)  # the inbound SMS it came from (appliance.sms.models)
    department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
    assignee = CharField(default="")    # an admin user's name
    due_at = DateTimeField(null=True, index=True)  # from the category's service level
    escalations = IntegerField(default=0)
    escalated_at = DateTimeField(null=True)
    answered_at = DateTimeField(null=True)
    customer_told_at = DateTimeField(null=True)  # the "answered" SMS was queued
    remote = CharField(default="")      # the box or system it was handed to / came from
    remote_number = CharField(default="")  # its number there
    created_at = DateTimeField(default=clock.now, index=True)
    updated_at = DateTimeField(default=clock.now)
    handled_by = CharField(default="")
    resolution = TextField(default="")  # the latest answer (every answer is also in the history)
    closed_at = DateTimeField(null=True)

    def to_dict(self, mask=True):
        return {
            "id": self.id, "number": self.number, "kind": self.kind, "source": self.source,
            "status": self.status, "caller": mask_mobile(self.caller) if mask else self.caller,
            "customer_id": self.customer_id, "staff_id": self.staff_id, "policy_id": self.policy_id,
            "text": self.text, "recording": self.recording, "call_id": self.call_id,
            "message_id": self.message_id, "department_id": self.department_id, "assignee": self.assignee,
            "due_at": self.due_at, "escalations": self.escalations, "answered_at": self.answered_at,
            "remote": self.remote, "remote_number": self.remote_number,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "handled_by": self.handled_by, "resolution": self.resolution, "closed_at": self.closed_at,
        }


class TicketEvent(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=clock.now, index=True)
    by = CharField(default="")          # a user, "system", a staff badge, a remote box
    action = CharField(constraints=[one_of("action", EVENT_ACTIONS)])
    from_status = CharField(default="")
    to_status = CharField(default="")
    department = CharField(default="")  # as it was named then
    assignee = CharField(default="")
    text = TextField(default="")        # what was said: the answer, the reason, the note


class TicketQuery(BaseModel):
    """A customer asked a ticket's state (appliance.tickets.status_query): who, how, which
    number was keyed and whether they were told. Wrong tries per number and day are
    counted from these rows."""
    at = DateTimeField(default=clock.now, index=True)
    number = CharField(index=True)      # the asker: E.164 when it parses, else as received
    channel = CharField(constraints=[one_of("channel", ("sms", "ivr"))])
    keyed = CharField(default="")       # the ticket number asked for, as given
    ticket_id = IntegerField(null=True)  # the ticket told, when one was
    found = BooleanField(default=False)


HANDOFF_DIRECTIONS = ("out", "in")


class TicketHandoff(BaseModel):
    """A ticket handed to a peer box (`out`) or from one (`in`), by appliance.tickets.handoff.

    The row is the outbox and the memory both: a hand-off the peer has not taken yet has no
    delivered_at; this box's events after sent_through are still to be sent to the peer; the
    peer's events up to received_through are applied here (so a retry adds nothing). The key
    is the sender's and the same on both sides."""
    ticket = ForeignKeyField(Ticket, backref="handoffs", on_delete="CASCADE")
    peer = CharField()                  # the name in tickets.peers (and of the peer's API token here)
    direction = CharField(constraints=[one_of("direction", HANDOFF_DIRECTIONS)])
    key = CharField()
    remote_number = CharField(default="")  # the ticket's number on the peer
    created_at = DateTimeField(default=clock.now)
    delivered_at = DateTimeField(null=True, index=True)
    sent_through = IntegerField(default=0)      # the last of this box's TicketEvent ids the peer has
    received_through = IntegerField(default=0)  # the last of the peer's event ids applied here
    attempts = IntegerField(default=0)  # failed sends in a row
    next_at = DateTimeField(null=True)  # no send before then (the peer was down)
    last_error = TextField(default="")

    class Meta:
        indexes = ((("peer", "direction", "key"), True),)
