"""Reports for admins and auditors: charts drawn on the box as SVG (web/charts.py)
of the last 30 days' sent parts and delivery rate, failure reasons, and this
month's cost per department (numbers from appliance/billing.py)."""
import datetime

from peewee import fn

from appliance import billing
from appliance.calls import Call
from appliance.messages import MessagePart

from . import charts
from .pages import N_, page

OUTCOME_LABELS = {"in_progress": N_("in progress"), "completed": N_("completed"),
                  "caller_hung_up": N_("caller hung up"), "transferred": N_("transferred to an operator"),
                  "error": N_("error"), "interrupted": N_("interrupted (server stopped)")}

DAYS = 30


def sent_parts_per_day(start, end):
    """{'YYYY-MM-DD': parts handed to a modem that day}, start..end inclusive.
    (billing.daily_report counts messages by creation day; the volume chart is in parts.)"""
    day = fn.DATE(MessagePart.sent_at)
    query = (MessagePart.select(day, fn.COUNT(MessagePart.id))
             .where(MessagePart.sent_at >= datetime.datetime.combine(start, datetime.time()),
                    MessagePart.sent_at < datetime.datetime.combine(end + datetime.timedelta(days=1),
                                                                    datetime.time()))
             .group_by(day))
    return {str(d)[:10]: n for d, n in query.tuples()}  # DATE() may come back as a datetime


def calls_per_day(start, end):
    """IVR use: ({'YYYY-MM-DD': calls started that day}, {outcome: calls}) for start..end inclusive."""
    day = fn.DATE(Call.started_at)
    query = (Call.select(day, Call.outcome, fn.COUNT(Call.id))
             .where(Call.started_at >= datetime.datetime.combine(start, datetime.time()),
                    Call.started_at < datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()))
             .group_by(day, Call.outcome))
    per_day, outcomes = {}, {}
    for d, outcome, n in query.tuples():
        per_day[str(d)[:10]] = per_day.get(str(d)[:10], 0) + n
        outcomes[outcome] = outcomes.get(outcome, 0) + n
    return per_day, outcomes


def report_data(config, today=None):
    today = today or datetime.date.today()
    start = today - datetime.timedelta(days=DAYS - 1)
    parts = sent_parts_per_day(start, today)
    daily = {row["day"][:10]: row for row in billing.daily_report(start, today)}
    days, reasons = [], {}
    for i in range(DAYS):
        day = str(start + datetime.timedelta(days=i))
        row = daily.get(day, {})
        days.append({"day": day, "parts": parts.get(day, 0), "rate": row.get("delivery_rate")})
        for reason, n in row.get("failure_reasons", {}).items():
            reasons[reason] = reasons.get(reason, 0) + n
    calls, outcomes = calls_per_day(start, today)
    statement = billing.statement(config, f"{today:%Y-%m}")
    return {"days": days, "reasons": sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
            "costs": sorted(((d["department"], d["cost"]) for d in statement["departments"]),
                            key=lambda kv: -kv[1]),
            "calls": [{"day": d["day"], "parts": calls.get(d["day"], 0), "rate": None} for d in days],
            "outcomes": sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0])),
            "month": f"{today:%Y-%m}", "total_cost": statement["total_cost"]}


@page("/reports", "reports", nav=("Reports", 78))
def reports_page(ctx):
    data = report_data(ctx.config)
    _ = ctx._
    volume_svg = charts.daily_chart(data["days"], _("Sent parts and delivery rate, last 30 days"),
                                    _("Delivery rate"))
    reasons_svg = charts.hbar_chart(data["reasons"], _("Failure reasons")) if data["reasons"] else None
    costs = [(dept or _("(no department)"), cost) for dept, cost in data["costs"]]
    costs_svg = charts.hbar_chart(costs, _("Cost per department"), lambda v: f"¥{v}") if costs else None
    calls_svg = charts.daily_chart(data["calls"], _("IVR calls per day, last 30 days"), "")
    outcomes = [(_(OUTCOME_LABELS.get(o, o)), n) for o, n in data["outcomes"]]
    outcomes_svg = charts.hbar_chart(outcomes, _("Call outcomes")) if outcomes else None
    return ctx.render("reports", title=_("Reports"), data=data, volume_svg=volume_svg,
                      reasons_svg=reasons_svg, costs_svg=costs_svg, calls_svg=calls_svg, outcomes_svg=outcomes_svg)
