"""SMS messages in the database: the outbox (Message, MessagePart), inbound
messages and the parts of long inbound messages still being reassembled.

Outbound states (DESIGN.md section 3):
    queued -> sending -> sent -> delivered | failed | expired
plus `unknown` for a part whose submit was interrupted (power cut mid-AT+CMGS):
never silently re-sent, never silently dropped. A row reaches `sending` in the
same transaction that claims it. `cancelled` is an admin's withdrawal of a
queued message.
"""
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from appliance import clock
from appliance.db import BaseModel
from appliance.models import Customer, Staff, one_of

MESSAGE_STATES = ("queued", "sending", "sent", "delivered", "failed", "expired", "unknown", "cancelled")
PART_STATES = ("queued", "sending", "sent", "delivered", "failed", "expired", "unknown", "cancelled")
FINAL_STATES = ("delivered", "failed", "expired", "cancelled")
# service: policy notices, replies (go even to opted-out and do-not-disturb numbers);
# marketing: greetings, campaigns, subscriptions (respect opt-out, DND, quiet hours);
# internal: to staff.
CATEGORIES = ("service", "marketing", "internal")
ENCODINGS = ("gsm7", "ucs2")
# What carries a message: the GSM modem pool or the carrier's SMSC over SMPP (modem/smpp/).
BEARERS = ("modem", "smpp")
INBOUND_STATES = ("new", "handled", "deleted")
MODEM_STATES = ("starting", "ok", "resetting", "removed", "absent")


class Message(BaseModel):
    """One outbound SMS as users see it; its parts are what the modems send."""
    to_number = CharField(index=True)  # E.164
    text = TextField()
    encoding = CharField(default="ucs2", constraints=[one_of("encoding", ENCODINGS)])
    part_count = IntegerField(default=1)
    state = CharField(default="queued", constraints=[one_of("state", MESSAGE_STATES)])
    category = CharField(default="service", constraints=[one_of("category", CATEGORIES)])
    priority = IntegerField(default=5)  # lower goes first: 1 urgent … 9 bulk
    not_before = DateTimeField(null=True)  # scheduled: not sent before
    not_after = DateTimeField(null=True)   # window end: expired, never sent late
    delivery_report = BooleanField(default=True)
    created_at = DateTimeField(default=clock.now, index=True)
    updated_at = DateTimeField(default=clock.now)
    sent_at = DateTimeField(null=True, index=True)  # reports read by it (migration 0025)
    final_at = DateTimeField(null=True)
    failure_reason = CharField(default="")
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    # Billing and origin: who and what this is charged to.
    source = CharField(default="")       # cli, api, web, notice, autoreply, campaign, schedule
    created_by = CharField(default="")   # user or token name
    department = CharField(default="")
    campaign_id = IntegerField(null=True, index=True)
    # Idempotency: a notice for a policy and due period is queued once, however
    # often the rule run repeats (e.g. "renewal_due:886010000001:2026-12-01:15").
    dedupe_key = CharField(null=True, unique=True)
    # The bearer the routing rules chose when it was queued (appliance/sms/routing.py). A
    # modem-routed message may still overflow to SMPP (its parts then say modem = 'smpp').
    bearer = CharField(default="modem", constraints=[one_of("bearer", BEARERS)])

    class Meta:
        indexes = ((("state", "priority", "id"), False),)


class MessagePart(BaseModel):
    """One SMS part (one AT+CMGS). Concatenated messages have several."""
    message = ForeignKeyField(Message, backref="parts", on_delete="CASCADE")
    seq = IntegerField()  # 1..part_count
    state = CharField(default="queued", constraints=[one_of("state", PART_STATES)])
    pdu = TextField(default="")          # hex TPDU as submitted, kept so a retry is identical
    concat_ref = IntegerField(null=True)  # UDH reference shared by the parts
    modem = CharField(default="")        # port name of the modem that took it (gsm0), on box claimed_by
    # The box (box.name) whose smsd claimed it. A `sending` part belongs to that box: only
    # it recovers the part at start, or the others once its heartbeat stopped (cluster.Box).
    claimed_by = CharField(default="")
    imsi = CharField(default="")         # the SIM that sent it: daily/monthly caps count per SIM
    reference = IntegerField(null=True)  # TP-MR from +CMGS, to match the status report
    bearer_ref = CharField(default="", index=True)  # SMPP: the SMSC's message_id, named by its receipt
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True, index=True)
    status_at = DateTimeField(null=True)
    status_code = IntegerField(null=True)  # TP-ST of the status report
    error = CharField(default="")          # last error, in words
    cost = DecimalField(max_digits=8, decimal_places=4, default=0)
    carrier = CharField(default="")

    class Meta:
        indexes = ((("message", "seq"), True), (("modem", "reference"), False), (("state", "claimed_by"), False))


class InboundMessage(BaseModel):
    """One received SMS, reassembled when it came in parts."""
    from_number = CharField(index=True)
    text = TextField()
    sent_at = DateTimeField(null=True)  # SMSC timestamp
    received_at = DateTimeField(default=clock.now, index=True)
    modem = CharField(default="")
    part_count = IntegerField(default=1)
    complete = BooleanField(default=True)  # False: kept after the reassembly timeout
    state = CharField(default="new", index=True, constraints=[one_of("state", INBOUND_STATES)])
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    handled_by = CharField(default="")
    handled_at = DateTimeField(null=True)


class InboundPart(BaseModel):
    """A part of a long inbound SMS waiting for its siblings (survives restarts)."""
    from_number = CharField()
    concat_ref = IntegerField()
    total = IntegerField()
    seq = IntegerField()
    text = TextField()
    sent_at = DateTimeField(null=True)
    received_at = DateTimeField(default=clock.now)
    modem = CharField(default="")

    class Meta:
        indexes = ((("from_number", "concat_ref", "total", "seq"), True),)


class ModemStatus(BaseModel):
    """Health of one modem as its box's smsd last saw it (read by `appliance modem list` and the
    web page). Several boxes on one database each have a gsm0: a modem is (box, port), shown BOX/gsm0."""
    box = CharField(default="")          # box.name of the box it is plugged into
    port = CharField()                   # gsm0, or the device path
    device = CharField(default="")       # full path or URL
    state = CharField(default="starting", constraints=[one_of("state", MODEM_STATES)])
    imei = CharField(default="")
    imsi = CharField(default="")
    iccid = CharField(default="")
    sim_state = CharField(default="")    # READY, SIM PIN, SIM PUK, NOT INSERTED
    registration = CharField(default="")  # home, roaming, searching, denied, unknown, not registered
    operator = CharField(default="")
    carrier = CharField(default="")      # the SIM's carrier in phonenumbers' English name
    signal_dbm = IntegerField(null=True)
    sent_today = IntegerField(default=0)
    sent_month = IntegerField(default=0)
    received = IntegerField(default=0)
    errors = IntegerField(default=0)
    busy = BooleanField(default=False)
    last_activity = DateTimeField(null=True)
    alarm = CharField(default="")        # why it was taken out of the pool, in words
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("box", "port"), True),)
