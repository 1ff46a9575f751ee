"""Core API routes: who am I and the call log (the tickets are in web/api/tickets.py)."""
from appliance.ivr import calls
from appliance.ivr.models import CALL_OUTCOMES
from appliance.users import sees
from web.api import CLOCK_RE, DATE_RE, PAGE_PARAMS, api_route, list_schema, page_json, param


@api_route("GET", "/me", "The token making this request", permission="view", tags=["meta"],
           response={"type": "object", "properties": {
               "name": {"type": "string"}, "role": {"type": "string"}}})
def whoami(call):
    return {"name": call.token.name, "role": call.token.role}


CALL_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "script": {"type": "string"}, "caller_id": {"type": "string"},
    "started_at": {"type": "string", "format": "date-time"}, "ended_at": {"type": ["string", "null"]},
    "duration_s": {"type": ["number", "null"]}, "path": {"type": "array", "items": {"type": "string"}},
    "outcome": {"type": "string"}, "detail": {"type": "string"}}}
INSTANT = {"type": "string", "pattern": f"^{DATE_RE}(?:[T ]{CLOCK_RE})?$",
           "description": "YYYY-MM-DD or YYYY-MM-DDTHH:MM"}


@api_route("GET", "/calls", "Calls, newest first (keyset pagination)", permission="view", tags=["calls"],
           params=[*PAGE_PARAMS,
                   param("caller", "query", {"type": "string", "maxLength": 32},
                         description="the caller's number in any form (13800138000, +8613800138000)"),
                   param("outcome", "query", {"type": "string", "enum": list(CALL_OUTCOMES)}),
                   param("script", "query", {"type": "string", "maxLength": 32},
                         description="ivr, notify, survey or screen"),
                   param("since", "query", INSTANT, description="started at or after"),
                   param("until", "query", INSTANT, description="started before")],
           response=list_schema(CALL_SCHEMA))
def list_calls(call):
    page = calls.listing(before=call.query.get("before"), limit=call.query["limit"],
                         **{k: call.query.get(k) for k in ("caller", "outcome", "script", "since", "until")})
    mask = not sees(call.role, "mobile")
    return page_json(page, lambda c: c.to_dict(mask=mask))
