"""Issue 17's reports on a known data set (tests/report_support.py), on SQLite and a real
PostgreSQL, every figure worked out by hand here: letters against SMS and calls, collection after reminders, campaign effect and
survey results, delivery and answer rates per day and week; the box's days are Asia/Shanghai's."""
import datetime
from decimal import Decimal as D

import pytest
from report_support import FIRST, LAST, build

from appliance.errors import InputError
from appliance.reports import campaigns, collection, letters, period, rates

R = period.Range(FIRST, LAST)


def rows(report, table=0):
    return report["tables"][table]["rows"]


def test_the_issue_example_a_million_policies():
    """2.74 million notices: 3.29 million 元 as letters at 1.20, 0.82 million as SMS at 0.30."""
    notices = 2_740_000
    by_letter, saving = letters.compare(notices, D("0.30") * notices, D("1.20"))
    assert by_letter == D("3288000.00") and saving == D("2466000.00")
    assert round(by_letter / 1_000_000, 2) == D("3.29") and round(D("0.30") * notices / 1_000_000, 2) == D("0.82")


def test_letters_against_sms_and_calls(any_database, config):
    build()
    # SMS renewal steps sent on the box's days of November: P1 renewal (2 parts), P3 overdue (to
    # Hong Kong: billing.other 0.10), P5 event (Nov 1 01:00), P6 renewal (failed after sending), P2
    # lapse warning, P4 premium received: 6 notices, 7 parts, 6 × 0.05 + 0.10 = 0.40.
    # Calls of the renewal campaign: 3 numbers; 65 s → 2 minutes, 30 s → 1: 3 × 0.10 = 0.30.
    # E-mail: P1's reminder and P3's overdue (the failed one and the agent's copy are not); free by default.
    assert rows(letters.report(config, R)) == [
        {"channel": "sms", "notices": 6, "units": 7, "cost": D("0.40"), "letter_cost": D("7.20"),
         "saving": D("6.80")},
        {"channel": "voice", "notices": 3, "units": 3, "cost": D("0.30"), "letter_cost": D("3.60"),
         "saving": D("3.30")},
        {"channel": "email", "notices": 2, "units": 2, "cost": D("0.00"), "letter_cost": D("2.40"),
         "saving": D("2.40")},
        {"channel": "total", "notices": 11, "units": 12, "cost": D("0.70"), "letter_cost": D("13.20"),
         "saving": D("12.50")}]
    dearer = config.replace(**{"reports.letter_price": 2.0, "reports.call_price": 0.25, "reports.mail_price": 0.02})
    total = rows(letters.report(dearer, R))[-1]
    assert (total["letter_cost"], total["cost"]) == (D("22.00"), D("0.40") + D("0.75") + D("0.04"))
    # One day: only Nov 1 (the P5 event, 01:00 in the box's zone, still Oct 31 in UTC).
    first = rows(letters.report(config, period.Range(FIRST, FIRST)))[0]
    assert (first["notices"], first["units"], first["cost"]) == (1, 1, D("0.05"))


FIGURES = ("dues", "amount_due", "reminded", "paid_within", "paid_amount", "rate")


def figures(*values):
    return dict(zip(FIGURES, values))


