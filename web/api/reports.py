"""API routes of issue 17's reports for the roles that see reports: /api/v1/reports/letters,
collection, campaign-effect and rates (/reports/campaigns is the SMS campaigns' delivery, in
web/api/services.py). The figures of appliance.reports as JSON, each table a list of rows
(money and rates as decimal strings, null where a rate has nothing to divide by). The domain
computes them; these routes only translate."""
from appliance.reports import campaigns, collection, letters, period, rates
from web.api import DAY, api_route, param

CELL = {"type": ["string", "integer", "null"]}
ROWS = {"type": "array", "items": {"type": "object", "additionalProperties": CELL}}
REPORT = {"type": "object", "required": ["report", "from", "to", "tables"], "properties": {
    "report": {"type": "string"}, "from": {"type": "string", "format": "date"},
    "to": {"type": "string", "format": "date"}, "days": {"type": "integer"},
    "step": {"type": "string", "enum": list(period.STEPS)},
    "tables": {"type": "object", "additionalProperties": ROWS}}}
RANGE = [param("from", "query", DAY, description=f"the first of the box's days (default {period.DEFAULT_DAYS} "
               "days back)"),
         param("to", "query", DAY, description="the last of the box's days (default today)")]
REFUSED = ("from after to", f"more than {period.MAX_DAYS} days at a time")


def _range(call):
    return period.parse_range(call.query.get("from"), call.query.get("to"))


def _json(data, **extra):
    """A report as the API gives it: its tables by name, rows as they are."""
    return {"report": data["name"], "from": data["from"], "to": data["to"], **extra,
            "tables": {t["name"]: t["rows"] for t in data["tables"]}}


@api_route("GET", "/reports/letters", "Renewal notices priced as letters against SMS, calls and e-mail",
           permission="reports", tags=["reports"], params=RANGE, response=REPORT, refusals=REFUSED,
           description=letters.__doc__)
def letters_report(call):
    return _json(letters.report(call.config, _range(call)))


@api_route("GET", "/reports/collection", "Premiums due and paid within N days of a reminder", permission="reports",
           tags=["reports"], response=REPORT, refusals=REFUSED, description=collection.__doc__,
           params=RANGE + [param("days", "query", {"type": "integer", "minimum": 0, "maximum": 365},
                                 description="N (default the setting reports.collection_days)")])
def collection_report(call):
    data = collection.report(call.config, _range(call), call.query.get("days"))
    return _json(data, days=data["days"])


@api_route("GET", "/reports/campaign-effect", "Campaign effect and survey results of the campaigns created in the days",
           permission="reports", tags=["reports"], params=RANGE, response=REPORT, refusals=REFUSED,
           description=campaigns.__doc__)
def campaign_effect_report(call):
    return _json(campaigns.report(call.config, _range(call)))


@api_route("GET", "/reports/rates", "Delivery and answer rates per day or week", permission="reports",
           tags=["reports"], response=REPORT, refusals=REFUSED, description=rates.__doc__,
           params=RANGE + [param("step", "query", {"type": "string", "enum": list(period.STEPS), "default": "day"})])
def rates_report(call):
    step = call.query.get("step") or "day"
    return _json(rates.report(call.config, _range(call), step), step=step)
