"""Business notices from policy data: the daily rule run, and events the core
systems push (POST /api/v1/events) that send at once.

Each notice is queued once per policy and due period, however often the run
repeats or the box restarts: its Message carries a dedupe_key such as
"renewal_due:886010000001:2026-12-01:15", unique in the database. After
downtime the run catches up: the nearest reminder still due goes (not every
one that was missed), and payments, claims and new policies of the last
notices.catch_up_days days still get theirs.

The policy's agent gets a copy of each step of the renewal process the holder
gets (renewal due, overdue, lapse warning, lapsed, premium received: KIND_agent,
keyed like the holder's; pushed events of those steps too), naming the holder
masked; only an active agent, and one without a mobile is listed in the run's
`no_mobile`, not an error. Staff get a birthday greeting, their department's
colleagues a reminder the same morning, unless they opted out
(Staff.greetings_opt_out).

A customer who prefers e-mail (Customer.channel, appliance/mail/outbox.py) gets the same
notice as a mail: same template, same window, same dedupe_key (in mail_message), the
opt-out rules of SMS; events then return the MailMessage.

Offsets come from the [notices] settings. `today` is always passed in.
"""
import contextvars
import datetime
import logging
from dataclasses import dataclass, field

import peewee

from appliance import clock
from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound, Refused
from appliance.models import AuditLog, Claim, Customer, Payment, Policy, Product, Staff, audit
from appliance.mail import outbox as mail_outbox
from appliance.mail.compose import Composer
from appliance.mail.models import MailMessage
from appliance.services import optout, pacing
from appliance.services import greetings
from appliance.services.greetings import birthdays_on, born_on
from appliance.services.models import NoticeRun
from appliance.services.staged import Staged
from appliance.services.templates import Renderer, defaults, variables_of, word
from appliance.sms.models import Message
from appliance.sms.outbox import queue_message, queue_planned
from appliance.sms.text import part_count
from appliance.sms.window import next_opening, window_for

log = logging.getLogger(__name__)

# Notices the core systems may push as events, and what each one concerns.
EVENT_TYPES = {
    "policy_confirmation": "policy", "renewal_due": "policy", "premium_received": "policy",
    "payment_failed": "policy", "overdue": "policy", "lapse_warning": "policy", "lapsed": "policy",
    "supplementary_charge": "policy", "dividend": "policy", "agent_changed": "policy",
    "orphan_policy": "policy", "maturity": "policy", "underwriting_approved": "policy",
    "underwriting_declined": "policy", "claim_accepted": "claim", "claim_declined": "claim",
    "claim_paid": "claim", "medical_exam": "policy", "missing_documents": "policy",
    "birthday": "customer", "holiday": "customer",
}


@dataclass
class Notice:
    kind: str            # template key
    key: str             # dedupe key
    number: str
    variables: dict
    language: str = "zh"
    customer_id: int = None
    staff_id: int = None
    text: str = ""
    extra: dict = field(default_factory=dict)
    email: str = ""      # set when the customer gets it by e-mail (appliance/mail/outbox.py)
    opt_out: bool = False
    policy_no: str = ""


def _by_mail(notice, customer, policy_no=""):
    """Mark `notice` for e-mail when `customer` prefers it and has an address."""
    notice.email = mail_outbox.mail_address(customer) or ""
    notice.opt_out, notice.policy_no = bool(customer.opt_out), policy_no
    return notice


def offsets(config, name):
    """A comma-separated list of day offsets from a [notices] setting."""
    text = config[name].strip()
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise InputError.of(N_("configuration key '{name}' must be whole days separated by commas, got {text!r}"),
                            field=name, name=name, text=text) from None
    if any(v < 0 for v in values):
        raise InputError.of(N_("configuration key '{name}' must not hold negative days"), field=name, name=name)
    return values


# --- variables -------------------------------------------------------------------

def format_date(day, language):
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日" if language == "zh" else day.isoformat()


def format_amount(amount):
    return f"{amount:.2f}" if amount is not None else ""


def policy_variables(policy, language="zh", config=None):
    """Variables of a policy notice, from the policy, its holder, product and agent."""
    holder, agent = policy.holder, policy.agent
    active_agent = agent if agent is not None and agent.status == "active" else None
    hotline = config["hotline"] if config else ""
    return {
        "salutation": holder.salutation, "name": holder.name, "policy_no": policy.policy_no,
        "product": policy.product.name, "amount": format_amount(policy.premium),
        "due_date": format_date(policy.next_due_date, language),
        "grace_end": format_date(policy.grace_end, language),
        "maturity_date": format_date(policy.maturity_date, language),
        "sum_assured": format_amount(policy.sum_assured),
        "agent_name": active_agent.name if active_agent else word("generic", "service_team", language),
        "agent_mobile": _national(active_agent.mobile) if active_agent and active_agent.mobile else hotline,
    }


def _national(e164):
    return e164[3:] if e164.startswith("+86") else e164


def _unpaid(policies):
    """The policies among `policies` with no received payment for their next due date."""
    ids = [p.id for p in policies]
    paid = set()
    for start in range(0, len(ids), 500):
        paid.update(Payment.select(Payment.policy, Payment.due_date)
                    .where(Payment.policy.in_(ids[start:start + 500]), Payment.status == "received")
                    .tuples())
    return [p for p in policies if (p.id, p.next_due_date) not in paid]