def test_collection_after_reminders_by_channel_branch_and_agent(any_database, config):
    build()
    # Dues in November: P1 11-10 (1000, paid 11-12), P2 11-15 (500, unpaid: its payment failed),
    # P3 11-20 (800, paid 12-20), P4 11-25 (300, paid 11-24), P5 11-08 (1200, paid 11-09): 3800.
    # First SMS reminders: P1 11-03, P2 11-20 (the lapse warning names no due: its open one),
    # P3 11-25, P4 10-31 (box's day), P5 11-01 (the event); calls answered: P2 11-05, P5 11-06;
    # e-mails accepted: P1 11-05 (7 days before its payment), P3 11-23 (27 days before); the failed
    # one to P2 does not count. P3's first reminder is now 11-23: still too late.
    # Within 15 days: P1 (9 days; 7 by e-mail), P5 (8 by SMS, 3 by call); P3 (25) and P4 (24) too late.
    report = collection.report(config, R)
    assert report["days"] == 15
    assert rows(report, 0) == [
        {"group": "sms", **figures(5, D("3800.00"), 5, 2, D("2200.00"), D("0.4000"))},
        {"group": "voice", **figures(5, D("3800.00"), 2, 1, D("1200.00"), D("0.5000"))},
        {"group": "email", **figures(5, D("3800.00"), 2, 1, D("1000.00"), D("0.5000"))},
        {"group": "any", **figures(5, D("3800.00"), 5, 2, D("2200.00"), D("0.4000"))}]
    assert rows(report, 1) == [
        {"group": "", **figures(1, D("300.00"), 1, 0, D("0.00"), D("0.0000"))},
        {"group": "城东营业部", **figures(2, D("1500.00"), 2, 1, D("1000.00"), D("0.5000"))},
        {"group": "城西营业部", **figures(2, D("2000.00"), 2, 1, D("1200.00"), D("0.5000"))}]
    assert rows(report, 2) == [
        {"group": "", **figures(1, D("300.00"), 1, 0, D("0.00"), D("0.0000"))},
        {"group": "A001 王芳", **figures(2, D("1500.00"), 2, 1, D("1000.00"), D("0.5000"))},
        {"group": "A002 李强", **figures(2, D("2000.00"), 2, 1, D("1200.00"), D("0.5000"))}]
    # Within 30 days P3 and P4 count as well.
    longer = collection.report(config, R, days=30)
    assert rows(longer, 0)[0] == {"group": "sms", **figures(5, D("3800.00"), 5, 4, D("3300.00"), D("0.8000"))}


def test_campaign_effect_and_survey_results(any_database, config):
    build()
    report = campaigns.report(config, R)
    # The SMS survey: 4 messages, 3 delivered, 3 answers; parts 0.05 × 3 + 0.10 (Hong Kong).
    # The voice notice: 3 numbers, 2 answered, 1 confirmed, 3 minutes; the phone survey: 3
    # numbers, 2 completed, 90 s + 45 s = 2 + 1 minutes. The e-mail campaign: 2 mails, 1 accepted
    # (e-mail free by default). October's campaign is not in it.
    assert rows(report, 0) == [
        {"campaign": "十一月满意度", "channel": "sms", "kind": "survey", "targets": 4, "reached": 3,
         "reach_rate": D("0.7500"), "responses": 3, "response_rate": D("1.0000"), "cost": D("0.25")},
        {"campaign": "邮件推广", "channel": "email", "kind": "bulk", "targets": 2, "reached": 1,
         "reach_rate": D("0.5000"), "responses": 0, "response_rate": D("0.0000"), "cost": D("0.00")},
        {"campaign": "续期语音提醒", "channel": "voice", "kind": "notice", "targets": 3, "reached": 2,
         "reach_rate": D("0.6667"), "responses": 1, "response_rate": D("0.5000"), "cost": D("0.30")},
        {"campaign": "电话回访问卷", "channel": "voice", "kind": "survey_call", "targets": 3, "reached": 2,
         "reach_rate": D("0.6667"), "responses": 2, "response_rate": D("1.0000"), "cost": D("0.30")}]
    sms_q, yes_no, scale = "您对服务满意吗？", "您对本次服务满意吗？", "请为我们打分"

    def answer(campaign, channel, question, value, count, share):
        return {"campaign": campaign, "channel": channel, "question": question, "answer": value, "count": count,
                "share": None if share is None else D(share)}
    assert rows(report, 1) == [
        answer("十一月满意度", "sms", sms_q, "1", 0, "0.0000"), answer("十一月满意度", "sms", sms_q, "2", 0, "0.0000"),
        answer("十一月满意度", "sms", sms_q, "3", 0, "0.0000"), answer("十一月满意度", "sms", sms_q, "4", 1, "0.3333"),
        answer("十一月满意度", "sms", sms_q, "5", 2, "0.6667"),
        answer("电话回访问卷", "voice", yes_no, "yes", 1, "0.5000"), answer("电话回访问卷", "voice", yes_no, "no", 1, "0.5000"),
        answer("电话回访问卷", "voice", scale, "1", 0, "0.0000"), answer("电话回访问卷", "voice", scale, "2", 0, "0.0000"),
        answer("电话回访问卷", "voice", scale, "3", 1, "0.5000"), answer("电话回访问卷", "voice", scale, "4", 0, "0.0000"),
        answer("电话回访问卷", "voice", scale, "5", 1, "0.5000")]


