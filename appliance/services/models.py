"""Tables of the SMS services: edited templates, common phrases, campaigns,
scheduled sends, auto-reply keywords, subscription topics, opt-out and
do-not-disturb lists, survey answers, and how each inbound SMS was handled.

All in one module so they freeze into one migration (0005_services).
"""
from peewee import (
    BooleanField,
    CharField,
    Check,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from appliance import clock
from appliance.db import BaseModel
from appliance.models import ContactGroup, Customer, one_of
from appliance.sms.models import CATEGORIES, InboundMessage

LANGUAGES = ("zh", "en")
CAMPAIGN_KINDS = ("bulk", "survey", "schedule", "subscription", "bench")
# How a campaign reaches people (0024): by SMS, by e-mail, or each customer's preference.
CAMPAIGN_CHANNELS = ("sms", "email", "preference")
KEYWORD_ACTIONS = ("policies", "payments", "claims", "performance", "subscribe", "unsubscribe",
                   "optout", "reply", "ticket_status")
OPTOUT_KINDS = ("optout", "dnd")  # optout: no marketing; dnd: nothing but service notices


class Template(BaseModel):
    """An admin's edit of a template (a notice type, a reply, or a text of their own).
    Defaults live in notice_templates.toml; a row here overrides one language of one key."""
    key = CharField()
    language = CharField(max_length=2, constraints=[one_of("language", LANGUAGES)])
    text = TextField()
    category = CharField(default="service", constraints=[one_of("category", CATEGORIES)])
    title = CharField(default="")
    updated_at = DateTimeField(default=clock.now)
    updated_by = CharField(default="")

    class Meta:
        indexes = ((("key", "language"), True),)


class Phrase(BaseModel):
    """A common phrase (常用短语) admins paste into messages."""
    category = CharField(index=True)
    text = TextField()
    created_at = DateTimeField(default=clock.now)


class Campaign(BaseModel):
    """One bulk send: to a group, with a template; charged to a department and user."""
    name = CharField()
    kind = CharField(default="bulk", constraints=[one_of("kind", CAMPAIGN_KINDS)])
    category = CharField(default="marketing", constraints=[one_of("category", CATEGORIES)])
    template_key = CharField(default="")
    text = TextField(default="")       # used when no template_key
    group = ForeignKeyField(ContactGroup, null=True, on_delete="SET NULL")
    question = TextField(default="")   # surveys: what the replies 1-5 answer
    created_by = CharField(default="")
    department = CharField(default="")
    created_at = DateTimeField(default=clock.now, index=True)
    queued = IntegerField(default=0)
    skipped = IntegerField(default=0)  # opted out, do-not-disturb, no mobile
    channel = CharField(default="sms", constraints=[one_of("channel", CAMPAIGN_CHANNELS)])
    # Paced (0027, services.campaign_pace): SMS that did not fit the day wait in campaign_pending and the
    # services daemon queues each following day's share (appliance/services/campaign_pacing.py).
    pending = IntegerField(default=0)     # messages not queued yet
    unsent = IntegerField(default=0)      # dropped: the campaign's end came first
    share_left = IntegerField(default=0)  # parts of today's share still to queue (a share goes in batches)
    next_share_on = DateField(null=True)  # the box's day of the next share
    window = CharField(default="")        # the send window given at launch ('' : the category's)
    expires_at = DateTimeField(null=True)  # nothing goes after this
    priority = IntegerField(default=7)
    source = CharField(default="campaign")


class CampaignPending(BaseModel):
    """An SMS of a paced campaign that did not fit its launch day, rendered, waiting its day."""
    campaign = ForeignKeyField(Campaign, backref="pending_rows", on_delete="CASCADE")
    seq = IntegerField()  # launch order: shares go first come, first served
    to_number = CharField()
    text = TextField()
    parts = IntegerField()
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    staff_id = IntegerField(null=True)

    class Meta:
        indexes = ((("campaign", "seq"), True),)


class Topic(BaseModel):
    """A subscription topic (free health checks, children's products…)."""
    code = CharField(unique=True)  # what customers text after DY / QXDY
    name = CharField()
    description = TextField(default="")


class Subscription(BaseModel):
    topic = ForeignKeyField(Topic, backref="subscriptions", on_delete="CASCADE")
    number = CharField(index=True)  # E.164
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    active = BooleanField(default=True)
    source = CharField(default="")  # sms, cli, api, web
    created_at = DateTimeField(default=clock.now)
    cancelled_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("topic", "number"), True),)


class Schedule(BaseModel):
    """A scheduled send: one-off (run_at) or recurring (cron), to a group, a topic's
    subscribers or listed numbers; inside a daily send window; nothing after expires_at."""
    name = CharField(unique=True)
    category = CharField(default="marketing", constraints=[one_of("category", CATEGORIES)])
    template_key = CharField(default="")
    text = TextField(default="")
    group = ForeignKeyField(ContactGroup, null=True, on_delete="CASCADE")
    topic = ForeignKeyField(Topic, null=True, on_delete="CASCADE")
    numbers = TextField(default="")   # E.164, comma-separated
    cron = CharField(default="")      # '' = one-off at run_at
    run_at = DateTimeField(null=True)
    window = CharField(default="")    # 'HH:MM-HH:MM'; '' = any time (marketing: services.marketing_window)
    expires_at = DateTimeField(null=True)
    next_run_at = DateTimeField(null=True, index=True)
    last_run_at = DateTimeField(null=True)
    enabled = BooleanField(default=True)
    created_by = CharField(default="")
    department = CharField(default="")
    created_at = DateTimeField(default=clock.now)


class Keyword(BaseModel):
    """An auto-reply keyword: what a customer or staff member texts, and what it does."""
    keyword = CharField(unique=True)  # upper case
    action = CharField(constraints=[one_of("action", KEYWORD_ACTIONS)])
    template_key = CharField(default="")  # for action 'reply'
    enabled = BooleanField(default=True)
    created_at = DateTimeField(default=clock.now)


class OptOut(BaseModel):
    number = CharField()  # E.164
    kind = CharField(constraints=[one_of("kind", OPTOUT_KINDS)])
    reason = CharField(default="")
    source = CharField(default="")  # sms, cli, api, import
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("number", "kind"), True),)


class SurveyAnswer(BaseModel):
    campaign = ForeignKeyField(Campaign, backref="answers", on_delete="CASCADE")
    number = CharField()
    score = IntegerField(constraints=[Check("score BETWEEN 1 AND 5")])
    inbound = ForeignKeyField(InboundMessage, null=True, on_delete="SET NULL")
    answered_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("campaign", "number"), True),)


class InboundRoute(BaseModel):
    """How one inbound SMS was handled; its unique row makes routing happen once."""
    inbound = ForeignKeyField(InboundMessage, unique=True, on_delete="CASCADE")
    action = CharField()  # keyword action, 'survey', 'ticket', 'ignored'
    detail = TextField(default="")
    reply_id = IntegerField(null=True)  # the Message sent back
    routed_at = DateTimeField(default=clock.now)


class NoticeRun(BaseModel):
    """One (non-dry) run of the daily notice rules, so the scheduler runs them once a day."""
    run_date = DateField(index=True)
    started_at = DateTimeField(default=clock.now)
    queued = IntegerField(default=0)




class NoticeForecast(BaseModel):
    """What the notice run of `run_date` will queue and hold (appliance/services/forecast.py),
    as the services daemon last worked it out; figures is JSON."""
    run_date = DateField(unique=True)
    computed_at = DateTimeField()
    figures = TextField()
