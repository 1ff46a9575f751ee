"""The known data set of issue 17's reports (tests/appliance/reports/, tests/web/
test_web_issue17_reports.py and its browser test): agents, customers, policies, payments,
notices by SMS, voice campaigns with their calls and a survey of each channel, at exact
times in the box's zone, Asia/Shanghai, where a UTC day would differ. Every figure the
tests expect is worked out by hand in the tests from the comments here."""
import datetime
import json
from decimal import Decimal

from appliance import clock
from appliance.mail.models import MailMessage
from appliance.models import Customer, Payment, Policy, Product, Staff
from appliance.services.models import Campaign, SurveyAnswer
from appliance.sms.models import Message, MessagePart
from appliance.voice.models import CallAnswer, CallAttempt, VoiceCampaign

ZONE = "Asia/Shanghai"
FIRST, LAST = datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
CN = {1: "+8613800000001", 2: "+8613800000002", 3: "+85261234567", 4: "+8613800000004", 5: "+8613800000005"}


def at(month, day, hour=10, minute=0):
    """The instant of a wall-clock time in 2026 in the box's zone (8 hours ahead of UTC)."""
    return clock.instant(datetime.datetime(2026, month, day, hour, minute))


def sms(key, number, when, parts=1, state="delivered", campaign=None, customer=None):
    """A message handed to the network at `when` (None: still queued), its parts in its state."""
    message = Message.create(to_number=number, text="您好", part_count=parts, state=state, sent_at=when,
                             created_at=when or at(11, 30), dedupe_key=key, source="notice" if key else "campaign",
                             campaign_id=campaign.id if campaign else None, customer=customer)
    for seq in range(1, parts + 1):
        MessagePart.create(message=message, seq=seq, state=state, sent_at=when)
    return message


def call(campaign, number, when, result, talk=None, customer=None, policy=None):
    return CallAttempt.create(campaign=campaign, number=number, customer=customer, policy=policy, state="done",
                              result=result, talk_seconds=talk, dialled_at=when, ended_at=when, queued_at=when)


def mail(kind, policy_no, when, state="sent", campaign=None, staff=None, key=None):
    """An e-mail the relay was given at `when` (accepted: sent)."""
    return MailMessage.create(to_address="kehu@example.com", subject="续期提醒", text_body="您好", html_body="<p>您好</p>",
                              kind=kind, policy_no=policy_no, state=state, attempted_at=when, dedupe_key=key,
                              sent_at=when if state == "sent" else None, created_at=when, staff=staff,
                              campaign_id=campaign.id if campaign else None, source="notice" if kind else "campaign")


