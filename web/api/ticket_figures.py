"""API routes of the ticket figures (/api/v1/tickets/figures, .csv): per week or month,
the figures of appliance.tickets.figures, for the roles that see reports (staff assessment).
The domain computes them; these routes only translate."""
import io

from appliance.tickets import figures
from web.api import DAY, api_route, param
from web.api.voice import file_response

COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


def _exactly(names, value=None):
    """An object with exactly these members, each an integer count (or `value`)."""
    return {"type": "object", "required": list(names), "additionalProperties": False,
            "properties": {name: value or {"type": "integer", "minimum": 0} for name in names}}


SLA = _exactly(figures.SLA_OUTCOMES)
INSTANT = {"type": "string", "format": "date-time"}
AGENT = {"type": "object", "required": ["staff_id", "badge_no", "name", "department", "complaints"],
         "additionalProperties": False, "properties": {
             "staff_id": {"type": ["integer", "null"], "description": "null: complaints about no agent"},
             "badge_no": {"type": "string"}, "name": {"type": "string"}, "department": {"type": "string"},
             "complaints": {"type": "integer", "minimum": 0}}}
BACKLOG = {"type": ["object", "null"], "description": "the tickets not closed at the period's end (now for the "
           "running period); null for a period not begun",
           "required": ["at", "open", "past_due", "by_status", "by_age"], "additionalProperties": False,
           "properties": {"at": INSTANT, "open": {"type": "integer", "minimum": 0},
                          "past_due": {"type": "integer", "minimum": 0},
                          "by_status": _exactly(figures.OPEN), "by_age": _exactly(figures.AGE_BANDS)}}
COHORT = {  # the tickets opened in the period (or in all of them, for the totals)
    "opened": {"type": "integer", "minimum": 0}, "complaints": {"type": "integer", "minimum": 0},
    "by_kind": _exactly(figures.TICKET_KINDS), "by_source": _exactly(figures.TICKET_SOURCES),
    "by_department": COUNTS, "by_handler": COUNTS, "answered_by": COUNTS, "sla": SLA,
    "complaints_by_department": COUNTS, "complaints_by_agent": {"type": "array", "items": AGENT}}
PERIOD = {"type": "object", "additionalProperties": False, "required": ["label", "first", "last", "start", "end",
                                                                         *COHORT, "sla_by_department",
                                                                         "sla_by_handler", "backlog"],
          "properties": {"label": {"type": "string", "description": "2026-W48 or 2026-11"},
                         "first": {"type": "string", "format": "date"}, "last": {"type": "string", "format": "date"},
                         "start": INSTANT, "end": INSTANT, **COHORT,
                         "sla_by_department": {"type": "object", "additionalProperties": SLA},
                         "sla_by_handler": {"type": "object", "additionalProperties": SLA},
                         "backlog": BACKLOG}}
FIGURES = {"type": "object", "additionalProperties": False,
           "required": ["period", "from", "to", "as_of", "periods", "totals"], "properties": {
               "period": {"type": "string", "enum": list(figures.PERIODS)},
               "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
               "as_of": INSTANT, "periods": {"type": "array", "items": PERIOD},
               "totals": {"type": "object", "additionalProperties": False, "required": list(COHORT),
                          "properties": COHORT}}}
PARAMS = [param("period", "query", {"type": "string", "enum": list(figures.PERIODS), "default": "week"},
                description="weeks (Monday to Sunday) or months of the box's calendar"),
          param("from", "query", DAY, description="the first day (its week or month); default: "
                f"{figures.DEFAULT_COUNT['week']} weeks or {figures.DEFAULT_COUNT['month']} months back"),
          param("to", "query", DAY, description="the last day (its week or month); default today")]
REFUSED = ("from after to", f"more than {figures.MAX_PERIODS} weeks or months at a time")
DESCRIPTION = ("For the tickets opened in each period: counts by category, source, department and handler "
               "(\"\": none), the service level of those with a due time (met, missed: first answered after "
               "it, overdue: not answered and past it, pending), complaints per agent and department; the "
               "answers given in it per person; the backlog at its end by status, age and past due.")


def _figures(call):
    query = call.query
    return figures.figures(query["period"], figures.parse_day(query.get("from"), "from"),
                           figures.parse_day(query.get("to"), "to"))


@api_route("GET", "/tickets/figures", "Ticket figures per week or month (staff assessment)", permission="reports",
           tags=["tickets"], params=PARAMS, response=FIGURES, description=DESCRIPTION, refusals=REFUSED)
def ticket_figures(call):
    return _figures(call)


@api_route("GET", "/tickets/figures.csv", "Ticket figures per week or month as CSV, a row per number",
           permission="reports", tags=["tickets"], params=PARAMS, refusals=REFUSED, media="text/csv",
           response={"type": "string", "description": "CSV, UTF-8, header: " + ",".join(figures.CSV_HEADER)})
def ticket_figures_csv(call):
    data = _figures(call)
    out = io.StringIO()
    figures.write_csv(data, out)
    return file_response(out.getvalue(), "text/csv; charset=utf-8",
                         f"ticket-figures-{data['period']}-{data['from']}-{data['to']}.csv")
