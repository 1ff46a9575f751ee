"""The reports page's numbers: the last 30 days' sent parts, delivery rate and
failure reasons, this month's cost per department (appliance/billing.py), and
IVR calls per day and by outcome (appliance/calls.py). The page only draws them."""
import datetime

from . import billing, calls

DAYS = 30


def overview(config, today=None, days=DAYS):
    """One dict for the reports page: a row per day (oldest first) with sent parts
    and delivery rate, failure reasons and costs (largest first), calls per day and
    call outcomes (most first)."""
    today = today or datetime.date.today()
    start = today - datetime.timedelta(days=days - 1)
    parts = billing.sent_parts_per_day(start, today)
    daily = {row["day"][:10]: row for row in billing.daily_report(start, today)}
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