def build():
    """The data set; returns its objects by name."""
    clock.set_zone(ZONE)
    a1 = Staff.create(badge_no="A001", name="王芳", branch="城东营业部", mobile="+8613900000001")
    a2 = Staff.create(badge_no="A002", name="李强", branch="城西营业部", mobile="+8613900000002")
    c = {n: Customer.create(name=f"客户{n}", mobile=CN[n]) for n in CN}
    product = Product.create(code="LIFE1", name="安康终身寿险")

    def policy(no, holder, agent, premium, due):
        return Policy.create(policy_no=no, product=product, holder=c[holder], agent=agent, premium=Decimal(premium),
                             next_due_date=due)
    d = datetime.date
    p1 = policy("P1", 1, a1, "1000.00", d(2027, 11, 10))   # paid: its due 11-10 is in the payment below
    p2 = policy("P2", 2, a1, "500.00", d(2026, 11, 15))    # unpaid (one failed payment)
    p3 = policy("P3", 3, a2, "800.00", d(2027, 11, 20))    # due 11-20, paid 12-20
    p4 = policy("P4", 4, None, "300.00", d(2026, 11, 25))  # paid 11-24 with no reminder
    p5 = policy("P5", 5, a2, "1200.00", d(2027, 11, 8))    # due 11-08, paid 11-09
    p6 = policy("P6", 1, a1, "200.00", d(2026, 12, 5))     # due after the period
    Payment.create(policy=p1, amount=Decimal("1000.00"), due_date=d(2026, 11, 10), paid_on=d(2026, 11, 12))
    Payment.create(policy=p2, amount=Decimal("500.00"), due_date=d(2026, 11, 15), paid_on=d(2026, 11, 16),
                   status="failed", failure_reason="余额不足")
    Payment.create(policy=p3, amount=Decimal("800.00"), due_date=d(2026, 11, 20), paid_on=d(2026, 12, 20))
    pay4 = Payment.create(policy=p4, amount=Decimal("300.00"), due_date=d(2026, 11, 25), paid_on=d(2026, 11, 24))
    Payment.create(policy=p5, amount=Decimal("1200.00"), due_date=d(2026, 11, 8), paid_on=d(2026, 11, 9))

    # Renewal notices by SMS (letters report) — reminders among them (collection report):
    sms("renewal_due:P1:2026-11-10:7", CN[1], at(11, 3), parts=2)                    # Nov 3, 2 parts
    sms("overdue:P3:2026-11-20:5", CN[3], at(11, 25))                               # HK number: other tariff
    sms("event:renewal_due:P5:evt-1", CN[5], at(11, 1, 1), state="sent")            # Nov 1 01:00 = Oct 31 UTC
    sms("renewal_due:P6:2026-12-05:7", CN[1], at(11, 28), state="failed")           # failed after sending
    sms("lapse_warning:P2:2026-12-15", CN[2], at(11, 20))                           # names no due date
    sms(f"premium_received:{pay4.id}", CN[4], at(11, 24, 12))                       # a renewal step, no reminder
    # …and what is not one:
    sms("renewal_due_agent:P1:2026-11-10:7", a1.mobile, at(11, 3))                  # the agent's copy
    sms("birthday:C1:2026-11-04", CN[1], at(11, 4))                                 # not a renewal step
    sms("renewal_due:P4:2026-11-25:30", CN[4], at(10, 31, 23))                      # Oct 31 in the box's zone
    sms("renewal_due:P2:2026-11-15:7", CN[2], at(12, 1, 0, 30))                     # Dec 1 in the box's zone
    sms("renewal_due:P2:2026-11-15:3", CN[2], None, state="queued")                 # never sent

    # An SMS survey in November (and one from October, outside the period).
    survey = Campaign.create(name="十一月满意度", kind="survey", question="您对服务满意吗？", created_at=at(11, 2, 9))
    old = Campaign.create(name="十月通知", kind="bulk", created_at=at(10, 20))
    for n, state in ((1, "delivered"), (2, "delivered"), (3, "delivered"), (4, "failed")):
        sms(None, CN[n], at(11, 2), state=state, campaign=survey)
    sms(None, CN[5], at(10, 20), campaign=old)
    for n, score in ((1, 5), (2, 4), (3, 5)):
        SurveyAnswer.create(campaign=survey, number=CN[n], score=score, answered_at=at(11, 3))

    # A voice notice campaign of renewal reminders, and a phone survey.
    notice = VoiceCampaign.create(name="续期语音提醒", kind="notice", notice_type="renewal_due", state="done",
                                  created_at=at(11, 3, 9))
    call(notice, CN[2], at(11, 4), "no_answer", customer=c[2], policy=p2)
    call(notice, CN[2], at(11, 5), "answered", talk=65, customer=c[2], policy=p2)   # 2 minutes
    call(notice, CN[5], at(11, 6), "confirmed", talk=30, customer=c[5], policy=p5)  # 1 minute
    call(notice, CN[4], at(11, 7), "busy", customer=c[4], policy=p4)
    script = [{"text": "您对本次服务满意吗？", "type": "yes_no"}, {"text": "请为我们打分", "type": "scale"}]
    phone = VoiceCampaign.create(name="电话回访问卷", kind="survey", script=json.dumps(script, ensure_ascii=False),
                                 state="done", created_at=at(11, 10, 9))
    for n, result, talk, answers in ((1, "completed", 90, ("yes", "5")), (3, "completed", 45, ("no", "3")),
                                     (4, "no_answer", None, ())):
        attempt = call(phone, CN[n], at(11, 11), result, talk=talk)
        for q, answer in enumerate(answers):
            CallAnswer.create(attempt=attempt, question=q, answer=answer, answered_at=at(11, 11))
    # E-mail: P1's renewal reminder (names no due date: its open one, 11-10), P3's overdue, a failed one to P2,
    # the agent's copy (not a notice to a customer), and a campaign by e-mail, one of two accepted.
    mail("renewal_due", "P1", at(11, 5))
    mail("overdue", "P3", at(11, 23), key="overdue:P3:2026-11-20:3")                # names its due, as the run keys it
    mail("renewal_due", "P2", at(11, 6), state="failed")
    mail("renewal_due_agent", "P1", at(11, 20), staff=a1)
    by_mail = Campaign.create(name="邮件推广", kind="bulk", channel="email", created_at=at(11, 12, 9))
    mail("", "", at(11, 12), campaign=by_mail)
    mail("", "", at(11, 12), state="failed", campaign=by_mail)
    return {"agents": (a1, a2), "policies": (p1, p2, p3, p4, p5, p6), "survey": survey, "notice": notice,
            "phone": phone}
