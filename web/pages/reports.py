"""Reports for admins and auditors (reports permission).

/reports: charts drawn on the box as SVG (web/charts.py) of the last 30 days' sent parts and
delivery rate, failure reasons, this month's cost per department and IVR use (the numbers
from appliance/reports/overview.py).

/reports/letters, /reports/collection, /reports/campaigns, /reports/rates: issue 17's
reports (appliance/reports/), each over a date range of the box's days with a chart, its
tables, and the same tables as CSV and XLSX (PATH.csv, PATH.xlsx). Every code is put into
the page's language here; the domain only computes."""

from decimal import Decimal

from appliance.errors import InputError
from appliance.reports import (
    campaigns,
    collection,
    export,
    letters,
    overview,
    period,
    rates,
)
from web import charts
from web.api.voice import file_response
from web.pages import N_, page, page_url, respond

OUTCOME_LABELS = {"in_progress": N_("in progress"), "completed": N_("completed"),
                  "caller_hung_up": N_("caller hung up"), "transferred": N_("transferred to an operator"),
                  "error": N_("error"), "interrupted": N_("interrupted (server stopped)")}
STEP_LABELS = {"day": N_("per day"), "week": N_("per week")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@page("/reports", "reports", nav=("Reports", 78))
def reports_page(ctx):
    data = overview.overview(ctx.config)
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


# --- issue 17's reports: what each computes and how its chart is drawn ---------------------

def _percent(value):
    return "—" if value is None else f"{value * 100:.2f}%"


def _yuan(value):
    return f"¥{value}"


def price(value):
    """A configured price as the page shows it: two places, or all it has (0.065)."""
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value.normalize())


def _letters_charts(ctx, data):
    _ = ctx._
    rows = {r["channel"]: r for r in data["tables"][0]["rows"]}
    bars = [(_("As letters"), rows["total"]["letter_cost"])]
    bars += [(_(letters.CHANNEL_LABELS[c]), rows[c]["cost"]) for c in ("sms", "voice", "email")]
    title = _("Renewal notices: letters against SMS and calls")
    return [(title, charts.stacked_hbar_chart(bars, title, _yuan))]


def _collection_charts(ctx, data):
    _ = ctx._
    bars = [(_(collection.GROUP_LABELS[r["group"]]), r["rate"] * 100) for r in data["tables"][0]["rows"]
            if r["rate"] is not None]
    title = _("Paid after a reminder")
    return [(title, charts.stacked_hbar_chart(bars, title, lambda v: f"{v:.2f}%"))] if bars else []


def _short(text, length=12):
    """A question cut to fit a chart's line on a phone (the table below has it whole)."""
    return text if len(text) <= length else text[:length - 1] + "…"


def _campaign_charts(ctx, data):
    _ = ctx._
    effect, survey = data["tables"]
    out = []
    bars = [(f"{r['campaign']} · {_(campaigns.CHANNEL_LABELS[r['channel']])}", r["reached"]) for r in effect["rows"]]
    if bars:
        out.append((_("Reached, per campaign"), charts.stacked_hbar_chart(bars, _("Reached, per campaign"))))
    answers = [(f"{r['campaign']} · {_short(r['question'])} · {_(campaigns.ANSWER_LABELS.get(r['answer'], r['answer']))}",
                r["count"]) for r in survey["rows"] if r["count"]]
    if answers:
        out.append((_("Survey results"), charts.stacked_hbar_chart(answers, _("Survey results"))))
    return out


def _rate_charts(ctx, data):
    _ = ctx._
    rows = data["tables"][0]["rows"]

    out = []
    for count, share, title, rate_label in (
            ("sms_sent", "delivery_rate", N_("SMS sent and delivery rate"), N_("Delivery rate")),
            ("calls", "answer_rate", N_("Calls dialled and answer rate"), N_("Answer rate")),
            ("mails", "mail_rate", N_("E-mails handed to the relay and acceptance rate"), N_("E-mail acceptance rate"))):
        series = [{"day": r["period"], "parts": r[count], "rate": None if r[share] is None else float(r[share])}
                  for r in rows]
        # a wide chart for a desk and a narrow one for a phone; style.css shows one of them
        out.append((_(title), charts.daily_chart(series, _(title), _(rate_label)) +
                    charts.daily_chart(series, _(title), _(rate_label), charts.NARROW)))
    return out


def _letters(ctx, rng):
    return letters.report(ctx.config, rng)


def _collection(ctx, rng):
    return collection.report(ctx.config, rng, period.parse_count(ctx.query("days"), "days",
                                                                  ctx.config["reports.collection_days"]))


def _campaigns(ctx, rng):
    return campaigns.report(ctx.config, rng)


def _rates(ctx, rng):
    return rates.report(ctx.config, rng, period.parse_step(ctx.query("step")))


# path name: (title msgid, nav order, compute, charts, extra form fields)
REPORTS = {
    "letters": (N_("Letters against SMS and calls"), 80, _letters, _letters_charts, ()),
    "collection": (N_("Collection after reminders"), 81, _collection, _collection_charts, ("days",)),
    "campaigns": (N_("Campaign effect and surveys"), 82, _campaigns, _campaign_charts, ()),
    "rates": (N_("Delivery and answer rates"), 83, _rates, _rate_charts, ("step",)),
}


def _compute(ctx, name):
    rng = period.parse_range(ctx.query("from"), ctx.query("to"))
    return REPORTS[name][2](ctx, rng)


def _cell(value, key):
    if value is None:
        return "—"
    if key.endswith("rate") or key == "share":
        return _percent(value)
    return str(value)


def _show(ctx, name):
    title, _order, _work, draw, extra = REPORTS[name]
    form = {"from": ctx.query("from"), "to": ctx.query("to"), "days": ctx.query("days"), "step": ctx.query("step")}
    values = {"title": ctx._(title), "name": name, "form": form, "extra": extra, "steps": STEP_LABELS,
              "cell": _cell, "price": price}
    try:
        data = _compute(ctx, name)
    except InputError as exc:  # the form again, the field named in the page's language
        return respond(ctx.render("report_figures", error=ctx.error_text(exc), data=None, **values), 400)
    params = {"from": data["from"], "to": data["to"], **{k: form[k] for k in extra}}
    return ctx.render("report_figures", error=None, data=data, svgs=draw(ctx, data),
                      csv_url=page_url(f"/reports/{name}.csv", **params),
                      xlsx_url=page_url(f"/reports/{name}.xlsx", **params), **values)


def _download(ctx, name, kind):
    data = _compute(ctx, name)
    filename = f"{name}-{data['from']}-{data['to']}.{kind}"
    if kind == "csv":
        return file_response(export.to_csv(data, ctx._), "text/csv; charset=utf-8", filename)
    return file_response(export.to_xlsx(data, ctx._), XLSX, filename)


def _register(name):
    title, order = REPORTS[name][:2]

    def show(ctx):
        return _show(ctx, name)

    def as_csv(ctx):
        return _download(ctx, name, "csv")

    def as_xlsx(ctx):
        return _download(ctx, name, "xlsx")
    for handler in (show, as_csv, as_xlsx):
        handler.__name__ = handler.__qualname__ = f"report_{name}_{handler.__name__}"
    page(f"/reports/{name}", "reports", nav=(title, order))(show)
    page(f"/reports/{name}.csv", "reports")(as_csv)
    page(f"/reports/{name}.xlsx", "reports")(as_xlsx)


for _name in REPORTS:
    _register(_name)