def rate_row(label, sent, delivered, drate, calls, answered, arate, mails=0, accepted=0, mrate=None):
    return {"period": label, "sms_sent": sent, "sms_delivered": delivered,
            "delivery_rate": None if drate is None else D(drate), "calls": calls, "answered": answered,
            "answer_rate": None if arate is None else D(arate), "mails": mails, "mails_sent": accepted,
            "mail_rate": None if mrate is None else D(mrate)}


def test_delivery_and_answer_rates_per_day_and_week(any_database, config):
    build()
    week = period.Range(FIRST, datetime.date(2026, 11, 7))
    # SMS by the box's day sent: Nov 1 the P5 event (sent, not delivered); Nov 2 the survey (3 of 4
    # delivered); Nov 3 P1's renewal and the agent's copy; Nov 4 the birthday greeting. Calls: Nov 4
    # no answer, Nov 5 answered, Nov 6 confirmed, Nov 7 busy. Oct 31 23:00 is not in it. E-mails
    # given to the relay: Nov 5 accepted, Nov 6 failed.
    assert rows(rates.report(config, week)) == [
        rate_row("2026-11-01", 1, 0, "0.0000", 0, 0, None), rate_row("2026-11-02", 4, 3, "0.7500", 0, 0, None),
        rate_row("2026-11-03", 2, 2, "1.0000", 0, 0, None), rate_row("2026-11-04", 1, 1, "1.0000", 1, 0, "0.0000"),
        rate_row("2026-11-05", 0, 0, None, 1, 1, "1.0000", 1, 1, "1.0000"),
        rate_row("2026-11-06", 0, 0, None, 1, 1, "1.0000", 1, 0, "0.0000"),
        rate_row("2026-11-07", 0, 0, None, 1, 0, "0.0000")]
    # Nov 1 is a Sunday: the end of ISO week 44; Nov 2–7 are in week 45.
    assert rows(rates.report(config, week, "week")) == [
        rate_row("2026-W44", 1, 0, "0.0000", 0, 0, None), rate_row("2026-W45", 7, 6, "0.8571", 4, 2, "0.5000", 2, 1, "0.5000")]


@pytest.mark.parametrize("first, last, field", [("2026-11-31", "", "from"), ("", "30/11/2026", "to"),
                                                 ("2026-12-01", "2026-11-30", "from"),
                                                 ("2025-01-01", "2026-11-30", "from")])
def test_a_bad_range_names_its_field(first, last, field):
    with pytest.raises(InputError) as caught:
        period.parse_range(first, last)
    assert caught.value.field == field and caught.value.msgid


def test_bad_days_and_steps_name_their_field():
    for call, field in ((lambda: period.parse_count("x", "days", 15), "days"),
                        (lambda: period.parse_count("-1", "days", 15), "days"),
                        (lambda: period.parse_step("month"), "step")):
        with pytest.raises(InputError) as caught:
            call()
        assert caught.value.field == field
    assert period.parse_count("", "days", 15) == 15 and period.parse_step("") == "day"


def test_notices_are_found_through_the_sent_at_index(database):
    """A month of a year's notices is read by when they were sent (migration 0025), not by
    scanning every message."""
    from appliance.reports import channels
    from appliance.sms.models import Message
    sql, params = (Message.select().where(channels.kind_filter(letters.RENEWAL_KINDS), Message.sent_at >= R.start,
                                          Message.sent_at < R.end).sql())
    plan = " ".join(row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    assert "USING INDEX message_sent_at" in plan, plan
