"""Core API routes: who am I, and the call log (when the IVR part is installed)."""
from appliance.users import sees

from web.api import PAGE_PARAMS, api_route, page_of, param


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


@api_route("GET", "/calls", "Calls, newest first (keyset pagination)", permission="view", tags=["calls"],
           params=[*PAGE_PARAMS,
                   param("caller", "query", {"type": "string", "maxLength": 32}, description="exact caller ID"),
                   param("outcome", "query", {"type": "string", "maxLength": 32})],
           response={"type": "object", "properties": {
               "items": {"type": "array", "items": CALL_SCHEMA},
               "next_before": {"type": ["integer", "null"]}}})
def list_calls(call):
    from appliance.ivr.models import CALL_OUTCOMES, Call
    from appliance.errors import InputError
    query = Call.select()
    if call.query.get("caller"):
        query = query.where(Call.caller_id == call.query["caller"])
    if call.query.get("outcome"):
        if call.query["outcome"] not in CALL_OUTCOMES:
            raise InputError(f"outcome: must be one of {', '.join(CALL_OUTCOMES)}", field="outcome")
        query = query.where(Call.outcome == call.query["outcome"])
    mask = not sees(call.role, "mobile")
    return page_of(query, Call.id, call, lambda c: c.to_dict(mask=mask))
