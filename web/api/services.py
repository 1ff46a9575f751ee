"""API routes of the SMS services: business events from the core systems,
messages, the inbox, upserts of customers, staff, policies, payments and claims,
campaigns, surveys and statements. The domain does the work (appliance.*);
these routes only translate JSON."""

from appliance import clock, groups, importer, models
from appliance.errors import InputError, NotFound
from appliance.mail import listing as mail_listing
from appliance.mail.models import MailMessage
from appliance.models import audit
from appliance.privacy import mask_mobile
from appliance.services import campaigns, notices, sending, surveys
from appliance.sms import billing, history, inbox, inbox_actions
from appliance.sms.models import CATEGORIES, MESSAGE_STATES, Message
from appliance.users import sees
from web.api import (CLOCK_RE, DATE_RE, DAY, INT64, MONTH, PAGE_PARAMS, ApiResponse, api_route, list_schema,
                     page_json, param)

OBJECT = {"type": "object", "additionalProperties": True}
VARIABLES = {"type": "object", "description": "extra template variables, e.g. {\"documents\": \"体检报告\"}",
             "additionalProperties": {"type": ["string", "number"], "maxLength": 2000,
                                      "minimum": INT64[0], "maximum": INT64[1]}}
# A phone number as written: digits, an optional + or (, spaces, dashes, dots and
# brackets (13800138000, +86 138-0013-8000, (010) 6552 9988). Whether it is a valid
# number (phonenumbers, China by default) JSON Schema cannot say: 400 naming the field.
PHONE_RE = r"[+(]?[0-9][0-9 ()./-]*"
EMAIL_RE = r"[^@\s]+@[^@\s]+\.[^@\s]+"  # the shape; appliance.models.check_email (email-validator) decides
PHONES_RE = r"[0-9+()./ ,;，；-]*"  # several, separated by , ; / or spaces
NUMBER = {"type": "string", "minLength": 3, "maxLength": 32, "pattern": f"^{PHONE_RE}$",
          "description": "a phone number as written (13800138000, +86 138-0013-8000); "
                         "one that is not a valid number is refused (400)"}
NOT_A_PHONE = "a phone number that is not a valid one (phonenumbers, China by default)"
# The box's wall-clock time, or ISO 8601 with an offset ('2026-11-30T09:15:00+08:00').
TIMESTAMP = {"type": "string", "pattern": f"^{DATE_RE}[T ]{CLOCK_RE}(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)?$",
             "description": "the box's local time, or ISO 8601 with an offset"}


def _number(call, number):
    return number if sees(call.role, "mobile") else mask_mobile(number)


def _mask(call):
    """Whether this token's role sees mobiles masked (as the pages show them)."""
    return not sees(call.role, "mobile")


def _message(call, message):
    if isinstance(message, MailMessage):  # the customer prefers e-mail (appliance/mail/outbox.py)
        return mail_listing.as_dict(message, mask=_mask(call))
    return history.as_dict(message, mask=_mask(call))


def _timestamp(text, field):
    """ISO 8601 with an offset, or without one on the box's wall clock -> the instant."""
    if not text:
        return None
    try:
        return clock.parse(text, field)
    except (ValueError, OverflowError):  # '2026-13-01T00:00': the pattern lets it through
        raise InputError(f"{field}: {text!r} is not a time", field=field) from None


# --- events ------------------------------------------------------------------------

@api_route("POST", "/events", "A business event from a core system: its notice is sent at once",
           permission="send", tags=["events"], status=201,
           description="`type` is a notice type (GET /events/types). A policy event names `policy_no`, a "
                       "claim event `claim_no`, a birthday or holiday `customer_no`. With `event_id`, a "
                       "retried event returns the message already queued instead of sending again.",
           body={"type": "object", "required": ["type"], "additionalProperties": False, "properties": {
               "type": {"type": "string", "enum": list(notices.EVENT_TYPES)},
               "policy_no": {"type": "string", "maxLength": 64},
               "customer_no": {"type": "string", "maxLength": 64},
               "claim_no": {"type": "string", "maxLength": 64},
               "event_id": {"type": "string", "maxLength": 128},
               "variables": VARIABLES}},
           response=OBJECT)
def post_event(call):
    body = call.body
    message = notices.send_event(call_config(), body["type"], policy_no=body.get("policy_no"),
                                 customer_no=body.get("customer_no"), claim_no=body.get("claim_no"),
                                 event_id=body.get("event_id"), variables=body.get("variables"),
                                 source="api", created_by=call.actor)
    return ApiResponse(201, _message(call, message))


@api_route("GET", "/events/types", "The notice types an event may name", permission="view", tags=["events"],
           response={"type": "array", "items": OBJECT})
