"""Voice campaigns and their call attempts.

An attempt is one call to one number. Its row is the dialer's memory: it reaches
`dialling` (with the channel id given to Asterisk) in the transaction that claims it,
before Originate is sent, so a dialer killed at any moment leaves a row that says a call
may be up; the next dialer resolves it from Asterisk (the call still up, or its CDR) or
marks it `unknown`, and never dials it again by itself.

Enumerations are CHECK constraints in the schema, as in appliance/models.py.
"""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from appliance import clock
from appliance.db import BaseModel
from appliance.models import Customer, one_of

CAMPAIGN_STATES = ("draft", "running", "paused", "done", "cancelled")
CAMPAIGN_KINDS = ("notice",)
ATTEMPT_STATES = ("queued", "dialling", "done", "unknown", "skipped")  # skipped: on the do-not-call list at dial time
# confirmed: answered and keyed 1; answered: answered without confirming (talk_seconds);
# invalid: unallocated/vacant number; unreachable: absent subscriber (powered off, out of
# coverage: MFC/R2 lines report 空号 this way too); rejected: the callee or network refused.
RESULTS = ("", "confirmed", "answered", "busy", "no_answer", "invalid", "unreachable", "rejected",
           "congestion", "failed", "unknown")


class VoiceCampaign(BaseModel):
    name = CharField()
    kind = CharField(default="notice", constraints=[one_of("kind", CAMPAIGN_KINDS)])
    text = TextField(default="")          # free text of the notice (or a notice type's key)
    line_group = CharField(default="default")
    state = CharField(default="draft", constraints=[one_of("state", CAMPAIGN_STATES)], index=True)
    created_by = CharField(default="")
    created_at = DateTimeField(default=clock.now)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)


class CallAttempt(BaseModel):
    campaign = ForeignKeyField(VoiceCampaign, backref="attempts", on_delete="CASCADE")
    number = CharField(index=True)
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    try_no = IntegerField(default=1)
    state = CharField(default="queued", constraints=[one_of("state", ATTEMPT_STATES)], index=True)
    result = CharField(default="", constraints=[one_of("result", RESULTS)], index=True)
    line_group = CharField(default="default")
    channel_id = CharField(default="", index=True)  # the Originate ChannelId (the ;1 leg's uniqueid)
    claimed_by = CharField(default="")               # which dialer (box and process) claimed it
    dial_status = CharField(default="")              # Asterisk's DIALSTATUS
    hangup_cause = IntegerField(null=True)           # Q.850 cause as Asterisk gave it
    early_media = BooleanField(default=False)        # the line sent progress (audio) before any answer
    talk_seconds = IntegerField(null=True)
    keys = CharField(default="")                     # keys the callee pressed in the notice
    detail = TextField(default="")
    queued_at = DateTimeField(default=clock.now)
    dialled_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)