def _policies(*conditions, keys=None):
    """The policies matching `conditions` (in the run's slice) with holder, product and agent.
    With `keys` (the dedupe keys the rule may give a policy, from a plain row of its id,
    policy_no, dates and agent), only the policies with a key not gone yet are read whole:
    most days nearly every candidate had its notice on an earlier day, and building some
    100,000 policies with their holder, product and agent was most of the day's planning."""
    query = (Policy.select(Policy, Customer, Product, Staff)
             .join(Customer, on=(Policy.holder == Customer.id))
             .switch(Policy).join(Product)
             .switch(Policy).join(Staff, peewee.JOIN.LEFT_OUTER, on=(Policy.agent == Staff.id))  # no query per agent
             .where(*conditions))
    if keys is None:
        return list(_in_slice(query, Policy.id))
    rows = list(_in_slice(Policy.select(Policy.id, Policy.policy_no, Policy.next_due_date, Policy.grace_end,
                                        Policy.agent.alias("agent")).where(*conditions), Policy.id).namedtuples())
    wanted = {key: row.id for row in rows for key in keys(row)}
    gone = _gone(list(wanted))
    fresh = _fresh.get()
    if fresh is not None:  # plan() need not look these up again
        fresh.update(key for key in wanted if key not in gone)
    ids = sorted({policy_id for key, policy_id in wanted.items() if key not in gone})
    if len(ids) * 2 > len(rows):  # a catch-up day: most are due, one read of them all
        return list(_in_slice(query, Policy.id))
    found = []
    for start in range(0, len(ids), KEY_BATCH):
        found.extend(_in_slice(query.where(Policy.id.in_(ids[start:start + KEY_BATCH])), Policy.id))
    order = {row.id: n for n, row in enumerate(rows)}
    return sorted(found, key=lambda p: order[p.id])  # the order of the plain read


KEY_BATCH = 1_000  # dedupe keys (or ids) per IN (…)


def _gone(keys):
    """The keys among `keys` of notices queued already, by SMS or by e-mail."""
    done, db = set(), Message._meta.database
    # Plain SQL: peewee's query building for 1,000 parameters cost more than the lookups.
    tables = [model._meta.table_name for model in (Message, MailMessage)]  # a notice goes once, by SMS or by e-mail
    for start in range(0, len(keys), KEY_BATCH):
        chunk = keys[start:start + KEY_BATCH]
        marks = ", ".join([db.param] * len(chunk))
        for table in tables:
            done.update(k for (k,) in db.execute_sql(f'SELECT dedupe_key FROM "{table}" WHERE dedupe_key IN ({marks})',
                                                     chunk))
    return done


def _both_keys(kind, rest, policy):
    """The dedupe keys _both may give: the holder's, and the agent's when there is one."""
    return [f"{kind}:{rest}"] + ([f"{kind}_agent:{rest}"] if policy.agent else [])


def _holder_notice(kind, key, policy, config, **extra):
    holder = policy.holder
    if not holder.mobile and not mail_outbox.mail_address(holder):
        return None
    variables = policy_variables(policy, holder.language, config)
    variables.update(extra)
    return _by_mail(Notice(kind, key, holder.mobile or "", variables, holder.language, customer_id=holder.id),
                    holder, policy.policy_no)


def _agent_notice(kind, rest, policy, config, **extra):
    """The agent's copy (KIND_agent, keyed KIND_agent:REST like the holder's KIND:REST) of
    a step of the renewal process, or None without an active agent. Texts to staff are
    Chinese; the holder is named masked. An agent without a mobile gets a Notice without
    a number, which run() lists instead of sending."""
    agent = policy.agent
    if agent is None or agent.status != "active":
        return None
    variables = policy_variables(policy, "zh", config)
    variables.update(extra, client=policy.holder.masked_name)
    return Notice(f"{kind}_agent", f"{kind}_agent:{rest}", agent.mobile or "", variables, "zh",
                  staff_id=agent.id, extra={"badge_no": agent.badge_no})


def _both(kind, rest, policy, config):
    """The holder's notice and the agent's copy of one step (either may be None)."""
    return [_holder_notice(kind, f"{kind}:{rest}", policy, config),
            _agent_notice(kind, rest, policy, config)]


# --- the rules ---------------------------------------------------------------------

def renewal_notices(config, today):
    days = offsets(config, "notices.renewal_days")
    agent_days = offsets(config, "notices.agent_renewal_days")
    horizon = max(days + agent_days, default=None)
    if horizon is None:
        return []

    def steps(policy):
        """The holder's and the agent's key rest (policy, due date, offset), or None each."""
        left = (policy.next_due_date - today).days
        rest = f"{policy.policy_no}:{policy.next_due_date.isoformat()}"
        holder = [d for d in days if left <= d]  # the nearest reminder only: after downtime, not every missed one
        agent = [d for d in agent_days if left <= d]  # the agent's own offsets
        return f"{rest}:{min(holder)}" if holder else None, f"{rest}:{min(agent)}" if agent else None

    def keys(policy):
        holder, agent = steps(policy)
        return ([f"renewal_due:{holder}"] if holder else []) + \
            ([f"renewal_due_agent:{agent}"] if agent and policy.agent else [])

    candidates = _policies(Policy.status == "in_force", Policy.frequency != "single",
                           Policy.next_due_date >= today,
                           Policy.next_due_date <= today + datetime.timedelta(days=horizon), keys=keys)
    notices = []
    for policy in _unpaid(candidates):
        holder, agent = steps(policy)
        if holder:
            notices.append(_holder_notice("renewal_due", f"renewal_due:{holder}", policy, config))
        if agent:
            notices.append(_agent_notice("renewal_due", agent, policy, config))
    return notices