def event_types(call):
    return notices.catalogue()


# --- messages ----------------------------------------------------------------------------

@api_route("POST", "/messages", "Queue one SMS (a text, or a template with variables)", permission="send",
           tags=["messages"], status=201,
           description="Marketing messages are refused for opted-out and do-not-disturb numbers (409), "
                       "get the opt-out hint, and wait for the marketing window.",
           body={"type": "object", "required": ["to"], "additionalProperties": False,
                 # text or template, not both (checked by the handler; check_schema has no oneOf)
                 "oneOf": [{"required": ["text"]}, {"required": ["template"]}], "properties": {
               "to": NUMBER,
               "text": {"type": "string", "minLength": 1, "maxLength": 2000},
               "template": {"type": "string", "maxLength": 64},
               "variables": VARIABLES,
               "language": {"type": "string", "enum": ["zh", "en"]},
               "category": {"type": "string", "enum": ["service", "marketing", "internal"]},
               "priority": {"type": "integer", "minimum": 1, "maximum": 9},
               "not_before": TIMESTAMP, "not_after": TIMESTAMP,
               "department": {"type": "string", "maxLength": 64}}},
           refusals=(NOT_A_PHONE, "a text whose braces are not {variable} names the box knows, with a value in "
                     "variables (write {{ and }} for a brace itself)"), response=OBJECT)
def post_message(call):
    body = call.body
    if ("text" in body) == ("template" in body):
        raise InputError("text: give text or template, not both", field="text")
    message = sending.send_one(call_config(), body["to"], body.get("text"), template=body.get("template"),
                               variables=body.get("variables"), language=body.get("language", "zh"),
                               category=body.get("category"), priority=body.get("priority", 5),
                               not_before=_timestamp(body.get("not_before"), "not_before"),
                               not_after=_timestamp(body.get("not_after"), "not_after"), source="api",
                               created_by=call.actor, department=body.get("department", ""))
    audit(call.actor, "sms.send", f"message:{message.id}", source=call.source)
    return ApiResponse(201, _message(call, message))


@api_route("GET", "/messages", "Messages with their parts, newest first, filtered as on the history page",
           permission="view", tags=["messages"],
           params=[*PAGE_PARAMS,
                   param("state", "query", {"type": "string", "enum": list(MESSAGE_STATES)}),
                   param("category", "query", {"type": "string", "enum": list(CATEGORIES)}),
                   param("to", "query", NUMBER, description="recipient mobile, in any written form"),
                   param("since", "query", DAY, description="created on or after this day"),
                   param("until", "query", DAY, description="created on or before this day")],
           refusals=(NOT_A_PHONE,), response=list_schema(OBJECT))
def list_messages(call):
    page = history.listing(before=call.query.get("before"), limit=call.query["limit"],
                           **{k: call.query.get(k) for k in ("state", "category", "to", "since", "until")})
    return page_json(page, lambda m: _message(call, m))


@api_route("GET", "/messages/{message_id}", "One message with its parts and states", permission="view",
           tags=["messages"], params=[param("message_id", "path", {"type": "integer", "minimum": 1})],
           response=OBJECT)
def get_message(call, message_id):
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise NotFound(f"message_id: no message {message_id}", field="message_id")
    return _message(call, message)


@api_route("GET", "/inbox", "Inbound SMS, newest first, with how each was handled", permission="inbox",
           tags=["messages"],
           params=[*PAGE_PARAMS, param("state", "query", {"type": "string", "enum": list(inbox.STATE_FILTERS)},
                                       description="all: every state but deleted (the page's All); "
                                                   "none: every message")],
           response=list_schema(OBJECT))
def list_inbox(call):
    page = inbox.listing(state=call.query.get("state"), before=call.query.get("before"), limit=call.query["limit"])
    return page_json(page, lambda m: inbox.as_dict(m, mask=_mask(call)))


INBOUND_ID = [param("inbound_id", "path", {"type": "integer", "minimum": 1})]


