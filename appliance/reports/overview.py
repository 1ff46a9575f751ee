"""The reports page's numbers: the last 30 days' sent parts, delivery rate and
failure reasons, this month's cost per department (appliance/sms/billing.py), and
IVR calls per day and by outcome (appliance/ivr/calls.py). The page only draws them."""
import datetime
import threading
import time

from appliance import clock, db as dbmod
from appliance.ivr import calls
from appliance.sms import billing

DAYS = 30
# Counting a day's messages by state costs about a microsecond per message: a
# month at a million messages a year is ~100 ms per page view. Days older than
# SETTLED_DAYS hardly change any more (late delivery reports come within days),
# so their rows are kept in this process and recounted every REFRESH_S seconds;
# only the last few days are counted at every view.
SETTLED_DAYS = 3
REFRESH_S = 600
_settled_lock = threading.Lock()


def _settled_cache():
    """'YYYY-MM-DD' -> (monotonic time counted, daily_report row or {}), kept on
    the open database object so that another database never sees its rows."""
    db = dbmod.database.obj
    with _settled_lock:
        if not hasattr(db, "_report_days"):
            db._report_days = {}
        return db._report_days


def daily_rows(start, today, timer=time.monotonic):
    """billing.daily_report rows by day for start..today, settled days from the cache."""
    last_settled = today - datetime.timedelta(days=SETTLED_DAYS)
    days = [start + datetime.timedelta(days=i) for i in range((today - start).days + 1)]
    settled = [d for d in days if d <= last_settled]
    _settled = _settled_cache()
    with _settled_lock:
        stale = [d for d in settled if timer() - _settled.get(str(d), (-REFRESH_S - 1,))[0] > REFRESH_S]
    if stale:
        counted = {row["day"][:10]: row for row in billing.daily_report(min(stale), max(stale))}
        stamp = timer()
        with _settled_lock:
            for d in stale:
                _settled[str(d)] = (stamp, counted.get(str(d), {}))
    rows = {}
    with _settled_lock:
        for d in settled:
            rows[str(d)] = _settled[str(d)][1]
    live_from = max(start, last_settled + datetime.timedelta(days=1))
    if live_from <= today:
        rows.update({row["day"][:10]: row for row in billing.daily_report(live_from, today)})
    return rows


def overview(config, now=None, days=DAYS):
    """One dict for the reports page: a row per day (oldest first) with sent parts
    and delivery rate, failure reasons and costs (largest first), calls per day and
    call outcomes (most first)."""
    today = clock.today(now)  # report days are the box's days
    start = today - datetime.timedelta(days=days - 1)
    parts = billing.sent_parts_per_day(start, today)
    daily = daily_rows(start, today)
    per_day, reasons = [], {}
    for i in range(days):
        day = str(start + datetime.timedelta(days=i))
        row = daily.get(day, {})
        per_day.append({"day": day, "parts": parts.get(day, 0), "rate": row.get("delivery_rate")})
        for reason, n in row.get("failure_reasons", {}).items():
            reasons[reason] = reasons.get(reason, 0) + n
    call_days, outcomes = calls.calls_per_day(start, today)
    statement = billing.statement(config, f"{today:%Y-%m}")
    return {"days": per_day, "reasons": sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
            "costs": sorted(((d["department"], d["cost"]) for d in statement["departments"]),
                            key=lambda kv: -kv[1]),
            "calls": [{"day": d["day"], "parts": call_days.get(d["day"], 0), "rate": None} for d in per_day],
            "outcomes": sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0])),
            "month": f"{today:%Y-%m}", "total_cost": statement["total_cost"]}
