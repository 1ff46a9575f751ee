"""API routes of the voice campaigns (/api/v1/voice/…): create from numbers, a group or
customers; start, pause, resume, cancel; the progress, the call attempts (JSON and CSV),
a survey's answer counts, an answer's recording and a call's early audio. The domain does the work
(appliance.voice.control, .sources, .listing); these routes only translate."""
import io

import bottle

from appliance.errors import InputError
from appliance.models import audit
from appliance.services import notices as catalogue
from appliance.voice import control, listing, sources, surveys
from appliance.voice.models import ATTEMPT_STATES, CAMPAIGN_KINDS, CAMPAIGN_STATES, RESULTS
from web.api import PAGE_PARAMS, ApiError, ApiResponse, api_route, list_schema, page_json, param
from web.api.services import NOT_BLANK, _mask, call_config

OBJECT = {"type": "object", "additionalProperties": True}
ID = {"type": "integer", "minimum": 1, "maximum": 2 ** 63 - 1}
CAMPAIGN_ID = [param("campaign_id", "path", ID)]
# Only digits (and a leading +) ever reach a dial string: the document says so exactly.
DIAL_NUMBER = {"type": "string", "pattern": r"^\+?[0-9]{3,20}$", "description": "digits, a leading + allowed"}
RESULT_CODES = [r for r in RESULTS if r]
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
CAMPAIGN = {"type": "object", "required": ["id", "state", "attempts", "results"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
    "state": {"type": "string", "enum": list(CAMPAIGN_STATES)}, "attempts": {"type": "integer"},
    **{s: {"type": "integer"} for s in ATTEMPT_STATES}, "results": COUNTS,
    "answer_rate": RATE, "confirmation_rate": RATE, "progress": RATE}}
ATTEMPT = {"type": "object", "required": ["id", "number", "state", "result"], "properties": {
    "id": {"type": "integer"}, "number": {"type": "string"},
    "state": {"type": "string", "enum": list(ATTEMPT_STATES)}, "result": {"type": "string", "enum": list(RESULTS)},
    "talk_seconds": {"type": ["integer", "null"]}, "keys": {"type": "string"}}}
ATTEMPT_FILTERS = [
    param("result", "query", {"type": "string", "enum": RESULT_CODES}),
    param("state", "query", {"type": "string", "enum": list(ATTEMPT_STATES)}),
    param("number", "query", {"type": "string", "pattern": r"^[+(]?[0-9][0-9 ()./-]{0,24}$"},
          description="a number in any written form, or only its last digits (e.g. 8000)")]
CSV = {"type": "string", "description": "CSV, UTF-8, a header line first"}
MAX_PER_REQUEST = 1_000  # numbers or customers in one request's body; a group may hold more
# A calling window (appliance/voice/windows.py): its shape here; what a simple pattern
# cannot say (a range that is not HH:MM-HH:MM or not a time of day, one that ends before it
# starts, ranges that overlap) is a 400 (REFUSED). A stricter pattern costs schemathesis
# half a minute to generate for.
WINDOW = {"type": "string", "maxLength": 200,
          "pattern": "^(?:always|(?:workday|restday|daily) [0-9:, -]+(?:; ?(?:workday|restday|daily) [0-9:, -]+)*)$",
          "description": "e.g. 'workday 18:30-20:30; restday 09:00-12:00,15:00-21:00' or 'always'; "
                         "left out: the box's [voice] windows"}