def overdue_notices(config, today):
    days = offsets(config, "notices.overdue_days")
    catch_up = config["notices.catch_up_days"]
    if not days:
        return []
    oldest = today - datetime.timedelta(days=max(days) + catch_up)

    def step(policy):
        """The key rest (policy, due date, offset) of its overdue notice, or None."""
        if policy.grace_end is not None and today > policy.grace_end:
            return None
        late = (today - policy.next_due_date).days
        reached = [d for d in days if late >= d and late - d <= catch_up]
        return f"{policy.policy_no}:{policy.next_due_date.isoformat()}:{max(reached)}" if reached else None

    candidates = _policies(Policy.status == "in_force", Policy.next_due_date < today,
                           Policy.next_due_date >= oldest,
                           keys=lambda p: _both_keys("overdue", step(p), p) if step(p) else [])
    notices = []
    for policy in _unpaid(candidates):
        rest = step(policy)
        if rest:
            notices += _both("overdue", rest, policy, config)
    return notices


def lapse_notices(config, today):
    warn = config["notices.lapse_warning_days"]
    catch_up = config["notices.catch_up_days"]
    notices = []

    def rest(policy):
        return f"{policy.policy_no}:{policy.grace_end.isoformat()}"

    candidates = _policies(Policy.status == "in_force", Policy.grace_end >= today,
                           Policy.grace_end <= today + datetime.timedelta(days=warn),
                           Policy.next_due_date.is_null(False), Policy.next_due_date < today,
                           keys=lambda p: _both_keys("lapse_warning", rest(p), p))
    for policy in _unpaid(candidates):
        notices += _both("lapse_warning", rest(policy), policy, config)
    for policy in _policies(Policy.status == "lapsed", Policy.grace_end <= today,
                            Policy.grace_end >= today - datetime.timedelta(days=catch_up),
                            keys=lambda p: _both_keys("lapsed", rest(p), p)):
        notices += _both("lapsed", f"{policy.policy_no}:{policy.grace_end.isoformat()}", policy, config)
    return notices


def maturity_notices(config, today):
    ahead = config["notices.maturity_days"]
    return [_holder_notice("maturity", f"maturity:{p.policy_no}:{p.maturity_date.isoformat()}", p, config)
            for p in _policies(Policy.status == "in_force", Policy.maturity_date >= today,
                               Policy.maturity_date <= today + datetime.timedelta(days=ahead))]


def new_policy_notices(config, today):
    since = today - datetime.timedelta(days=config["notices.catch_up_days"])
    return [_holder_notice("policy_confirmation", f"policy_confirmation:{p.policy_no}", p, config)
            for p in _policies(Policy.status == "in_force", Policy.issue_date >= since,
                               Policy.issue_date <= today)]


def payment_notices(config, today):
    since = today - datetime.timedelta(days=config["notices.catch_up_days"])
    notices = []
    payments = (Payment.select(Payment, Policy).join(Policy)
                .where(Payment.paid_on >= since, Payment.paid_on <= today))
    for payment in payments:
        policy = payment.policy
        kind = "premium_received" if payment.status == "received" else "payment_failed"
        lang = policy.holder.language
        notice = _holder_notice(kind, f"{kind}:{payment.id}", policy, config,
                                amount=format_amount(payment.amount),
                                paid_on=format_date(payment.paid_on, lang),
                                reason=payment.failure_reason or "-")
        notices.append(notice)
        if payment.status == "received":  # the process's last step goes to the agent too
            notices.append(_agent_notice(kind, payment.id, policy, config, amount=format_amount(payment.amount),
                                         paid_on=format_date(payment.paid_on, "zh")))
    return notices


CLAIM_NOTICES = {  # claim status -> (notice, the date it is counted from)
    "accepted": ("claim_accepted", "reported_on"), "investigating": ("claim_accepted", "reported_on"),
    "approved": ("claim_accepted", "reported_on"), "declined": ("claim_declined", "decided_on"),
    "paid": ("claim_paid", "paid_on"),
}


def claim_variables(claim, config):
    policy = claim.policy
    lang = policy.holder.language
    variables = policy_variables(policy, lang, config)
    # A paid claim's amount is what was paid, never what was claimed.
    amount = (claim.amount_paid or None) if claim.status in ("paid", "closed") else claim.amount_claimed
    variables.update(claim_no=claim.claim_no, reason=claim.decline_reason or "-",
                     amount=format_amount(amount),
                     paid_on=format_date(claim.paid_on, lang),
                     status=word("claim_status", claim.status, lang))
    return variables


