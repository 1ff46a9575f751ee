"""Reports for admins and auditors: charts drawn on the box as SVG (web/charts.py)
of the last 30 days' sent parts and delivery rate, failure reasons, this month's
cost per department and IVR use. The numbers come from appliance/reports.py."""
from appliance.sms import reports
from web import charts
from web.pages import N_, page

OUTCOME_LABELS = {"in_progress": N_("in progress"), "completed": N_("completed"),
                  "caller_hung_up": N_("caller hung up"), "transferred": N_("transferred to an operator"),
                  "error": N_("error"), "interrupted": N_("interrupted (server stopped)")}


@page("/reports", "reports", nav=("Reports", 78))
def reports_page(ctx):
    data = reports.overview(ctx.config)
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
