"""The daily notice rule run: who gets what, once, over a year of simulated days."""
import datetime
from collections import Counter
from decimal import Decimal

from appliance.demo_data import add_months
from appliance.models import Claim, Payment, Policy
from appliance.services import notices, optout
from appliance.sms.models import Message

START = datetime.date(2026, 12, 1)
MORNING = datetime.datetime.combine(START, datetime.time(10))


def keys(prefix):
    return sorted(k for (k,) in Message.select(Message.dedupe_key)
                  .where(Message.dedupe_key.startswith(prefix)).tuples())


def pay(policy, day, months):
    """The core system books a payment and moves the policy to its next period."""
    Payment.create(policy=policy, amount=policy.premium, due_date=policy.next_due_date, paid_on=day)
    policy.next_due_date = add_months(policy.next_due_date, months)
    policy.grace_end = policy.next_due_date + datetime.timedelta(days=60)
    policy.save()


def test_a_year_of_daily_runs_sends_each_notice_once(book, config):
    agent = book.agent()
    punctual = book.customer("张伟", "M", born=datetime.date(1980, 3, 2))
    forgetful = book.customer("李娜", "F", born=datetime.date(1975, 7, 9))
    late = book.customer("欧阳明", "M", born=datetime.date(1988, 2, 29))
    monthly = book.policy(punctual, "P-MONTHLY", START + datetime.timedelta(days=20), agent=agent,
                          premium="300.00", frequency="monthly")
    quarterly = book.policy(forgetful, "P-QUARTER", START + datetime.timedelta(days=40), agent=agent,
                            frequency="quarterly")
    annual = book.policy(late, "P-ANNUAL", START + datetime.timedelta(days=100))
    sent_on = {}
    down = {START + datetime.timedelta(days=d) for d in range(150, 160)}  # the box is off ten days

    for offset in range(365):
        today = START + datetime.timedelta(days=offset)
        for policy, months, pay_day in ((monthly, 1, -2), (annual, 12, 5)):
            policy = Policy.get_by_id(policy.id)
            if (today - policy.next_due_date).days == pay_day:
                pay(policy, today, months)
        q = Policy.get_by_id(quarterly.id)
        if q.status == "in_force" and q.grace_end < today:  # the core system lapses it
            q.status = "lapsed"
            q.save()
        if today in down:
            continue
        first = notices.run(config, datetime.datetime.combine(today, datetime.time(10)))
        sent_on.update((n["key"], today) for n in first["notices"])
        again = notices.run(config, datetime.datetime.combine(today, datetime.time(10)))  # a restart, or a second run the same day
        assert again["queued"] == 0, today

    # Monthly payer: reminded 15 and 3 days before each due date, never overdue.
    dues = sorted({k.split(":")[2] for k in keys("renewal_due:P-MONTHLY:")})
    assert len(dues) >= 11
    offsets_by_due = {}
    for k in keys("renewal_due:P-MONTHLY:"):
        offsets_by_due.setdefault(k.split(":")[2], set()).add(int(k.split(":")[3]))
    end = START + datetime.timedelta(days=364)
    for due, sent in offsets_by_due.items():
        days = [datetime.date.fromisoformat(due) - datetime.timedelta(days=o) for o in (15, 3)]
        if all(START <= d <= end and d not in down for d in days):
            assert sent == {15, 3}, due
    assert keys("overdue:P-MONTHLY") == []
    # Agent told once per due date (15 days ahead).
    assert Counter(k.split(":")[2] for k in keys("renewal_due_agent:P-MONTHLY:")).most_common(1)[0][1] == 1
    # Premium received once per payment.
    received = Message.select().where(Message.dedupe_key.startswith("premium_received:")).count()
    assert received == Payment.select().where(Payment.status == "received").count()

    # Forgetful holder: reminders, one overdue, one lapse warning, one lapsed notice.
    assert len(keys("renewal_due:P-QUARTER:")) == 2
    assert len(keys("overdue:P-QUARTER:")) == 1
    assert len(keys("lapse_warning:P-QUARTER:")) == 1
    assert len(keys("lapsed:P-QUARTER:")) == 1

    # Late annual payer: overdue once on day 1, then received.
    assert keys("overdue:P-ANNUAL:") == [f"overdue:P-ANNUAL:{(START + datetime.timedelta(days=100)).isoformat()}:1"]

    # Birthdays once a year to holders of policies in force (the lapsed one gets none);
    # a 29 February birthday is greeted on 28 February 2027. Spring Festival 2027: 6 February.
    assert len(keys("birthday:")) == 2
    leap = Message.get(Message.dedupe_key == f"birthday:{late.id}:2027")
    assert "欧阳先生" in leap.text
    spring = Message.select().where(Message.dedupe_key.startswith("holiday:春节:2027:"))
    assert spring.count() == 3
    assert all(m.category == "marketing" and "春节" in m.text and m.text.endswith("回T退订") for m in spring)
    assert {sent_on[m.dedupe_key] for m in spring} == {datetime.date(2027, 2, 6)}
    assert sent_on[f"birthday:{late.id}:2027"] == datetime.date(2027, 2, 28)
    assert sent_on[f"birthday:{punctual.id}:2027"] == datetime.date(2027, 3, 2)

    # Texts name the holder politely and the right policy.
    text = Message.get(Message.dedupe_key == "lapsed:P-QUARTER:" + keys("lapsed:P-QUARTER:")[0].split(":")[2]).text
    assert "李女士" in text and "P-QUARTER" in text and "停效" in text


