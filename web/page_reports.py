"""Reports for admins and auditors: charts drawn on the box as SVG (web/charts.py)
of the last 30 days' sent parts and delivery rate, failure reasons, and this
month's cost per department (numbers from appliance/billing.py)."""
import datetime

from peewee import fn

from appliance import billing
from appliance.messages import MessagePart

from . import charts
from .pages import page

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
    statement = billing.statement(config, f"{today:%Y-%m}")
    return {"days": days, "reasons": sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
            "costs": sorted(((d["department"], d["cost"]) for d in statement["departments"]),
                            key=lambda kv: -kv[1]),
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
    return ctx.render("reports", title=_("Reports"), data=data, volume_svg=volume_svg,
                      reasons_svg=reasons_svg, costs_svg=costs_svg)
