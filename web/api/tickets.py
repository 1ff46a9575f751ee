"""API routes of the tickets (/api/v1/tickets…): the list with its filters, one ticket, its
history, opening one (source api) and every step of its life (assign, start, answer,
return, close, reopen, note). The domain does the work (appliance.tickets.listing,
.lifecycle, appliance.ivr.tickets.open_ticket); these routes only translate. An impossible
step is a 409, a ticket that does not exist a 404, bad input a 400 naming the field."""
from appliance.ivr import tickets
from appliance.models import Customer, audit
from appliance.phones import normalize
from appliance.errors import InputError
from appliance.tickets import lifecycle, listing
from appliance.tickets.models import EVENT_ACTIONS, TICKET_KINDS, TICKET_SOURCES, TICKET_STATUSES
from appliance.users import sees
from web.api import DAY, PAGE_PARAMS, ApiResponse, api_route, list_schema, page_json, param
from web.api.services import NOT_BLANK, call_config

TICKET = {"type": "object", "required": ["id", "number", "kind", "source", "status"], "properties": {
    "id": {"type": "integer"}, "number": {"type": "string"}, "kind": {"type": "string", "enum": list(TICKET_KINDS)},
    "source": {"type": "string", "enum": list(TICKET_SOURCES)},
    "status": {"type": "string", "enum": list(TICKET_STATUSES)}, "caller": {"type": "string"},
    "department": {"type": "string"}, "assignee": {"type": "string"}, "overdue": {"type": "boolean"},
    "due_at": {"type": ["string", "null"]}, "text": {"type": "string"}, "resolution": {"type": "string"}}}
EVENT = {"type": "object", "required": ["at", "by", "action"], "properties": {
    "at": {"type": "string"}, "by": {"type": "string"}, "action": {"type": "string", "enum": list(EVENT_ACTIONS)},
    "from_status": {"type": "string"}, "to_status": {"type": "string"}, "department": {"type": "string"},
    "assignee": {"type": "string"}, "text": {"type": "string"}}}
NUMBER = [param("number", "path", {"type": "string", "pattern": r"^[0-9]{1,19}$"},
                description="the ticket's number (e.g. 2611300004) or its id")]
