"""Creating a voice campaign from any source (appliance/voice/sources.py) with its options,
and starting, pausing, resuming and cancelling it: which change is possible from which
state, checked and made in one write transaction (the dialer may be marking the campaign
done at the same moment; a pause must not bring a finished campaign back)."""
import json

from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, InputError, NotFound, Refused
from appliance.voice import campaigns, notices, windows
from appliance.voice.models import CallAttempt, VoiceCampaign

# Options of a campaign beyond its numbers and text, with their bounds (the API's schema
# states the same ones).
LIMITS = {"max_tries": (1, 10), "retry_minutes": (1, 1440)}

# action -> (the states it may start from, the state it leads to)
TRANSITIONS = {"start": (("draft",), "running"), "pause": (("running",), "paused"),
               "resume": (("paused",), "running"), "cancel": (("draft", "running", "paused"), "cancelled")}


def get(campaign_id, field="id"):
    campaign = VoiceCampaign.get_or_none(VoiceCampaign.id == campaign_id)
    if campaign is None:
        raise NotFound.of(N_("{field}: no voice campaign {campaign_id}"), field=field, campaign_id=campaign_id)
    return campaign


@retry_writes
def change(campaign_id, action, field="id"):
    """Apply `action` (start, pause, resume, cancel); Refused (409) when the campaign's state
    does not allow it, NotFound when there is no such campaign."""
    allowed, target = TRANSITIONS[action]
    with write_transaction():
        campaign = get(campaign_id, field)
        if campaign.state not in allowed:
            raise Refused.of(N_("{field}: campaign {campaign_id} is {state}; it cannot {action}"),
                             field=field, campaign_id=campaign_id, state=campaign.state, action=action)
        return campaigns.set_state(campaign_id, target)


@retry_writes
def create(name, callees, *, text="", line_group="default", created_by="", source="", kind="notice",
           notice_type="", script=None, config=None, **options):
    """A draft campaign calling `callees` (sources.Callee): a callee who is a customer is
    called as one (the attempt names the customer, and a notice type speaks their facts).
    Options: window, max_tries, retry_minutes, caller_id. All or nothing."""
    for key, (low, high) in LIMITS.items():
        value = options.get(key)
        if value is not None and not (isinstance(value, int) and low <= value <= high):
            raise InputError.of(N_("{field}: must be a whole number from {low} to {high}"), field=key, low=low, high=high)
    if config is not None:
        _check_line_group(config, line_group)
    if options.get("window"):  # "" keeps [voice] windows
        options["window"] = windows.check(options["window"], "window")
    if options.get("caller_id") and not campaigns.diallable(options["caller_id"]):
        # it goes into the Originate's variables: digits only, as a dialled number
        raise InputError.of(N_("{field}: a caller ID is digits (a hotline such as 95500)"), field="caller_id")
    updates = {k: v for k, v in options.items() if v not in (None, "")}
    numbers = [c.number for c in callees if not c.customer_id]
    customers = [{"customer": c.customer_id, "number": c.number} for c in callees if c.customer_id]
    with write_transaction():  # the attempts and the options commit together
        campaign = campaigns.create_campaign(name, numbers, line_group=line_group, text=text, created_by=created_by,
                                             kind=kind, notice_type=notice_type, script=script, customers=customers,
                                             config=config)
        VoiceCampaign.update(source=source[:200], **updates).where(VoiceCampaign.id == campaign.id).execute()
    return VoiceCampaign.get_by_id(campaign.id)


def _check_line_group(config, name):
    """A campaign on a line group the dialer does not have would never be called."""
    known = [entry.split("=", 1)[0].strip() for entry in config["voice.line_groups"]]
    if name not in known:
        raise InputError.of(N_("{field}: no line group {name} in voice.line_groups ({known})"), field="line_group",
                            name=name, known=", ".join(known))


def preview(name, callees, **kwargs):
    """What create() would make, without making it: the number of calls, the first number
    and what its callee hears first. The campaign is created and rolled back, so every
    refusal creation would give is given here, the same way."""
    with write_transaction() as transaction:
        campaign = create(name, callees, **kwargs)
        first = campaign.attempts.order_by(CallAttempt.id).first()
        shown = {"count": campaign.attempts.count(), "number": first.number, "text": first_text(campaign, first)}
        transaction.rollback()
    return shown


def first_text(campaign, attempt, language="zh"):
    """The words a callee hears first: the notice (a catalogue notice filled with the
    customer's facts), or a survey's questions."""
    if campaign.script:
        return "\n".join(q["text"] for q in json.loads(campaign.script))
    if not campaign.notice_type:
        return campaign.text or campaign.name
    values = json.loads(attempt.variables or "{}")
    return "".join(value for _, value in notices.parts(notices.notice_text(campaign.notice_type, language), values))
