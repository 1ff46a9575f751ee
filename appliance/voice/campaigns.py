"""Voice campaigns: create from a list of numbers, start, pause, and sum up the results."""
import re

from appliance import clock, phones
from appliance.db import retry_writes, write_transaction
from appliance.errors import InputError
from appliance.services.models import OptOut
from appliance.voice.models import RESULTS, CallAttempt, VoiceCampaign

# Only digits (and a leading +) ever reach a Dial() string: a comma or '&' there would
# add options or channels.
DIALLABLE = re.compile(r"^\+?[0-9]{3,20}$")
ANSWERED = ("confirmed", "answered")


def diallable(number):
    return bool(DIALLABLE.match(number or ""))


@retry_writes
def create_campaign(name, numbers, line_group="default", text="", created_by=""):
    """A draft campaign with one queued attempt per number (duplicates dropped, order kept)."""
    if not (name or "").strip():
        raise InputError("name: a campaign needs a name", field="name")
    numbers = [n.strip() for n in numbers if n and n.strip()]
    bad = [n for n in numbers if not diallable(n)]
    if bad:
        raise InputError(f"numbers: not a phone number: {bad[0]!r}", field="numbers")
    if not numbers:
        raise InputError("numbers: a campaign needs at least one number", field="numbers")
    with write_transaction():
        campaign = VoiceCampaign.create(name=name.strip(), line_group=line_group, text=text,
                                        created_by=created_by)
        rows = [{"campaign": campaign.id, "number": n, "line_group": line_group}
                for n in dict.fromkeys(numbers)]
        for start in range(0, len(rows), 500):
            CallAttempt.insert_many(rows[start:start + 500]).execute()
    return campaign


@retry_writes
def set_state(campaign_id, state):
    """running (start/resume), paused, cancelled: the dialer reads it before each call."""
    with write_transaction():
        campaign = VoiceCampaign.get_by_id(campaign_id)
        updates = {"state": state}
        if state == "running" and campaign.started_at is None:
            updates["started_at"] = clock.now()
        if state == "cancelled":
            updates["finished_at"] = clock.now()
        VoiceCampaign.update(updates).where(VoiceCampaign.id == campaign_id).execute()
    return VoiceCampaign.get_by_id(campaign_id)


def summary(campaign_id):
    """Counts per result, answer rate and confirmation rate (of finished attempts)."""
    campaign = VoiceCampaign.get_by_id(campaign_id)
    counts = {r: 0 for r in RESULTS if r}
    states = {"queued": 0, "dialling": 0, "done": 0, "unknown": 0, "skipped": 0}
    for attempt in CallAttempt.select(CallAttempt.state, CallAttempt.result).where(
            CallAttempt.campaign == campaign_id):
        states[attempt.state] += 1
        if attempt.result:
            counts[attempt.result] += 1
    finished = states["done"] + states["unknown"]
    answered = sum(counts[r] for r in ANSWERED)
    return {"id": campaign.id, "name": campaign.name, "state": campaign.state,
            "line_group": campaign.line_group, "attempts": sum(states.values()), **states,
            "results": counts,
            "answer_rate": round(answered / finished, 4) if finished else None,
            "confirmation_rate": round(counts["confirmed"] / answered, 4) if answered else None}


def do_not_call(numbers):
    """The numbers among `numbers` that are on the do-not-call list (checked at dial time)."""
    forms = {}
    for number in numbers:
        try:
            forms[phones.normalize(number, "number")] = number
        except InputError:  # not a public number (an extension, a test number): not listed
            continue
    if not forms:
        return set()
    listed = OptOut.select(OptOut.number).where(OptOut.kind == "dnd", OptOut.number.in_(list(forms)))
    return {forms[row.number] for row in listed}
