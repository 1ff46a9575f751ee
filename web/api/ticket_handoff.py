"""API routes of the ticket hand-off between boxes (appliance.tickets.handoff): a peer hands
a ticket here, either side sends its later events, and a ticket of this box is handed to a
peer. Only a token named as a peer in tickets.peers may hand over or send events (409 else);
the domain does the work, these routes only translate."""
from appliance.ivr.tickets import get_ticket
from appliance.tickets import handoff
from appliance.tickets.models import EVENT_ACTIONS, TICKET_KINDS
from web.api import ApiResponse, api_route, param
from web.api.services import call_config

KEY = {"type": "string", "pattern": r"^[0-9A-Za-z._-]{1,64}$"}
SHORT = {"type": "string", "maxLength": handoff.NAME}
TEXT = {"type": "string", "maxLength": handoff.TEXT}
STATUS = {"type": "string", "maxLength": 20}
EVENT = {"type": "object", "required": ["id", "action"], "additionalProperties": False, "properties": {
    "id": {"type": "integer", "minimum": 1, "maximum": 2 ** 63 - 1}, "at": {"type": "string", "maxLength": 40,
                                                     "description": "ISO 8601 with an offset"},
    "by": SHORT, "action": {"type": "string", "enum": list(EVENT_ACTIONS)},
    "from_status": STATUS, "to_status": STATUS, "department": SHORT, "assignee": SHORT, "text": TEXT}}
HANDOFF = {"type": "object", "required": ["key", "number", "kind"], "additionalProperties": False, "properties": {
    "key": KEY,
    "number": {"type": "string", "minLength": 1, "maxLength": 32, "description": "the sender's number"},
    "kind": {"type": "string", "enum": list(TICKET_KINDS)},
    "caller": {"type": "string", "maxLength": 32, "description": "the customer's phone number"},
    "text": TEXT, "history": {"type": "array", "maxItems": handoff.HISTORY, "items": EVENT}}}
TAKEN = {"type": "object", "required": ["key", "number", "created"], "properties": {
    "key": {"type": "string"}, "number": {"type": "string", "description": "the ticket's number here"},
    "created": {"type": "boolean"}}}
EVENTS = {"type": "object", "required": ["side", "events"], "additionalProperties": False, "properties": {
    "side": {"type": "string", "enum": ["out", "in"],
             "description": "out: the sender handed the ticket over; in: it was handed to the sender"},
    "events": {"type": "array", "maxItems": handoff.BATCH, "items": EVENT}}}
HAND_OFF = {"type": "object", "required": ["peer"], "additionalProperties": False, "properties": {
    "peer": {"type": "string", "minLength": 1, "maxLength": 64, "description": "a name in tickets.peers"},
    "note": TEXT}}
HANDED = {"type": "object", "required": ["number", "peer", "key", "delivered"], "properties": {
    "number": {"type": "string"}, "peer": {"type": "string"}, "key": {"type": "string"},
    "delivered": {"type": "boolean"}, "remote_number": {"type": "string"}, "error": {"type": "string"}}}


@api_route("POST", "/ticket-handoffs", "A peer hands a ticket to this box, with its history",
           permission="inbox", tags=["tickets"], body=HANDOFF, response=TAKEN, status=201, also=(200,),
           description="Opens a ticket here (source remote). The same key again answers 200 with the ticket "
                       "the first request opened. Only from a token named as a peer in tickets.peers.")
def receive_handoff(call):
    config = call_config()
    name = handoff.accepted_peer(config, call.token.name)
    row, created = handoff.receive(config, name, call.body)
    return ApiResponse(201 if created else 200,
                       {"key": row.key, "number": row.ticket.number, "created": created})


@api_route("POST", "/ticket-handoffs/{key}/events", "A peer's later events of a ticket handed between us",
           permission="inbox", tags=["tickets"], params=[param("key", "path", KEY)], body=EVENTS,
           response={"type": "object", "required": ["received_through"],
                     "properties": {"received_through": {"type": "integer"}}},
           description="Each event is kept as a remote_update; an answer, return, close or reopen moves the "
                       "ticket here. Events already received are skipped.")
def receive_events(call, key):
    config = call_config()
    name = handoff.accepted_peer(config, call.token.name)
    through = handoff.receive_events(config, name, key, call.body["side"], call.body["events"])
    return {"received_through": through}


@api_route("POST", "/tickets/{number}/hand-off", "Hand a ticket of this box to a peer",
           permission="inbox", tags=["tickets"], params=[param("number", "path", {"type": "string",
                                                                                 "maxLength": 20})],
           body=HAND_OFF, response=HANDED, status=201,
           description="Committed at once; sent now, or by the services daemon when the peer is down.")
def hand_off(call, number):
    ticket = get_ticket(number)
    row = handoff.hand_off(call_config(), ticket, call.body["peer"], by=call.actor,
                           text=call.body.get("note", ""), source=call.source)
    return ApiResponse(201, {"number": ticket.number, "peer": row.peer, "key": row.key,
                             "delivered": row.delivered_at is not None, "remote_number": row.remote_number,
                             "error": row.last_error})