def claim_notices(config, today):
    since = today - datetime.timedelta(days=config["notices.catch_up_days"])
    notices = []
    for claim in Claim.select(Claim, Policy).join(Policy).where(Claim.status.in_(list(CLAIM_NOTICES))):
        kind, date_field = CLAIM_NOTICES[claim.status]
        day = getattr(claim, date_field) or claim.reported_on
        if not since <= day <= today:
            continue
        holder = claim.policy.holder
        if holder.mobile or mail_outbox.mail_address(holder):
            notices.append(_by_mail(Notice(kind, f"{kind}:{claim.claim_no}", holder.mobile or "",
                                           claim_variables(claim, config), holder.language, customer_id=holder.id,
                                           extra={"claim_status": claim.status}), holder, claim.policy.policy_no))
    return notices


# Greetings that say "today": they go in the marketing window of that day or not at all.
ON_THE_DAY = ("staff_birthday", "staff_birthday_colleague")


def staff_birthday_notices(config, today):
    """The greeting to each active staff member whose birthday it is, and a reminder
    about them to each active colleague of their department with a mobile; nothing
    for (or about) one who opted out."""
    if not config["notices.staff_birthday"]:
        return []
    people = list(Staff.select().where(Staff.status == "active", Staff.greetings_opt_out == False,
                                       Staff.birthday.is_null(False), born_on(Staff.birthday, birthdays_on(today))))
    departments = {p.department for p in people if p.department}
    colleagues = list(Staff.select().where(Staff.status == "active", Staff.mobile.is_null(False),
                                           Staff.mobile != "", Staff.department.in_(departments))
                      .order_by(Staff.id)) if departments else []
    notices = []
    for person in people:
        notices.append(Notice("staff_birthday", f"staff_birthday:{person.id}:{today.year}", person.mobile or "",
                              {"name": person.name}, "zh", staff_id=person.id,
                              extra={"badge_no": person.badge_no}))
        notices += [Notice("staff_birthday_colleague",
                           f"staff_birthday_colleague:{person.id}:{today.year}:{other.id}", other.mobile,
                           {"name": other.name, "colleague": person.name, "department": person.department},
                           "zh", staff_id=other.id)
                    for other in colleagues if other.department == person.department and other.id != person.id]
    return notices


# The rules of the service plan; customers' greetings are planned apart (appliance/services/greetings.py).
RULES = [new_policy_notices, renewal_notices, overdue_notices, lapse_notices, maturity_notices,
         payment_notices, claim_notices, staff_birthday_notices]


# --- facts: a notice goes only with the facts its type states ---------------------

# The claim statuses each claim notice states; any other contradicts it (a claim
# only reported is not paid, whatever amount it names).
CLAIM_STATUS_OF = {"claim_accepted": ("accepted", "investigating", "approved"),
                   "claim_declined": ("declined",), "claim_paid": ("paid",)}
# Notices whose {amount} only the event can give: the premium is not a dividend.
AMOUNT_FROM_EVENT = ("dividend", "supplementary_charge")


def withheld_reason(kind, variables, renderer, language="zh", claim_status=None):
    """(field, reason) when a notice must not go, else None: its facts contradict
    its type (claim_paid for a claim not paid: field claim_no), or a variable its
    text states is empty (a payment date, an amount: field variables.NAME)."""
    if kind in CLAIM_STATUS_OF and claim_status is not None and claim_status not in CLAIM_STATUS_OF[kind]:
        return "claim_no", f"the claim is {claim_status}, not {' or '.join(CLAIM_STATUS_OF[kind])}"
    values = dict(renderer.common)
    values.update(variables)
    text = renderer.texts.get(language) or renderer.texts["zh"]
    empty = sorted(name for name in variables_of(text) if not str(values.get(name) or "").strip())
    if empty:
        return f"variables.{empty[0]}", f"no value for {', '.join(f'{{{name}}}' for name in empty)}"
    return None


def _report_withheld(notice, reason, source="notices"):
    """The audit log keeps each withheld notice once, with its reason."""
    target = f"notice:{notice.key}"
    if not AuditLog.select().where(AuditLog.action == "notice.withheld", AuditLog.target == target).exists():
        audit("notices", "notice.withheld", target, reason, source)
    log.warning("notice %s withheld: %s", notice.key, reason)


# --- running them ------------------------------------------------------------------

# The run goes through the book a slice at a time: the rules that read policies or
# customers (through _policies) see only the rows whose
# id is in the slice, so a million policies never sit in memory at once, and each
# slice's notices are queued in short transactions before the next slice is read.
SLICE = 50_000          # ids (policies, customers) per slice
QUEUE_BATCH = 4_000     # notices queued per transaction (outbox.queue_planned: about 0.15 s each)
SLICED_RULES = {"new_policy_notices", "renewal_notices", "overdue_notices", "lapse_notices",
                "maturity_notices"}
_slice = contextvars.ContextVar("notices_slice", default=None)  # (first id, last id + 1) or None: all
_fresh = contextvars.ContextVar("notices_fresh", default=None)  # keys plan() knows are not gone yet


def _in_slice(query, id_column):
    bounds = _slice.get()
    return query if bounds is None else query.where(id_column >= bounds[0], id_column < bounds[1])


