"""Voice campaigns and their call attempts.

An attempt is one call to one number. Its row is the dialer's memory: it reaches
`dialling` (with the channel id given to Asterisk) in the transaction that claims it,
before Originate is sent, so a dialer killed at any moment leaves a row that says a call
may be up; the next dialer resolves it from Asterisk (the call still up, or its CDR) or
marks it `unknown`, and never dials it again by itself.

Enumerations are CHECK constraints in the schema, as in appliance/models.py.
"""
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from appliance import clock
from appliance.db import BaseModel
from appliance.models import Customer, Policy, one_of

CAMPAIGN_STATES = ("draft", "running", "paused", "done", "cancelled")
# notice: a notice read out (free text or a notice type); survey: questions keyed 1-5 / yes-no /
# pick one; return_visit: the new-policy return visit (回访); screening: short probe calls that
# classify numbers (数据清洗); monitor: test calls to the hotline and desks (接通率监控).
CAMPAIGN_KINDS = ("notice", "survey", "return_visit", "screening", "monitor")
ATTEMPT_STATES = ("queued", "dialling", "done", "unknown", "skipped")  # skipped: on the do-not-call list at dial time
# confirmed: answered and keyed 1; answered: answered without confirming (talk_seconds);
# invalid: unallocated/vacant number; unreachable: absent subscriber (powered off, out of
# coverage: MFC/R2 lines report 空号 this way too); rejected: the callee or network refused.
# completed: a survey answered to the end; machine: an answering machine or a carrier's
# announcement answered the call (the early-audio classifier heard it).
RESULTS = ("", "confirmed", "answered", "completed", "machine", "busy", "no_answer", "invalid", "unreachable",
           "rejected", "congestion", "failed", "unknown")
SCREEN_STATES = ("valid", "invalid", "unreachable", "unknown")
DAY_KINDS = ("workday", "holiday")


class VoiceCampaign(BaseModel):
    name = CharField()
    kind = CharField(default="notice", constraints=[one_of("kind", CAMPAIGN_KINDS)])
    text = TextField(default="")          # free text of the notice (or a notice type's key)
    notice_type = CharField(default="")  # a key of the notice catalogue (services/notices.py)
    script = TextField(default="")       # JSON: a survey's or return visit's questions
    line_group = CharField(default="default")
    window = CharField(default="")       # calling window; "" = [voice] windows from config
    max_tries = IntegerField(default=3)  # calls per number, retries included
    retry_minutes = IntegerField(default=30)
    caller_id = CharField(default="")    # presented number; "" = [voice] caller_id
    source = CharField(default="")       # where the numbers came from: a group, an import, a list
    state = CharField(default="draft", constraints=[one_of("state", CAMPAIGN_STATES)], index=True)
    created_by = CharField(default="")
    created_at = DateTimeField(default=clock.now)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)


class CallAttempt(BaseModel):
    campaign = ForeignKeyField(VoiceCampaign, backref="attempts", on_delete="CASCADE")
    number = CharField(index=True)
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    policy = ForeignKeyField(Policy, null=True, on_delete="SET NULL")
    variables = TextField(default="")                # JSON: the facts the notice speaks for this customer
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
    answer_seconds = IntegerField(null=True)         # from dialling to answer (answer monitoring)
    early_audio = CharField(default="")              # recording of the early audio, under data_dir
    audio_class = CharField(default="")              # what the early-audio classifier heard
    keys = CharField(default="")                     # keys the callee pressed in the notice
    detail = TextField(default="")
    queued_at = DateTimeField(default=clock.now)
    not_before = DateTimeField(null=True, index=True)  # a retry waits until then
    dialled_at = DateTimeField(null=True, index=True)  # reports read by it (migration 0025)
    ended_at = DateTimeField(null=True)


class CallAnswer(BaseModel):
    """One answer keyed in a survey or return-visit call (question index from 0)."""
    attempt = ForeignKeyField(CallAttempt, backref="answers", on_delete="CASCADE")
    question = IntegerField()
    answer = CharField()
    recording = CharField(default="")  # a spoken answer's recording, under data_dir
    answered_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("attempt", "question"), True),)


class ScreenedNumber(BaseModel):
    """What number screening last found for a number (the dialer skips `invalid` ones)."""
    number = CharField(unique=True)
    status = CharField(constraints=[one_of("status", SCREEN_STATES)])
    screened_at = DateTimeField(default=clock.now)
    audio_class = CharField(default="")
    attempt = ForeignKeyField(CallAttempt, null=True, on_delete="SET NULL")


class CallingDay(BaseModel):
    """An admin's override of the holiday calendar: a date that is a holiday or a working day."""
    day = DateField(unique=True)
    kind = CharField(constraints=[one_of("kind", DAY_KINDS)])
    note = CharField(default="")
    created_by = CharField(default="")
    created_at = DateTimeField(default=clock.now)