@api_route("POST", "/inbox/{inbound_id}/reply", "Reply to an inbound SMS (it becomes handled)",
           permission="inbox", tags=["messages"], status=201, params=INBOUND_ID,
           body={"type": "object", "required": ["text"], "additionalProperties": False,
                 "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000}}},
           response=OBJECT)
def reply_inbound(call, inbound_id):
    message = inbox_actions.reply(inbound_id, call.body["text"], call.actor, call.source, config=call_config())
    return ApiResponse(201, _message(call, message))


@api_route("POST", "/inbox/{inbound_id}/forward", "Forward an inbound SMS to a colleague's mobile",
           permission="inbox", tags=["messages"], status=201, params=INBOUND_ID,
           body={"type": "object", "required": ["to"], "additionalProperties": False, "properties": {"to": NUMBER}},
           refusals=(NOT_A_PHONE,), response=OBJECT)
def forward_inbound(call, inbound_id):
    message = inbox_actions.forward(inbound_id, call.body["to"], call.actor, call_config(), call.source)
    return ApiResponse(201, _message(call, message))


@api_route("POST", "/inbox/{inbound_id}/state", "Mark an inbound SMS handled, deleted (kept) or new",
           permission="inbox", tags=["messages"], params=INBOUND_ID,
           body={"type": "object", "required": ["state"], "additionalProperties": False,
                 "properties": {"state": {"type": "string", "enum": ["handled", "deleted", "new"]}}},
           response=OBJECT)
def set_inbound_state(call, inbound_id):
    message = inbox_actions.set_state(inbound_id, call.body["state"], call.actor, call.source)
    return {"id": message.id, "state": message.state, "handled_by": message.handled_by}


# --- core-system data --------------------------------------------------------------------

# The importer's conversions (appliance.importer.convert) as JSON Schema, so that a
# request the document allows is one the box takes (but for REFUSED below).
AMOUNT_RE = r"[0-9]{1,12}(?:\.[0-9]{1,2})?"
# Not empty nor only what str.strip() takes away (written out: generators' `\S` differs
# from Python's, which counts \x1c-\x1f as spaces).
NOT_BLANK = "[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
CHOICES = {"gender": ("M", "F"), "language": models.LANGUAGES, "frequency": models.FREQUENCIES,
           "status": {"staff": models.STAFF_STATUSES, "policies": models.POLICY_STATUSES,
                      "payments": models.PAYMENT_STATUSES, "claims": models.CLAIM_STATUSES}}
REFUSED = {  # 400s of rules JSON Schema cannot state, per kind (in the 400's description)
    "customers": ("a field required to create the record (name) left out when the record does not exist yet",
                  NOT_A_PHONE, "an ID number failing its check digit or holding an impossible birth date",
                  "a birth_date other than the ID number's", "an ID number another customer has",
                  "an e-mail address a mail server would not take (email-validator's syntax check)"),
    "staff": ("a field required to create the record (name) left out when the record does not exist yet",
              NOT_A_PHONE),
    "policies": ("a field required to create the record (product_code, holder_no, premium) left out "
                 "when the record does not exist yet",
                 "holder_no, insured_no or agent_badge naming a customer or staff member that does not exist"),
    "claims": ("a field required to create the record (policy_no, reported_on) left out when the "
               "record does not exist yet", "policy_no naming a policy that does not exist"),
    "payments": ("policy_no naming a policy that does not exist",),
}


def _field_schema(kind, f):
    """The JSON Schema of one importer field as the API takes it."""
    blank_ok = not f.required  # a required field, when given, is not empty
    pattern = {"date": DATE_RE, "decimal": AMOUNT_RE, "phone": PHONE_RE, "phones": PHONES_RE,
               "email": EMAIL_RE}.get(f.kind)
    if f.name == "id_number":
        pattern = "[0-9]{17}[0-9Xx]"
    schema = {"type": ["string", "number"] if f.kind == "decimal" else ["string"]}
    if f.kind == "decimal":
        schema.update(minimum=0, maximum=999999999999.99)
    if f.kind == "choice":
        codes = CHOICES[f.name]
        codes = codes[kind] if isinstance(codes, dict) else codes
        schema["enum"] = [*codes, *(word for word, code in importer.CHOICES[f.name].items()
                                    if code in codes and word not in codes)]
    if pattern:
        schema["pattern"] = f"^(?:{pattern})?$" if blank_ok else f"^{pattern}$"
    elif not blank_ok:
        schema["pattern"] = NOT_BLANK
    if blank_ok:  # empty or null: left as it is (an update) or the column's default
        schema["type"] = [*schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] += ["", None]
    return schema


def _upsert_route(kind, key_name, summary):
    fields = {f.name: _field_schema(kind, f) for f in importer.SPECS[kind]}
    required = [f.name for f in importer.SPECS[kind] if f.required and f.name != key_name]

    @api_route("PUT", f"/{kind}/{{{key_name}}}", summary, permission="contacts", tags=["data"], also=(201,),
               params=[param(key_name, "path", {"type": "string", "pattern": NOT_BLANK, "maxLength": 64})],
               body={"type": "object", "additionalProperties": False,
                     "properties": {k: v for k, v in fields.items() if k != key_name}},
               response={"type": "object", "properties": {"created": {"type": "boolean"}}},
               refusals=REFUSED[kind],
               description="Create or update by key; fields as in `appliance import "
                           f"{kind}` (dates YYYY-MM-DD, phone numbers cleaned and checked). "
                           f"Creating needs {', '.join(required)}; an update may leave any field out.")
    def upsert(call, **path):
        record = dict(call.body)
        record[key_name] = path[key_name]
        created = importer.upsert_record(kind, record, actor=call.actor, source=call.source)
        return ApiResponse(201 if created else 200, {"created": created, key_name: path[key_name]})
    upsert.__name__ = f"upsert_{kind}"
    return upsert


upsert_customers = _upsert_route("customers", "customer_no", "Create or update a customer")
upsert_staff = _upsert_route("staff", "badge_no", "Create or update a staff member")
upsert_policies = _upsert_route("policies", "policy_no", "Create or update a policy")
upsert_claims = _upsert_route("claims", "claim_no", "Create or update a claim")


@api_route("POST", "/payments", "Record a payment (the same booking twice is one payment)",
           permission="contacts", tags=["data"], status=201, also=(200,),
           body={"type": "object", "required": ["policy_no", "amount", "paid_on"], "additionalProperties": False,
                 "properties": {f.name: _field_schema("payments", f) for f in importer.SPECS["payments"]}},
           refusals=REFUSED["payments"],
           response={"type": "object", "properties": {"created": {"type": "boolean"}}})
def post_payment(call):
    created = importer.upsert_record("payments", call.body, actor=call.actor, source=call.source)
    return ApiResponse(201 if created else 200, {"created": created})


# --- campaigns, surveys, reports ----------------------------------------------------------

@api_route("POST", "/campaigns", "Send (or preview) a template to a group", permission="campaigns",
           tags=["campaigns"], status=201, also=(200,),
           body={"type": "object", "required": ["group"], "additionalProperties": False, "properties": {
               "name": {"type": "string", "maxLength": 100}, "group": {"type": "string", "maxLength": 100},
               "template": {"type": "string", "maxLength": 64}, "text": {"type": "string", "maxLength": 2000},
               "category": {"type": "string", "enum": ["service", "marketing", "internal"]},
               "variables": VARIABLES, "department": {"type": "string", "maxLength": 64},
               "preview": {"type": "boolean"},
               "channel": {"type": "string", "enum": ["sms", "email", "preference"]}}},
           response=OBJECT)
def post_campaign(call):
    body = call.body
    config = call_config()
    group = groups.get_group(body["group"])
    channel = body.get("channel", "sms")  # email: everyone with an address; preference: each customer's
    recipients = groups.recipients(group, with_email=channel != "sms")
    args = dict(template_key=body.get("template"), text=body.get("text"), category=body.get("category"),
                extra=body.get("variables"))
    if body.get("preview"):
        result = campaigns.preview(config, recipients, channel=channel, **args)
        for sample in result["samples"]:
            sample["to"] = _number(call, sample["to"])
        return ApiResponse(200, result)
    if not body.get("name"):
        raise InputError("name: required to send", field="name")
    campaign = campaigns.send(config, body["name"], recipients, group=group, created_by=call.actor,
                              department=body.get("department", ""), source="api", channel=channel, **args)
    audit(call.actor, "campaign.send", f"campaign:{campaign.id}", f"{campaign.queued} queued", call.source)
    return ApiResponse(201, {"id": campaign.id, "queued": campaign.queued, "skipped": campaign.skipped,
                             "pending": campaign.pending})


@api_route("GET", "/surveys/{campaign_id}", "A survey's answers per score", permission="reports",
           tags=["campaigns"], params=[param("campaign_id", "path", {"type": "integer", "minimum": 1})],
           response=OBJECT)
def get_survey(call, campaign_id):
    return surveys.tally(campaign_id)


@api_route("GET", "/reports/statement", "Monthly SMS statement per department", permission="reports",
           tags=["reports"], params=[param("month", "query", MONTH,
                                           required=True),
                                     param("department", "query", {"type": "string", "maxLength": 64})],
           response=OBJECT)
def get_statement(call):
    return billing.statement(call_config(), call.query["month"], call.query.get("department"))


@api_route("GET", "/reports/campaigns", "Counts, delivery rate and failure reasons per campaign",
           permission="reports", tags=["reports"], response={"type": "array", "items": OBJECT})
def get_campaign_report(call):
    return billing.campaign_report(config=call_config())


def call_config():
    """The running server's configuration (set by web.app when it builds the app)."""
    import bottle
    config = bottle.request.app.config.get("appliance.config")
    if config is None:
        from appliance.config import load_config
        config = load_config()
    return config