QUESTION = {"type": "object", "required": ["text", "type"], "additionalProperties": False, "properties": {
    "text": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": NOT_BLANK},
    "text_en": {"type": "string", "maxLength": 500},
    "type": {"type": "string", "enum": list(surveys.TYPES)},
    "options": {"type": "array", "minItems": 2, "maxItems": surveys.MAX_OPTIONS,
                "items": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": NOT_BLANK}}}}
REFUSED = ("a notice_type with a kind other than notice, or with numbers instead of customers (group, customer_ids)",
           "a survey without a script; options on a question that is not a choice, or a choice without them",
           "a return visit to numbers instead of customers, or to a customer who holds no policy",
           "a customer lacking a fact the notice type speaks (a due date, an amount), or without the claim it is about",
           "a window whose time ranges are not HH:MM-HH:MM within a day, end before they start, or overlap",
           "a line_group that is not one of the box's [voice] line_groups")


@api_route("POST", "/voice/campaigns", "Create a voice campaign (a draft: start it to call)",
           permission="campaigns", tags=["voice"], status=201,
           description="The numbers come from exactly one of `numbers`, `group` (a contact group's name or id: "
                       "everyone in it with a mobile) or `customer_ids`. Duplicates are called once. "
                       "Nothing is created when anything is refused.",
           body={"type": "object", "required": ["name"], "additionalProperties": False,
                 "oneOf": [{"required": ["numbers"]}, {"required": ["group"]}, {"required": ["customer_ids"]}],
                 "properties": {
                     "name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": NOT_BLANK},
                     "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
                     "notice_type": {"type": "string", "enum": sorted(catalogue.EVENT_TYPES),
                                     "description": "a notice of the SMS catalogue, spoken with each customer's facts"},
                     "script": {"type": "array", "minItems": 1, "maxItems": surveys.MAX_QUESTIONS, "items": QUESTION,
                                "description": "a survey's questions (1-5 scale, yes/no, pick one)"},
                     "window": WINDOW,
                     "text": {"type": "string", "maxLength": 2000, "description": "the notice, spoken on answer"},
                     "numbers": {"type": "array", "minItems": 1, "maxItems": MAX_PER_REQUEST, "items": DIAL_NUMBER},
                     "group": {"type": "string", "minLength": 1, "maxLength": 100},
                     "customer_ids": {"type": "array", "minItems": 1, "maxItems": MAX_PER_REQUEST, "items": ID},
                     "line_group": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,32}$"},
                     "max_tries": {"type": "integer", "minimum": 1, "maximum": 10},
                     "retry_minutes": {"type": "integer", "minimum": 1, "maximum": 1440}}},
           refusals=REFUSED, response=CAMPAIGN)
def create_voice_campaign(call):
    body = call.body
    given = [k for k in ("numbers", "group", "customer_ids") if k in body]
    if len(given) != 1:
        raise InputError("numbers: give exactly one of numbers, group, customer_ids", field="numbers")
    if "numbers" in body:
        callees, source = sources.from_list(body["numbers"]), "list"
    elif "group" in body:
        callees, source = sources.from_group(body["group"]), f"group {body['group']}"
    else:
        callees, source = sources.from_customers(body["customer_ids"]), "customers"
    campaign = control.create(body["name"], callees, text=body.get("text", ""),
                              line_group=body.get("line_group", "default"), created_by=call.actor,
                              source=f"api: {source}", kind=body.get("kind", "notice"),
                              notice_type=body.get("notice_type", ""), script=body.get("script"),
                              config=call.config or call_config(), window=body.get("window"),
                              max_tries=body.get("max_tries"), retry_minutes=body.get("retry_minutes"))
    audit(call.actor, "voice.create", f"voice_campaign:{campaign.id}", f"{len(callees)} numbers", call.source)
    return ApiResponse(201, listing.campaign_report(campaign.id))


@api_route("GET", "/voice/campaigns", "Voice campaigns with their progress, newest first", permission="view",
           tags=["voice"], params=PAGE_PARAMS, response=list_schema(CAMPAIGN))
def list_voice_campaigns(call):
    return page_json(listing.campaign_page(call.query.get("before"), call.query["limit"]), lambda r: r)


@api_route("GET", "/voice/campaigns/{campaign_id}", "A voice campaign: state, counts per result and state, "
           "answer and confirmation rates, progress", permission="view", tags=["voice"], params=CAMPAIGN_ID,
           response=CAMPAIGN)
def get_voice_campaign(call, campaign_id):
    return listing.campaign_report(campaign_id)


def _state_route(action, summary):
    @api_route("POST", f"/voice/campaigns/{{campaign_id}}/{action}", summary, permission="campaigns",
               tags=["voice"], params=CAMPAIGN_ID, response=CAMPAIGN,
               description="409 when the campaign's state does not allow it (start: a draft; pause: a running "
                           "campaign; resume: a paused one; cancel: any not yet done or cancelled).")
    def change(call, campaign_id):
        control.change(campaign_id, action, field="campaign_id")
        audit(call.actor, f"voice.{action}", f"voice_campaign:{campaign_id}", source=call.source)
        return listing.campaign_report(campaign_id)
    change.__name__ = f"{action}_voice_campaign"
    return change


start_voice_campaign = _state_route("start", "Start a draft campaign: the dialer begins calling")
pause_voice_campaign = _state_route("pause", "Pause a running campaign (calls under way finish)")
resume_voice_campaign = _state_route("resume", "Resume a paused campaign")
cancel_voice_campaign = _state_route("cancel", "Cancel a campaign: nothing more is called")


def _filters(call):
    return {k: call.query.get(k) for k in ("result", "state", "number")}


@api_route("GET", "/voice/campaigns/{campaign_id}/attempts", "A campaign's calls, newest first, filtered",
           permission="view", tags=["voice"], params=[*CAMPAIGN_ID, *PAGE_PARAMS, *ATTEMPT_FILTERS],
           response=list_schema(ATTEMPT))
def list_voice_attempts(call, campaign_id):
    control.get(campaign_id, "campaign_id")
    page = listing.attempts(campaign_id, before=call.query.get("before"), limit=call.query["limit"], **_filters(call))
    return page_json(page, lambda a: listing.as_dict(a, mask=_mask(call)))


@api_route("GET", "/voice/campaigns/{campaign_id}/attempts.csv", "A campaign's calls as CSV (oldest first)",
           permission="view", tags=["voice"], params=[*CAMPAIGN_ID, *ATTEMPT_FILTERS], media="text/csv",
           response=CSV)
def voice_attempts_csv(call, campaign_id):
    control.get(campaign_id, "campaign_id")
    return file_response(listing.csv_text(campaign_id, mask=_mask(call), **_filters(call)),
                         "text/csv; charset=utf-8", f"voice-campaign-{campaign_id}.csv")


@api_route("GET", "/voice/campaigns/{campaign_id}/tallies", "A survey's answers counted per question "
           "(empty for a campaign without questions)", permission="view", tags=["voice"], params=CAMPAIGN_ID,
           response={"type": "array", "items": {"type": "object", "properties": {
               "question": {"type": "integer", "description": "from 0"}, "text": {"type": "string"},
               "type": {"type": "string", "enum": list(surveys.TYPES)}, "answered": {"type": "integer"},
               "counts": COUNTS, "average": {"type": ["number", "null"]}}}})
def voice_tallies(call, campaign_id):
    control.get(campaign_id, "campaign_id")
    return surveys.tallies(campaign_id)


@api_route("GET", "/voice/campaigns/{campaign_id}/tallies.csv", "A survey's answer counts as CSV",
           permission="view", tags=["voice"], params=CAMPAIGN_ID, media="text/csv", response=CSV)
def voice_tallies_csv(call, campaign_id):
    control.get(campaign_id, "campaign_id")
    return file_response(listing.tallies_csv(campaign_id), "text/csv; charset=utf-8",
                         f"voice-campaign-{campaign_id}-tallies.csv")


@api_route("GET", "/voice/campaigns/{campaign_id}/answers.csv", "A survey's answers as CSV: a row per call, a "
           "column per question", permission="view", tags=["voice"], params=CAMPAIGN_ID, media="text/csv",
           response=CSV, description="The numbers are in full: 403 for a role that sees them masked.")
def voice_answers_csv(call, campaign_id):
    control.get(campaign_id, "campaign_id")
    if _mask(call):
        raise ApiError(403, f"token role {call.role} does not see numbers in full")
    out = io.StringIO()
    surveys.write_csv(campaign_id, out)
    return file_response(out.getvalue(), "text/csv; charset=utf-8", f"voice-campaign-{campaign_id}-answers.csv")


@api_route("GET", "/voice/campaigns/{campaign_id}/attempts/{attempt_id}/recording",
           "The recording of a survey answer in this call (WAV), where one exists", permission="view",
           tags=["voice"], params=[*CAMPAIGN_ID, param("attempt_id", "path", ID),
                                   param("question", "query", {"type": "integer", "minimum": 0, "maximum": 99},
                                         description="which question's answer (from 0); default the first")],
           media="audio/wav", response={"type": "string", "format": "binary"})
def voice_recording(call, campaign_id, attempt_id):
    path = listing.recording(call.config or call_config(), campaign_id, attempt_id, call.query.get("question"))
    return file_response(path.read_bytes(), "audio/wav", path.name)


@api_route("GET", "/voice/campaigns/{campaign_id}/attempts/{attempt_id}/early_audio",
           "What the line played before any answer (WAV), where it was kept (announcements, information "
           "tones; not ringing or silence)", permission="view", tags=["voice"],
           params=[*CAMPAIGN_ID, param("attempt_id", "path", ID)], media="audio/wav",
           response={"type": "string", "format": "binary"})
def voice_early_audio(call, campaign_id, attempt_id):
    path = listing.early_audio(call.config or call_config(), campaign_id, attempt_id)
    return file_response(path.read_bytes(), "audio/wav", path.name)


def file_response(body, content_type, filename):
    """A download (CSV, a recording) rather than JSON."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return bottle.HTTPResponse(body=body, status=200, headers={
        "Content-Type": content_type, "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