def _slices():
    """None (the rules that read neither policies nor customers: once), then id ranges
    covering every policy and customer."""
    yield None
    top = max(Policy.select(peewee.fn.MAX(Policy.id)).scalar() or 0,
              Customer.select(peewee.fn.MAX(Customer.id)).scalar() or 0)
    for low in range(1, top + 1, SLICE):
        yield (low, low + SLICE)


def plan(config, today, bounds=False):
    """Every notice the rules want today that has not gone yet (read only). With
    `bounds` (an item of _slices()) only that slice's: the rules outside
    SLICED_RULES for None, the others for an id range."""
    wanted, fresh = {}, set()
    for rule in RULES:
        if bounds is not False and (bounds is None) == (rule.__name__ in SLICED_RULES):
            continue
        token, known = _slice.set(bounds or None), _fresh.set(fresh)
        try:
            found = rule(config, today)
        finally:
            _slice.reset(token)
            _fresh.reset(known)
        for notice in found:
            if notice is not None:
                wanted.setdefault(notice.key, notice)
    done = _gone([k for k in wanted if k not in fresh])  # the keys _policies did not look up
    return [n for k, n in wanted.items() if k not in done]


@dataclass
class DayPlan:
    """What a day's run will do, worked out before anything is queued (plan_day)."""
    today: datetime.date
    sms: Staged          # the service plan's SMS rows for outbox.queue_planned (meta: category, parts, goes?)
    mails: list          # mail rows of the service plan (no SMS parts: they always go)
    out: list            # the notices as the result shows them (None: not kept)
    skipped: int = 0
    withheld: list = field(default_factory=list)
    no_mobile: list = field(default_factory=list)
    late: int = 0        # greetings whose day's window had closed
    targets: list = field(default_factory=list)   # greetings.Target with their share for today
    held: dict = None    # paced: what does not go today (service, marketing, greetings not sent)
    capacity: dict = None  # paced: today's free parts {day, window}

    def counts(self):
        """Per class: SMS queued today and their parts, held; greetings queued; mails."""
        going = [(category in pacing.FIRST, parts) for category, parts, go in self.sms.meta if go]
        out = {"service": sum(1 for first, _ in going if first),
               "service_parts": sum(p for first, p in going if first),
               "marketing": sum(1 for first, _ in going if not first),
               "marketing_parts": sum(p for first, p in going if not first),
               "greetings": sum(t.share for t in self.targets),
               "greeting_parts": sum(t.parts(t.share) for t in self.targets),  # at most: a bound per text
               "mail": len(self.mails), "held": self.held, "capacity": self.capacity}
        out["sms"] = out["service"] + out["marketing"] + out["greetings"]
        out["parts"] = out["service_parts"] + out["marketing_parts"] + out["greeting_parts"]
        return out


def plan_service(config, now, details=True, exclude=frozenset()):
    """The day's notices but customers' greetings, read and rendered a slice at a time
    (read only). `exclude`: keys to treat as gone (the forecast's earlier days)."""
    today = clock.today(now)
    day = DayPlan(today, Staged(), [], [] if details else None)
    renderers, openings, composers = {}, {}, {}
    blocked = {c: optout.blocked_numbers(c) for c in ("marketing", "internal")}
    for bounds in _slices():
        for notice in plan(config, today, bounds):
            if notice.key in exclude:
                continue
            if not notice.number and not notice.email:  # a staff member without a mobile: reported, not an error
                day.no_mobile.append({"type": notice.kind, "key": notice.key, "badge_no": notice.extra.get("badge_no")})
                continue
            renderer = renderers.get(notice.kind) or renderers.setdefault(notice.kind, Renderer(notice.kind, config))
            if notice.number in blocked.get(renderer.category, ()) or (
                    notice.email and notice.opt_out and renderer.category == "marketing"):
                day.skipped += 1
                continue
            why = withheld_reason(notice.kind, notice.variables, renderer, notice.language,
                                  notice.extra.get("claim_status"))
            if why:
                day.withheld.append((notice, why[1]))
                continue
            not_before, not_after = _opening(notice.kind, renderer.category, now, config, openings)
            if notice.kind in ON_THE_DAY and clock.today(not_before or now) != today:  # None: at once
                day.late += 1  # "today is your birthday" tomorrow would be wrong
                continue
            priority = 7 if renderer.category == "marketing" or notice.kind in ON_THE_DAY else 4
            if notice.email:  # the customer prefers e-mail: the same notice, the same window
                composer = composers.get(notice.kind) or composers.setdefault(notice.kind, Composer(config, notice.kind))
                composed = composer.compose(notice.variables, notice.language)
                if details:
                    day.out.append({"type": notice.kind, "key": notice.key, "to": notice.email, "channel": "email",
                                    "text": composed[1]})
                day.mails.append(mail_outbox.row(
                    notice.email, composed, category=renderer.category, kind=notice.kind, language=notice.language,
                    not_before=not_before, not_after=not_after, customer=notice.customer_id,
                    policy_no=notice.policy_no, source="notice", created_by="notices", dedupe_key=notice.key,
                    priority=priority))
                continue
            text = renderer.render(notice.variables, notice.language)
            if details:
                day.out.append({"type": notice.kind, "key": notice.key, "to": notice.number, "text": text})
            day.sms.append({"to_number": notice.number, "text": text, "category": renderer.category,
                            "not_before": not_before, "not_after": not_after,
                            "customer": notice.customer_id, "staff": notice.staff_id,
                            "source": "notice", "created_by": "notices", "dedupe_key": notice.key,
                            "priority": priority}, part_count(text))
    return day