def test_dry_run_changes_nothing_and_catch_up_sends_only_the_nearest_reminder(book, config):
    holder = book.customer()
    book.policy(holder, "P1", START + datetime.timedelta(days=2))
    result = notices.run(config, MORNING, dry_run=True)
    assert [n["key"] for n in result["notices"]] == [f"renewal_due:P1:{START + datetime.timedelta(days=2)}:3"]
    assert "张先生" in result["notices"][0]["text"]
    assert Message.select().count() == 0
    notices.run(config, MORNING)
    assert Message.select().count() == 1


def test_opted_out_customers_get_service_notices_but_no_greetings(book, config):
    holder = book.customer(born=datetime.date(1980, 12, 1))
    book.policy(holder, "P1", START + datetime.timedelta(days=3))
    optout.add(holder.mobile, "dnd")
    result = notices.run(config, MORNING)
    assert [n["type"] for n in result["notices"]] == ["renewal_due"]
    assert result["skipped"] == 1  # the birthday greeting


def test_claims_and_failed_payments(book, config):
    holder = book.customer("王芳", "F")
    policy = book.policy(holder, "P9", START + datetime.timedelta(days=200))
    Claim.create(claim_no="L001", policy=policy, status="paid", amount_paid=Decimal("5000"),
                 reported_on=START - datetime.timedelta(days=20), paid_on=START)
    Payment.create(policy=policy, amount=Decimal("1200"), paid_on=START, status="failed",
                   failure_reason="余额不足")
    result = notices.run(config, MORNING)
    texts = {n["type"]: n["text"] for n in result["notices"]}
    assert "5000.00" in texts["claim_paid"] and "L001" in texts["claim_paid"]
    assert "余额不足" in texts["payment_failed"] and "王女士" in texts["payment_failed"]


def test_event_sends_at_once_and_a_retried_event_is_not_sent_twice(book, config):
    holder = book.customer("陈静", "F")
    book.policy(holder, "P7", START, agent=book.agent())
    first = notices.send_event(config, "agent_changed", policy_no="P7", event_id="E1")
    again = notices.send_event(config, "agent_changed", policy_no="P7", event_id="E1")
    assert first.id == again.id and first.to_number == holder.mobile
    assert "王建国" in first.text and "13900000001" in first.text
    import pytest

    from appliance.errors import InputError
    with pytest.raises(InputError, match="policy_no"):
        notices.send_event(config, "agent_changed", policy_no="NOPE")
    with pytest.raises(InputError, match="type"):
        notices.send_event(config, "party", policy_no="P7")


def test_a_pushed_event_goes_by_the_service_route(book, config):
    holder = book.customer("陈静", "F")
    book.policy(holder, "P8", START, agent=book.agent())
    config = config.replace(smpp__enabled=True, smpp__system_id="branch01", sms__route_service="smpp")
    assert notices.send_event(config, "agent_changed", policy_no="P8", event_id="E8").bearer == "smpp"


def test_payment_events_use_the_latest_payment(book, config):
    holder = book.customer("周杰", "M")
    policy = book.policy(holder, "P8", START)
    Payment.create(policy=policy, amount=Decimal("99.50"), paid_on=START, status="received", due_date=START)
    message = notices.send_event(config, "premium_received", policy_no="P8")
    assert "99.50" in message.text and "2026年12月1日" in message.text and "周先生" in message.text