# What was said: an answer, a reason, a note; never blank where the step needs one.
SAID = {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": NOT_BLANK}
OPTIONAL_SAID = {"type": "string", "maxLength": 2000}
FILTERS = [
    param("status", "query", {"type": "string", "enum": list(TICKET_STATUSES)}),
    param("kind", "query", {"type": "string", "enum": list(TICKET_KINDS)}, description="the category"),
    param("source", "query", {"type": "string", "enum": list(TICKET_SOURCES)}),
    param("department", "query", {"type": "string", "maxLength": 100}, description="a department's id or name"),
    param("assignee", "query", {"type": "string", "maxLength": 100}, description="the person it is assigned to"),
    param("overdue", "query", {"type": "boolean"}, description="only tickets past due and not yet answered"),
    param("number", "query", {"type": "string", "pattern": r"^[+(]?[0-9][0-9 ()./-]{0,19}$"},
          description="the ticket's or the caller's number in any written form, or only its last digits"),
    param("since", "query", DAY, description="opened on or after this day (the box's days)"),
    param("until", "query", DAY, description="opened on or before this day")]
NO_DEPARTMENT = ("a department or assignee (an admin user) that does not exist; "
                 "an assignment naming neither a department nor a person")


def _mask(call):
    return not sees(call.role, "mobile")


def _ticket(call, ticket):
    return listing.as_dict(ticket, mask=_mask(call))


@api_route("GET", "/tickets", "Tickets, newest first, filtered as on the tickets page", permission="view",
           tags=["tickets"], params=[*PAGE_PARAMS, *FILTERS], response=list_schema(TICKET))
def list_tickets(call):
    page = listing.listing(before=call.query.get("before"), limit=call.query["limit"],
                           **{p.name: call.query.get(p.name) for p in FILTERS})
    return page_json(page, lambda t: _ticket(call, t))


@api_route("GET", "/tickets/{number}", "One ticket", permission="view", tags=["tickets"], params=NUMBER,
           response=TICKET)
def get_ticket(call, number):
    return _ticket(call, tickets.get_ticket(number))


@api_route("GET", "/tickets/{number}/history", "A ticket's history, oldest first: who, when, what was said",
           permission="view", tags=["tickets"], params=NUMBER,
           response={"type": "object", "properties": {"items": {"type": "array", "items": EVENT}}})
def ticket_history(call, number):
    ticket = tickets.get_ticket(number)
    return {"items": [listing.event_dict(e) for e in lifecycle.history(ticket)]}


@api_route("POST", "/tickets", "Open a ticket (source api)", permission="inbox", tags=["tickets"], status=201,
           body={"type": "object", "required": ["kind", "caller"], "additionalProperties": False, "properties": {
               "kind": {"type": "string", "enum": list(TICKET_KINDS)},
               "caller": {"type": "string", "maxLength": 32, "description": "the phone number it is for"},
               "text": {"type": "string", "maxLength": 2000},
               "customer_id": {"type": "integer", "minimum": 1}}},
           refusals=("a caller that is not a valid phone number", "a customer_id of no customer"),
           response=TICKET)
def open_ticket(call):
    body = call.body
    caller = normalize(body["caller"], "caller")
    customer = body.get("customer_id")
    if customer and Customer.get_or_none(Customer.id == customer) is None:
        raise InputError(f"customer_id: no customer {customer} (import customers first)", field="customer_id")
    ticket = tickets.open_ticket(body["kind"], "api", number=caller, customer=customer, text=body.get("text", ""),
                                 by=call.actor, config=call.config or call_config())
    audit(call.actor, "ticket.open", f"ticket:{ticket.number}", source=call.source)
    return ApiResponse(201, _ticket(call, ticket))


def _step(action, function, summary, body):
    """A POST /tickets/{number}/<action> route calling lifecycle.<function>."""
    def handler(call, number):
        ticket = tickets.get_ticket(number)
        values = dict(call.body)
        if function in ("answer", "reopen"):  # the answer's SMS and the due time follow the box's settings
            values["config"] = call.config or call_config()
        getattr(lifecycle, function)(ticket, by=call.actor, **values)
        audit(call.actor, f"ticket.{action}", f"ticket:{ticket.number}", values.get("text", "")[:200], call.source)
        return _ticket(call, tickets.get_ticket(ticket.id))
    handler.__name__ = f"ticket_{action}"
    api_route("POST", f"/tickets/{{number}}/{action}", summary, permission="inbox", tags=["tickets"],
              params=NUMBER, body={"type": "object", "additionalProperties": False, **body}, response=TICKET,
              refusals=(NO_DEPARTMENT,) if action == "assign" else ())(handler)


_step("assign", "assign", "Assign to a department or a person (new or returned)", {"properties": {
    "department": {"type": "string", "minLength": 1, "maxLength": 100, "description": "its name or id"},
    "assignee": {"type": "string", "maxLength": 100}, "text": OPTIONAL_SAID}})
_step("start", "start", "Start handling (assigned or returned)", {"properties": {"text": OPTIONAL_SAID}})
_step("answer", "answer", "Answer it (the customer's SMS is queued)",
      {"required": ["text"], "properties": {"text": SAID}})
_step("return", "return_for_rework", "Return an answer for re-handling (front desk)",
      {"required": ["text"], "properties": {"text": SAID}})
_step("close", "close", "Close an answered ticket (the customer was told)", {"properties": {"text": OPTIONAL_SAID}})
_step("reopen", "reopen", "Reopen a closed ticket", {"required": ["text"], "properties": {"text": SAID}})
_step("note", "note", "Add a note to the history", {"required": ["text"], "properties": {"text": SAID}})