def plan_day(config, now, details=True, exclude=frozenset(), sent=None, budgets=None):
    """The day's plan: the service notices (plan_service), fitted into today's capacity
    when paced (service first), and the greetings' shares of what is left (appliance/
    services/pacing.py). The forecast passes `sent` ({target label: {language: n}}: the
    greetings its earlier days queue, taken as gone) and `budgets` (pacing.budgets from
    its own now: a later day's SIMs are the ones in service now)."""
    day = plan_service(config, now, details, exclude)
    paced = config["notices.pace"]
    day.targets = _greeting_targets(config, now, day, paced, sent or {})
    if not paced:
        for target in day.targets:  # unpaced: today's greetings only, all of them
            target.share = target.remaining
        return day
    budgets = budgets or pacing.budgets(config, now, lead_days(config) + 1,  # later days as their runs see them
                                        datetime.time.fromisoformat(config["notices.run_at"]))
    fit = pacing.Fit(budgets[0]["day"], budgets[0]["window"])
    for first in (True, False):  # service first, in the run's order
        for entry in day.sms.meta:
            if (entry[0] in pacing.FIRST) == first:
                entry[2] = fit.add(entry[0], entry[1])
    pacing.shares(day.targets, day.today, fit.window_left(), pacing.later_free(budgets[1:], fit.used))
    day.held, day.capacity = fit.held, budgets[0]
    day.held["greetings"] = []
    for target in (t for t in day.targets if t.remaining):
        not_sent = target.remaining - target.share if target.date == day.today else 0
        day.held["greetings"].append({"target": target.label(), "date": target.date, "left": target.remaining,
                                      "share": target.share, "not_sent": not_sent})
        if not_sent:  # its date: what does not fit now is not sent at all
            day.held["notices"] += not_sent
            day.held["marketing"] += not_sent
            day.held["parts"] += target.parts(target.remaining) - target.parts(target.share)
    return day


def lead_days(config):
    """notices.greeting_lead_days, checked."""
    days = config["notices.greeting_lead_days"]
    if days < 0:
        raise InputError.of(N_("configuration key '{name}' must not hold negative days"),
                            field="notices.greeting_lead_days", name="notices.greeting_lead_days")
    return days


def _greeting_targets(config, now, day, paced, sent):
    """Today's greeting targets (and the next lead days' when paced) with what is left
    of each, its parts bound per language; none once the day's marketing window closed
    (they would arrive on a later day); a text that says "today" does not go early."""
    today = day.today
    found = greetings.targets(config, today, lead_days(config) if paced else 0)
    if not found:
        return []
    greetings.count_remaining(found)
    opening = _opening("birthday", "marketing", now, config, {})
    renderers = {kind: Renderer(kind, config) for kind in {t.kind for t in found}}
    salutation = "字" * max(4, greetings.longest_name())  # surname + 先生: at most the longest name or 4
    for target in found:
        for language, n in sent.get(target.label(), {}).items():
            target.left[language] = max(0, target.left.get(language, 0) - n)
        renderer = renderers[target.kind]
        for language in list(target.left):
            variables = {"name": salutation, "salutation": salutation,
                         "festival": word("festival", target.festival, language) if target.festival else ""}
            target.bounds[language] = pacing.parts_bound(renderer, language, variables)
            text = renderer.texts.get(language) or renderer.texts["zh"]
            if target.date > today and greetings.says_today(text):
                target.left[language] = 0  # it says "today": on the date, not before
    day.skipped += sum(greetings.recipients(t, blocked=True).count() for t in found if t.date == today)
    if clock.today(opening[0] or now) != today:  # the window closed: tomorrow would be late for today's
        day.late += sum(t.remaining for t in found if t.date == today)
        return []
    return found


