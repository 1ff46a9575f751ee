"""Creating a voice campaign from any source (appliance/voice/sources.py) with its options,
and starting, pausing, resuming and cancelling it: which change is possible from which
state, checked and made in one write transaction (the dialer may be marking the campaign
done at the same moment; a pause must not bring a finished campaign back)."""
from peewee import Case

from appliance.db import retry_writes, write_transaction
from appliance.errors import InputError, NotFound, Refused
from appliance.voice import campaigns, windows
from appliance.voice.models import CAMPAIGN_KINDS, CallAttempt, VoiceCampaign

# Options of a campaign beyond its numbers and text, with their bounds (the API's schema
# states the same ones).
LIMITS = {"max_tries": (1, 10), "retry_minutes": (1, 1440)}

# action -> (the states it may start from, the state it leads to)
TRANSITIONS = {"start": (("draft",), "running"), "pause": (("running",), "paused"),
               "resume": (("paused",), "running"), "cancel": (("draft", "running", "paused"), "cancelled")}


def get(campaign_id, field="id"):
    campaign = VoiceCampaign.get_or_none(VoiceCampaign.id == campaign_id)
    if campaign is None:
        raise NotFound(f"{field}: no voice campaign {campaign_id}", field=field)
    return campaign


@retry_writes
def change(campaign_id, action, field="id"):
    """Apply `action` (start, pause, resume, cancel); Refused (409) when the campaign's state
    does not allow it, NotFound when there is no such campaign."""
    allowed, target = TRANSITIONS[action]
    with write_transaction():
        campaign = get(campaign_id, field)
        if campaign.state not in allowed:
            raise Refused(f"{field}: campaign {campaign_id} is {campaign.state}; it cannot {action}", field=field)
        return campaigns.set_state(campaign_id, target)


@retry_writes
def create(name, callees, *, text="", line_group="default", created_by="", source="", kind="notice", **options):
    """A draft campaign calling `callees` (sources.Callee) with the given options (kind,
    notice_type, script, window, max_tries, retry_minutes, caller_id): all or nothing."""
    if kind not in CAMPAIGN_KINDS:
        raise InputError(f"kind: must be one of {', '.join(CAMPAIGN_KINDS)}, got {kind!r}", field="kind")
    for key, (low, high) in LIMITS.items():
        value = options.get(key)
        if value is not None and not (isinstance(value, int) and low <= value <= high):
            raise InputError(f"{key}: must be a whole number from {low} to {high}", field=key)
    if options.get("window"):  # "" keeps [voice] windows
        options["window"] = windows.check(options["window"], "window")
    updates = {k: v for k, v in options.items() if v not in (None, "")}
    with write_transaction():  # the attempts and the options commit together
        campaign = campaigns.create_campaign(name, [c.number for c in callees], line_group=line_group, text=text,
                                             created_by=created_by)
        VoiceCampaign.update(kind=kind, source=source[:200], **updates).where(
            VoiceCampaign.id == campaign.id).execute()
        _link_customers(campaign.id, callees)
    return VoiceCampaign.get_by_id(campaign.id)


def _link_customers(campaign_id, callees):
    """Each attempt to a customer's number names the customer (a CASE per 500 numbers)."""
    owners = {c.number: c.customer_id for c in callees if c.customer_id}
    pairs = list(owners.items())
    for start in range(0, len(pairs), 500):
        chunk = dict(pairs[start:start + 500])
        CallAttempt.update(customer=Case(CallAttempt.number, list(chunk.items()))).where(
            CallAttempt.campaign == campaign_id, CallAttempt.number.in_(list(chunk))).execute()
