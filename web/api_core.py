"""Core API routes: who am I, and the call log (when the IVR part is installed)."""
from web.api import PAGE_PARAMS, api_route, page_of, param


@api_route("GET", "/me", "The token making this request", permission="view", tags=["meta"],
           response={"type": "object", "properties": {
               "name": {"type": "string"}, "role": {"type": "string"}}})
def whoami(call):
    return {"name": call.token.name, "role": call.token.role}


CALL_SCHEMA = {"type": "object", "additionalProperties": True}


@api_route("GET", "/calls", "Calls, newest first (keyset pagination)", permission="view", tags=["calls"],
           params=[*PAGE_PARAMS, param("caller", "query", {"type": "string", "maxLength": 32})],
           response={"type": "object", "properties": {
               "items": {"type": "array", "items": CALL_SCHEMA},
               "next_before": {"type": ["integer", "null"]}}})
def list_calls(call):
    try:
        from appliance import calls
    except ImportError:
        return {"items": [], "next_before": None}
    if hasattr(calls, "list_calls"):
        return calls.list_calls(limit=call.query.get("limit", 50), before=call.query.get("before"),
                                caller=call.query.get("caller"))
    return {"items": [], "next_before": None}
