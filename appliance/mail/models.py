"""The e-mail outbox: one row per mail (table mail_message, migration 0024).

States, as for SMS (DESIGN.md section 3):
    queued -> sending -> sent | failed | expired
plus `unknown` for a mail whose SMTP conversation was interrupted (kill -9, power cut
while the relay had it): never silently re-sent, never silently dropped; and
`cancelled`. A row reaches `sending` in the transaction that claims it, committed
before the relay hears of it.

For reports (collection by channel, issue 17) the row is simple to query:
    customer_id, policy_no ('' when none), kind (the template key: renewal_due…),
    category (service|marketing|internal), campaign_id, created_at, sent_at, state.
A mail "went" when state = 'sent' (sent_at set); failed ones keep smtp_code and
failure_reason.
"""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from appliance import clock
from appliance.db import BaseModel
from appliance.models import Customer, Staff, one_of
from appliance.sms.models import CATEGORIES

MAIL_STATES = ("queued", "sending", "sent", "failed", "expired", "unknown", "cancelled")
FINAL_STATES = ("sent", "failed", "expired", "cancelled")


class MailMessage(BaseModel):
    to_address = CharField()
    subject = CharField()
    text_body = TextField()
    html_body = TextField()
    language = CharField(max_length=2, default="zh")
    state = CharField(default="queued", constraints=[one_of("state", MAIL_STATES)])
    category = CharField(default="service", constraints=[one_of("category", CATEGORIES)])
    kind = CharField(default="")        # template key, '' for a text of its own
    priority = IntegerField(default=5)  # lower goes first
    not_before = DateTimeField(null=True)
    not_after = DateTimeField(null=True)  # the window's end: expired, never sent late
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    policy_no = CharField(default="")
    campaign_id = IntegerField(null=True, index=True)
    source = CharField(default="")      # notice, campaign, tickets, cli, web
    created_by = CharField(default="")
    dedupe_key = CharField(null=True, unique=True)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True)  # after a 4xx or a lost connection
    claimed_by = CharField(default="")  # the box sending it: each box recovers only its own
    attempted_at = DateTimeField(null=True, index=True)  # the last hand-over to the relay (the hourly cap)
    sent_at = DateTimeField(null=True)
    smtp_code = IntegerField(null=True)
    failure_reason = CharField(default="")
    created_at = DateTimeField(default=clock.now, index=True)
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("state", "priority", "id"), False),)
