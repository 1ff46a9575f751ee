"""Voice campaigns: create from numbers or customers, start, pause, and sum up the results.

A campaign's kind decides what the callee hears: a notice (free text, or a type of the SMS
notice catalogue spoken with each customer's facts), a survey (a script of questions) or
the built-in new-policy return visit (回访). Calls to customers carry, per attempt, the
customer, the policy and the facts the notice speaks, checked at creation: a notice that
needs a fact the customer lacks is refused then, naming the customer and the fact.
"""
import json
import re

from appliance import clock, phones
from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, InputError
from appliance.models import Claim, Customer, Policy
from appliance.services import notices as catalogue
from appliance.services.models import OptOut
from appliance.voice import notices, surveys
from appliance.voice.models import CAMPAIGN_KINDS, RESULTS, CallAttempt, VoiceCampaign

# Only digits (and a leading +) ever reach a Dial() string: a comma or '&' there would
# add options or channels.
DIALLABLE = re.compile(r"^\+?[0-9]{3,20}$")
ANSWERED = ("confirmed", "answered", "completed")


def diallable(number):
    return bool(DIALLABLE.match(number or ""))


@retry_writes
def create_campaign(name, numbers=(), line_group="default", text="", created_by="", *, kind="notice",
                    notice_type="", script=None, customers=(), config=None):
    """A draft campaign with one queued attempt per number (duplicates dropped, order kept).

    `customers`: calls to customers, each {"customer": id or customer_no, "policy_no",
    "claim_no", "number", "variables"} (all but the customer optional; the number is the
    customer's mobile, the policy the one a notice type or return visit is about: named, or
    the customer's in-force policy due soonest / newest). `script`: a survey's questions
    (appliance/voice/surveys.py); a return visit's are built in."""
    if not (name or "").strip():
        raise InputError.of(N_("{field}: a campaign needs a name"), field="name")
    if kind not in CAMPAIGN_KINDS:
        raise InputError.of(N_("{field}: must be one of {choices}, got {kind!r}"),
                            field="kind", choices=', '.join(CAMPAIGN_KINDS), kind=kind)
    script_json = _script(kind, script)
    _check_notice_type(kind, notice_type, customers)
    rows = [{"number": n.strip(), "customer": None, "policy": None, "variables": ""}
            for n in numbers if n and n.strip()]
    rows += [_customer_row(n, entry, kind, notice_type, config) for n, entry in enumerate(customers or (), 1)]
    bad = [r["number"] for r in rows if not diallable(r["number"])]
    if bad:
        raise InputError.of(N_("{field}: not a phone number: {bad!r}"), field="numbers", bad=bad[0])
    if not rows:
        raise InputError.of(N_("{field}: a campaign needs at least one number"), field="numbers")
    with write_transaction():
        campaign = VoiceCampaign.create(name=name.strip(), line_group=line_group, text=text, created_by=created_by,
                                        kind=kind, notice_type=notice_type or "", script=script_json)
        unique = {}
        for row in rows:  # one call per number (and policy), the first kept
            unique.setdefault((row["number"], row["policy"]), dict(row, campaign=campaign.id, line_group=line_group))
        rows = list(unique.values())
        for start in range(0, len(rows), 500):
            CallAttempt.insert_many(rows[start:start + 500]).execute()
    return campaign


def _script(kind, script):
    """The campaign's questions as JSON ('' for kinds without)."""
    if kind == "return_visit":
        return json.dumps(surveys.return_visit_script(), ensure_ascii=False)
    if kind == "survey":
        if script in (None, "", []):
            raise InputError.of(N_("{field}: a survey needs its questions"), field="script")
        return json.dumps(surveys.parse_script(script), ensure_ascii=False)
    return ""


def _check_notice_type(kind, notice_type, customers):
    if not notice_type:
        if kind == "return_visit" and not customers:
            raise InputError.of(N_("{field}: a return visit calls customers about their policies"),
                                field="customers")
        return
    if kind != "notice":
        raise InputError.of(N_("{field}: only a notice campaign has a notice type"), field="notice_type")
    if notice_type not in catalogue.EVENT_TYPES:
        raise InputError.of(N_("{field}: unknown notice type {name}"), field="notice_type", name=notice_type)
    if not customers:
        raise InputError.of(N_("{field}: a {name} notice speaks customers' facts: give customers, not numbers"),
                            field="customers", name=notice_type)


def _customer_row(index, entry, kind, notice_type, config):
    """One attempt's row for a customer: number, customer, policy, facts (JSON)."""
    field = f"customers[{index}]"
    customer = _find_customer(entry.get("customer"), field)
    who = customer.customer_no or customer.name
    claim = policy = None
    about = catalogue.EVENT_TYPES.get(notice_type) if notice_type else ("policy" if kind == "return_visit" else "")
    if about == "claim":
        claim = _claim_of(customer, entry.get("claim_no"), field, who)
        policy = claim.policy
    elif about == "policy" or entry.get("policy_no"):
        policy = _policy_of(customer, entry.get("policy_no"), field, who, newest=kind == "return_visit")
    number = str(entry.get("number") or "").strip() or (phones.national(customer.mobile) if customer.mobile else "")
    if not number:
        raise InputError.of(N_("{field}: {who} has no mobile"), field=field, who=who)
    if notice_type:
        values = notices.facts(notice_type, config, customer, policy, claim, entry.get("variables"))
        missing = notices.missing_fact(notice_type, values, customer.language,
                                       claim.status if claim else None, config)
        if missing:
            raise InputError.of(N_("{field}: {who}: {name} cannot be said: {reason}"), field=field, who=who,
                                name=notice_type, reason=missing[1])
    else:
        values = {"name": customer.name, "salutation": customer.salutation, **(entry.get("variables") or {})}
        if policy is not None:
            values.update(policy_no=policy.policy_no, product=policy.product.name)
    return {"number": number, "customer": customer.id, "policy": policy.id if policy else None,
            "variables": json.dumps(values, ensure_ascii=False, default=str)}


def _find_customer(key, field):
    customer = None
    if isinstance(key, Customer):
        return key
    if isinstance(key, int) or str(key or "").isdigit():
        customer = Customer.get_or_none(Customer.id == int(key))
    if customer is None and key:
        customer = Customer.get_or_none(Customer.customer_no == str(key))
    if customer is None:
        raise InputError.of(N_("{field}: no customer {who}"), field=field, who=key)
    return customer


def _policy_of(customer, policy_no, field, who, newest=False):
    """The named policy, else the one a call is most likely about: for a return visit the
    newest, for a notice the in-force policy due soonest."""
    query = Policy.select().where(Policy.holder == customer)
    if policy_no:
        policy = query.where(Policy.policy_no == policy_no).first()
    elif newest:
        policy = query.order_by(Policy.issue_date.desc(nulls="LAST"), Policy.id.desc()).first()
    else:
        policy = (query.where(Policy.status == "in_force")
                  .order_by(Policy.next_due_date.asc(nulls="LAST"), Policy.id.desc()).first())
    if policy is None:
        raise InputError.of(N_("{field}: {who} holds no policy {policy}"), field=field, who=who,
                            policy=policy_no or "")
    return policy


def _claim_of(customer, claim_no, field, who):
    query = Claim.select().join(Policy).where(Policy.holder == customer)
    claim = (query.where(Claim.claim_no == claim_no) if claim_no else query.order_by(Claim.id.desc())).first()
    if claim is None:
        raise InputError.of(N_("{field}: {who} has no claim {claim}"), field=field, who=who, claim=claim_no or "")
    return claim


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
