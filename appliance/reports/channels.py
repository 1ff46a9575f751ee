"""What the reports read of each channel: the notices sent by SMS (their kind in the
Message's dedupe_key), the calls of voice notice campaigns, the e-mails, and their prices.

A notice's kind and policy are in its dedupe_key: "KIND:POLICY_NO:DUE:OFFSET" from the
daily run (renewal_due and overdue name the due date), "KIND:POLICY_NO:GRACE_END" for
lapse steps, "event:KIND:TARGET:EVENT_ID" for events the core systems pushed. A voice
notice is a call attempt of a voice campaign of kind notice whose notice_type is the kind.
An e-mail notice is a MailMessage (appliance/mail/models.py) of that kind to a customer (not
a staff member's copy) the relay accepted (state sent); it names its policy (policy_no)."""
import datetime
import math
from decimal import Decimal

from peewee import fn

from appliance.mail.models import MailMessage
from appliance.reports.period import money
from appliance.sms.models import Message, MessagePart
from appliance.voice.models import CallAttempt, VoiceCampaign

CHANNELS = ("sms", "voice", "email")
# A call that reached a person: the notice was heard (a key press or a survey finished).
ANSWERED = ("answered", "confirmed", "completed")


def price(config, name):
    return Decimal(str(config[name]))


def call_minutes(talk_seconds):
    """Billed minutes of a call: each started minute, as carriers bill them."""
    return math.ceil(talk_seconds / 60) if talk_seconds and talk_seconds > 0 else 0


def call_cost(config, minutes):
    return money(price(config, "reports.call_price") * minutes)


def kind_filter(kinds):
    """SQL: a Message that is a notice of one of `kinds`, queued by the run or by an event."""
    terms = [Message.dedupe_key.startswith(f"{k}:") for k in kinds]
    terms += [Message.dedupe_key.startswith(f"event:{k}:") for k in kinds]
    return _any(terms)


def _any(terms):
    out = terms[0]
    for term in terms[1:]:
        out = out | term
    return out


def parse_key(key):
    """(kind, policy_no or None, due date or None) of a notice's dedupe_key."""
    parts = (key or "").split(":")
    if parts[0] == "event":
        return (parts[1] if len(parts) > 1 else ""), (parts[2] if len(parts) > 2 else None), None
    kind = parts[0]
    due = None
    if kind in ("renewal_due", "overdue") and len(parts) > 2:
        try:
            due = datetime.date.fromisoformat(parts[2])
        except ValueError:
            due = None
    return kind, (parts[1] if len(parts) > 1 else None), due


def sms_notices(kinds, start, end):
    """Notices of `kinds` handed to the network between the instants: [(id, key, sent_at, state)]."""
    return list(Message.select(Message.id, Message.dedupe_key, Message.sent_at, Message.state)
                .where(kind_filter(kinds), Message.sent_at >= start, Message.sent_at < end).tuples())


def sms_notice_count(kinds, start, end):
    return Message.select().where(kind_filter(kinds), Message.sent_at >= start, Message.sent_at < end).count()


def sms_cost(kinds, start, end):
    """(parts, cost) charged for the notices sms_notices finds (billing.charge_parts has
    stamped them): one query, however many notices."""
    parts, total = (MessagePart.select(fn.COUNT(MessagePart.id), fn.SUM(MessagePart.cost)).join(Message)
                    .where(kind_filter(kinds), Message.sent_at >= start, Message.sent_at < end, MessagePart.cost > 0)
                    .tuples().get())
    return parts, money(Decimal(str(total or 0)))


def voice_notices(kinds, start, end):
    """Attempts of voice notice campaigns of `kinds` dialled between the instants:
    [(campaign id, notice type, number, policy id, result, talk_seconds, dialled_at)]."""
    return list(CallAttempt.select(CallAttempt.campaign, VoiceCampaign.notice_type, CallAttempt.number,
                                   CallAttempt.policy, CallAttempt.result, CallAttempt.talk_seconds,
                                   CallAttempt.dialled_at)
                .join(VoiceCampaign)
                .where(VoiceCampaign.kind == "notice", VoiceCampaign.notice_type.in_(list(kinds)),
                       CallAttempt.dialled_at >= start, CallAttempt.dialled_at < end).tuples())


def mail_notices(kinds, start, end):
    """E-mail notices of `kinds` to customers the relay accepted between the instants:
    [(id, kind, policy_no, sent_at, due date its dedupe_key names or None)]."""
    rows = (MailMessage.select(MailMessage.id, MailMessage.kind, MailMessage.policy_no, MailMessage.sent_at,
                               MailMessage.dedupe_key)
                .where(MailMessage.kind.in_(list(kinds)), MailMessage.staff.is_null(), MailMessage.state == "sent",
                       MailMessage.sent_at >= start, MailMessage.sent_at < end).tuples())
    return [(i, kind, pno, sent, _named_due(key, pno)) for i, kind, pno, sent, key in rows]


def _named_due(key, policy_no):
    """The due date a notice's dedupe_key names for this policy (the run keys mails as SMS)."""
    _, pno, due = parse_key(key)
    return due if key and pno == policy_no else None


def mail_cost(config, mails):
    return money(price(config, "reports.mail_price") * mails)