def run(config, now=None, dry_run=False, fence=None, details=True):
    """Run the rules for the box's day of instant `now`: queue what is due (unless dry_run). Returns
    the notices (texts rendered; not kept without `details`) with the number skipped as
    opted out / DND, the staff without a mobile who had one due (no_mobile), the greetings
    left because that day's window had closed (late) and, paced, what was held.

    The plan comes first (plan_day: service notices read and rendered, greetings only
    counted), then what it holds back is reported, then the service notices are queued in
    short transactions, then the greetings of today's shares are read, rendered and queued
    a slice at a time: neither memory nor the write lock grows with the book. A run stopped
    half-way is safe: the day's NoticeRun is written last, so the run happens again, and
    what was queued is not queued twice (dedupe_key).

    `fence` (the daemon's lease check, appliance/cluster/leadership.py) is called inside
    every write transaction: when another box took the run over, it raises and nothing
    more of this run commits; the other box finishes it."""
    now = now or clock.now()
    day = plan_day(config, now, details or dry_run)
    if day.held is not None and day.held["notices"] and not dry_run:
        _report_held(day, fence)
    going = sum(1 for _, _, go in day.sms.meta if go)
    queued, mailed, out = going + len(day.mails), len(day.mails), day.out
    if out is not None and day.held is not None:
        held_keys = {row["dedupe_key"] for row, (_, _, go) in day.sms.rows() if not go}
        out = [n for n in out if n["key"] not in held_keys]
    if not dry_run:
        batch = []
        for row, (_, _, go) in day.sms.rows():  # read back from the staging file a batch at a time
            if go:
                batch.append(row)
            if len(batch) >= QUEUE_BATCH:
                _queue(config, batch, [], fence)
                batch = []
        _queue(config, batch, day.mails, fence)
    day.sms.close()
    opening = _opening("birthday", "marketing", now, config, {})
    slices = [b for b in _slices() if b is not None]
    for target in day.targets:
        renderer, composer = Renderer(target.kind, config), Composer(config, target.kind)
        for language, quota in target.quotas().items():
            for sms, mails, shown in greetings.read(config, target, language, quota, opening, slices,
                                                    renderer, composer, show=out is not None):
                queued, mailed = queued + len(sms) + len(mails), mailed + len(mails)
                if out is not None:
                    out += shown
                if not dry_run:
                    _queue(config, sms, mails, fence)
    if not dry_run:
        with write_transaction():
            _checked(fence)
            NoticeRun.create(run_date=day.today, started_at=now, queued=queued)
            for notice, reason in day.withheld:
                _report_withheld(notice, reason)
        log.info("notice run for %s: %d queued (%d by e-mail), %d skipped (opt-out/DND), %d withheld (facts), "
                 "%d greetings late", day.today, queued, mailed, day.skipped, len(day.withheld), day.late)
        if day.no_mobile:
            log.warning("notice run for %s: no mobile for staff %s", day.today,
                        ", ".join(sorted({n["badge_no"] for n in day.no_mobile})))
    return {"date": day.today, "dry_run": dry_run, "queued": queued, "mailed": mailed, "skipped": day.skipped,
            "notices": out if details else None,
            "withheld": [{"type": n.kind, "key": n.key, "reason": reason} for n, reason in day.withheld],
            "no_mobile": day.no_mobile, "late": day.late, "held": day.held, "counts": day.counts()}


def _queue(config, rows, mails, fence):
    for start in range(0, len(rows), QUEUE_BATCH):  # each its own short transaction
        with write_transaction():
            _checked(fence)
            queue_planned(rows[start:start + QUEUE_BATCH], config=config)  # our own rows: the bulk path
    # Unfenced: ON CONFLICT DO NOTHING, so a stale leader adds nothing the new one would not.
    mail_outbox.queue_many(mails)


def _report_held(day, fence):
    """Log and audit what the paced run holds back, before anything is queued."""
    held, free = day.held, day.capacity
    detail = (f"{held['notices']} notices ({held['parts']} parts: {held['service']} service, "
              f"{held['marketing']} marketing) beyond today's capacity of {free['day']} parts "
              f"({free['window']} in the marketing window); not queued")
    not_sent = [f"{g['target']} {g['not_sent']}" for g in held["greetings"] if g["not_sent"]]
    if not_sent:
        detail += f"; greetings not sent on their date: {', '.join(not_sent)}"
    log.warning("notice run for %s: %s", day.today, detail)
    with write_transaction():
        _checked(fence)
        audit("system", "notices.held", day.today, detail, "notices")


def _checked(fence):
    if fence is not None:
        fence()


def _opening(kind, category, now, config, openings):
    """(not_before, not_after) of a notice queued at `now`: the greetings of ON_THE_DAY
    in the marketing window, others in their category's. Worked out once per run."""
    name = "greetings" if kind in ON_THE_DAY else category
    if name not in openings:
        openings[name] = next_opening(now, window_for("marketing" if name == "greetings" else category, config))
    return openings[name]


def ran_on(today):
    return NoticeRun.select().where(NoticeRun.run_date == today).exists()


# --- events from the core systems ----------------------------------------------

