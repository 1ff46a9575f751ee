"""The reports' numbers in the domain: sent parts and calls per day (day
boundaries inclusive at both ends), outcomes, and the 30-day overview."""
import datetime
from decimal import Decimal

from appliance.ivr import calls
from appliance.ivr.models import Call
from appliance.reports import overview as reports
from appliance.sms import billing
from appliance.sms.models import Message, MessagePart

DAY = datetime.date(2026, 11, 20)


def at(day, hh, mm=0):
    return datetime.datetime.combine(day, datetime.time(hh, mm))


def sent(when, parts=1, state="delivered", reason="", department="理赔部"):
    message = Message.create(to_number="+8613800138000", text="您好", part_count=parts, state=state,
                             created_at=when, sent_at=when, failure_reason=reason, department=department)
    for seq in range(1, parts + 1):
        MessagePart.create(message=message, seq=seq, state=state, sent_at=when)
    return message


def test_sent_parts_per_day_counts_parts_within_the_days(database):
    start = DAY - datetime.timedelta(days=2)
    sent(at(start, 0, 0), parts=2)                                  # first moment of the first day
    sent(at(DAY, 23, 59), parts=3)                                  # last minute of the last day
    sent(at(DAY + datetime.timedelta(days=1), 0, 0))                # the day after: out
    sent(at(start - datetime.timedelta(days=1), 23, 59))            # the day before: out
    never = Message.create(to_number="+8613800138000", text="x", state="queued")
    MessagePart.create(message=never, seq=1, state="queued")        # not sent: no day
    assert billing.sent_parts_per_day(start, DAY) == {str(start): 2, str(DAY): 3}
    assert billing.sent_parts_per_day(DAY, DAY) == {str(DAY): 3}


def test_calls_per_day_and_outcomes(database):
    for when, outcome in ((at(DAY, 9), "completed"), (at(DAY, 23, 59), "transferred"),
                          (at(DAY - datetime.timedelta(days=1), 0), "completed"),
                          (at(DAY + datetime.timedelta(days=1), 0), "error"),
                          (at(DAY - datetime.timedelta(days=2), 12), "caller_hung_up")):
        Call.create(caller_id="+8613800138000", started_at=when, outcome=outcome)
    per_day, outcomes = calls.calls_per_day(DAY - datetime.timedelta(days=1), DAY)
    assert per_day == {str(DAY - datetime.timedelta(days=1)): 1, str(DAY): 2}
    assert outcomes == {"completed": 2, "transferred": 1}


def test_overview_has_one_row_a_day_with_rates_reasons_costs_and_calls(database, config):
    sent(at(DAY, 10), parts=2)
    sent(at(DAY, 11), state="failed", reason="network timeout", department="")
    sent(at(DAY - datetime.timedelta(days=29), 10), state="failed", reason="network timeout")
    sent(at(DAY - datetime.timedelta(days=3), 10), state="failed", reason="no credit")
    sent(at(DAY - datetime.timedelta(days=30), 10))  # 31 days ago: not in the report
    Call.create(caller_id="+8613800138000", started_at=at(DAY, 9), outcome="completed")
    data = reports.overview(config, now=datetime.datetime.combine(DAY, datetime.time(12)))
    assert data["days"][0] == {"day": str(DAY - datetime.timedelta(days=29)), "parts": 1, "rate": 0.0}
    assert len(data["days"]) == 30 and data["days"][-1] == {"day": str(DAY), "parts": 3, "rate": 0.5}
    assert data["days"][-2] == {"day": str(DAY - datetime.timedelta(days=1)), "parts": 0, "rate": None}
    assert data["reasons"] == [("network timeout", 2), ("no credit", 1)]
    assert [d for d in data["calls"] if d["parts"]] == [{"day": str(DAY), "parts": 1, "rate": None}]
    assert data["outcomes"] == [("completed", 1)]
    assert data["month"] == "2026-11"
    # This month's parts handed to the network are charged to their department, largest first.
    departments = [dept for dept, _ in data["costs"]]
    assert departments[0] == "理赔部" and "" in departments
    assert data["total_cost"] == sum((cost for _, cost in data["costs"]), Decimal("0.00")) > 0


def test_settled_days_are_counted_once_and_recounted_after_the_refresh(database):
    from appliance.sms.models import Message
    today = datetime.date(2026, 11, 22)
    old, recent = today - datetime.timedelta(days=10), today - datetime.timedelta(days=1)
    sent(at(old, 9)), sent(at(recent, 9))
    clock = [1000.0]
    first = reports.daily_rows(today - datetime.timedelta(days=29), today, timer=lambda: clock[0])
    assert first[str(old)]["messages"] == 1 and first[str(recent)]["messages"] == 1
    sent(at(old, 10)), sent(at(recent, 10))
    again = reports.daily_rows(today - datetime.timedelta(days=29), today, timer=lambda: clock[0])
    assert again[str(old)]["messages"] == 1       # settled: from the cache
    assert again[str(recent)]["messages"] == 2    # recent days: counted at every view
    clock[0] += reports.REFRESH_S + 1
    later = reports.daily_rows(today - datetime.timedelta(days=29), today, timer=lambda: clock[0])
    assert later[str(old)]["messages"] == 2
    assert Message.select().count() == 4
