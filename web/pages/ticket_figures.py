"""Ticket figures for staff assessment on the admin page (reports permission: admins and
auditors): per week or month, charts drawn on the box (web/charts.py) of the tickets opened
and the service level, by category, source, department, handler, the answers given per
person, complaints per agent and department and the backlog by age; a table per period; the
same CSV as the API. The numbers come from appliance.tickets.figures; this module puts every
code into the page's language."""
import io

from appliance.errors import InputError
from appliance.tickets import figures
from web import charts
from web.api.voice import file_response
from web.pages import N_, page, page_url, respond
from web.pages.tickets import KIND_LABELS, SOURCE_LABELS, STATUS_LABELS

SLA_LABELS = {"met": N_("answered in time"), "missed": N_("answered late"),
              "overdue": N_("past due, not answered"), "pending": N_("not due yet")}
AGE_LABELS = {"0-1d": N_("under 1 day"), "1-3d": N_("1 to 3 days"), "3-7d": N_("3 to 7 days"),
              "7d+": N_("over 7 days")}
PERIOD_LABELS = {"week": N_("per week"), "month": N_("per month")}
TITLES = {"chart-sla": N_("Service level of the tickets with a due time"), "chart-kind": N_("Tickets by category"),
          "chart-source": N_("Tickets by source"), "chart-department": N_("Tickets by department"),
          "chart-handler": N_("Tickets by handler"), "chart-answers": N_("Answers given, by who gave them"),
          "chart-agents": N_("Complaints per agent"),
          "chart-complaint-departments": N_("Complaints per department"),
          "chart-backlog": N_("Tickets not closed, by age")}


def _query(ctx):
    period = ctx.query("period") or "week"
    return period, figures.figures(period, figures.parse_day(ctx.query("from"), "from"),
                                   figures.parse_day(ctx.query("to"), "to"))


def _bars(counts, label):
    """(label, count) pairs, largest first, of the counts that are not 0."""
    return sorted(((label(key), n) for key, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0]))


def _charts(ctx, data):
    _ = ctx._
    totals = data["totals"]

    def coded(table):  # a code in the page's language
        return lambda code: _(table.get(code, code))

    def named(empty):  # a name, or what its absence means
        return lambda name: name or _(empty)
    rows = [{"day": p["label"], "parts": p["opened"],
             "rate": p["sla"]["met"] / (p["sla"]["met"] + p["sla"]["missed"])
             if p["sla"]["met"] + p["sla"]["missed"] else None} for p in data["periods"]]
    agents = [(f"{a['badge_no']} {a['name']}" if a["staff_id"] else _("(no agent named)"), a["complaints"])
              for a in totals["complaints_by_agent"]]
    begun = [p for p in data["periods"] if p["backlog"]]
    bars = {
        "chart-sla": _bars(totals["sla"], coded(SLA_LABELS)),
        "chart-kind": _bars(totals["by_kind"], coded(KIND_LABELS)),
        "chart-source": _bars(totals["by_source"], coded(SOURCE_LABELS)),
        "chart-department": _bars(totals["by_department"], named(N_("(no department)"))),
        "chart-handler": _bars(totals["by_handler"], named(N_("(nobody assigned)"))),
        "chart-answers": _bars(totals["answered_by"], named(N_("(not recorded)"))),
        "chart-agents": agents,
        "chart-complaint-departments": _bars(totals["complaints_by_department"], named(N_("(no department)"))),
        "chart-backlog": _bars(begun[-1]["backlog"]["by_age"], coded(AGE_LABELS)) if begun else [],
    }
    svgs = {"chart-opened": charts.daily_chart(rows, _("Tickets opened and service level"),
                                               _("answered in time"))}
    for name, pairs in bars.items():
        svgs[name] = charts.hbar_chart(pairs, _(TITLES[name])) if pairs else None
    return svgs, (begun[-1] if begun else None)


@page("/tickets/figures", "reports", nav=("Ticket figures", 79))
def ticket_figures_page(ctx):
    form = {"period": ctx.query("period") or "week", "from": ctx.query("from"), "to": ctx.query("to")}
    values = {"title": ctx._("Ticket figures"), "form": form, "periods": PERIOD_LABELS, "titles": TITLES,
              "sla_labels": SLA_LABELS, "status_labels": STATUS_LABELS}
    try:
        _, data = _query(ctx)
    except InputError as exc:  # the form again, the field named in the page's language
        return respond(ctx.render("ticket_figures", error=ctx.error_text(exc), data=None, **values), 400)
    svgs, backlog = _charts(ctx, data)
    csv_url = page_url("/tickets/figures.csv", period=data["period"], **{"from": data["from"], "to": data["to"]})
    return ctx.render("ticket_figures", error=None, data=data, svgs=svgs, backlog=backlog, csv_url=csv_url,
                      **values)


@page("/tickets/figures.csv", "reports")
def ticket_figures_csv(ctx):
    """The figures as the API's CSV, for a spreadsheet."""
    _, data = _query(ctx)
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so that Excel in China opens the UTF-8 file with its Chinese intact
    figures.write_csv(data, out)
    return file_response(out.getvalue(), "text/csv; charset=utf-8",
                         f"ticket-figures-{data['period']}-{data['from']}-{data['to']}.csv")