def send_event(config, kind, *, policy_no=None, customer_no=None, claim_no=None, event_id=None,
               variables=None, source="api", created_by="", now=None):
    """Send one notice at once for an event; returns the Message. With an event_id,
    a repeated event (a retried POST) returns the message already queued."""
    if kind not in EVENT_TYPES:
        raise InputError.of(N_("{field}: unknown event type {kind!r} (known: {choices})"),
                            field="type", kind=kind, choices=', '.join(EVENT_TYPES))
    about = EVENT_TYPES[kind]
    extra = {k: str(v) for k, v in (variables or {}).items()}
    claim_status = None
    if about == "claim":
        claim = Claim.get_or_none(Claim.claim_no == claim_no) if claim_no else None
        if claim is None:
            raise NotFound.of(N_("{field}: no claim {claim_no!r}"), field="claim_no", claim_no=claim_no)
        customer, values, target = claim.policy.holder, claim_variables(claim, config), claim.claim_no
        claim_status = claim.status
    elif about == "policy" or policy_no:
        policy = Policy.get_or_none(Policy.policy_no == policy_no) if policy_no else None
        if policy is None:
            raise NotFound.of(N_("{field}: no policy {policy_no!r}"), field="policy_no", policy_no=policy_no)
        customer, target = policy.holder, policy.policy_no
        values = policy_variables(policy, customer.language, config)
        if kind in PAYMENT_EVENTS:
            values.update(_latest_payment(policy, PAYMENT_EVENTS[kind], customer.language))
        if kind in AMOUNT_FROM_EVENT:
            values["amount"] = ""  # only the event's variables.amount, never the premium
    else:
        customer = Customer.get_or_none(Customer.customer_no == customer_no) if customer_no else None
        if customer is None:
            raise NotFound.of(N_("{field}: no customer {customer_no!r}"), field="customer_no", customer_no=customer_no)
        values, target = {"name": customer.name, "salutation": customer.salutation}, customer.customer_no
    email = mail_outbox.mail_address(customer)
    if not customer.mobile and not email:
        raise InputError.of(N_("{field}: {name} has no registered mobile"), field="customer", name=customer.name)
    values.update(extra)
    if kind == "holiday" and "festival" not in values:
        raise InputError.of(N_("variables.festival: needed for a holiday greeting"), field="festival")
    renderer = Renderer(kind, config)
    why = withheld_reason(kind, values, renderer, customer.language, claim_status)
    if why:  # reported, not sent: the audit log and the caller get the reason
        field, reason = why
        _report_withheld(Notice(kind, f"event:{kind}:{target}:{event_id or ''}", customer.mobile, values),
                         reason, source)
        error = Refused if field == "claim_no" else InputError
        raise error(f"{field}: {kind} not sent: {reason}", field=field)
    if not (mail_outbox.allowed(customer, renderer.category) if email
            else optout.allowed(customer.mobile, renderer.category)):
        raise InputError.of(N_("{field}: {name} opted out of {category} messages"),
                            field="customer", name=customer.name, category=renderer.category)
    now = now or clock.now()
    not_before, not_after = next_opening(now, window_for(renderer.category, config))
    dedupe_key = f"event:{kind}:{target}:{event_id}" if event_id else None
    if email:  # the customer prefers e-mail: a MailMessage instead of an SMS
        message = mail_outbox.queue_one(mail_outbox.row(
            email, Composer(config, kind).compose(values, customer.language), category=renderer.category,
            kind=kind, language=customer.language, not_before=not_before, not_after=not_after, customer=customer,
            policy_no=values.get("policy_no", ""), source=source,
            created_by=created_by, dedupe_key=dedupe_key, priority=3))
    else:
        message = _queue_event_sms(customer, renderer.render(values, customer.language), renderer.category,
                                   not_before, not_after, source, created_by, dedupe_key, config)
    if kind in AGENT_STEPS:  # after the holder's: a retried event completes a copy a crash left out
        _send_agent_copy(config, kind, policy, extra, event_id, now, source, created_by)
    return message


def _queue_event_sms(customer, text, category, not_before, not_after, source, created_by, dedupe_key, config):
    return queue_message(customer.mobile, text, category=category, priority=3,
                         not_before=not_before, not_after=not_after, customer=customer,
                         source=source, created_by=created_by, dedupe_key=dedupe_key, config=config)


# The steps of the renewal process whose events the agent gets a copy of, as in the daily run.
AGENT_STEPS = ("renewal_due", "overdue", "lapse_warning", "lapsed", "premium_received")


def _send_agent_copy(config, kind, policy, extra, event_id, now, source, created_by):
    """Queue the agent's copy of a process event; an agent who left, has no mobile, or a
    copy lacking a fact its text states is logged, not an error (the holder's went)."""
    notice = _agent_notice(kind, f"{policy.policy_no}:{event_id}", policy, config, **extra)
    if notice is None:
        return None
    if kind == "premium_received":
        notice.variables.update(_latest_payment(policy, "received", "zh"), **extra)
    renderer = Renderer(notice.kind, config)
    why = withheld_reason(notice.kind, notice.variables, renderer)
    if not notice.number or why:
        log.warning("event %s: no copy to agent %s: %s", kind, notice.extra["badge_no"],
                    why[1] if why else "no mobile")
        return None
    not_before, not_after = next_opening(now, window_for(renderer.category, config))
    return queue_message(notice.number, renderer.render(notice.variables), category=renderer.category,
                         priority=3, not_before=not_before, not_after=not_after, staff=notice.staff_id,
                         source=source, created_by=created_by, config=config,
                         dedupe_key=f"event:{notice.kind}:{policy.policy_no}:{event_id}" if event_id else None)


PAYMENT_EVENTS = {"premium_received": "received", "payment_failed": "failed"}


def _latest_payment(policy, status, language):
    """Variables of the policy's latest payment with `status` (amount, paid_on, reason), if any."""
    payment = (Payment.select().where(Payment.policy == policy, Payment.status == status)
               .order_by(Payment.paid_on.desc(), Payment.id.desc()).first())
    if payment is None:
        return {}
    return {"amount": format_amount(payment.amount), "paid_on": format_date(payment.paid_on, language),
            "reason": payment.failure_reason or "-"}


def catalogue():
    """The notice types with their titles and categories (for listings and the API)."""
    return [{"type": kind, "about": about, "title": defaults()[kind]["title"],
             "category": defaults()[kind]["category"]} for kind, about in EVENT_TYPES.items()]
