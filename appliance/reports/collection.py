"""Collection after reminders: of the premiums due in a period, how many were paid within
N days (reports.collection_days) of a payment reminder, by channel, branch and agent.

A premium due is a policy and due date: a policy's next_due_date in the period, or the
due_date of any of its payments in it; it is paid on the first day a received payment
for that due date was (Payment.paid_on). Its amount is the policy's premium.

A reminder is a holder's renewal_due, overdue or lapse_warning notice: an SMS handed to
the network, a voice notice call that reached the person, an e-mail the relay accepted.
One that names its due date (the daily run's renewal_due and overdue, by SMS or e-mail)
reminds of that due; one that does not (lapse warnings, events, calls) reminds of the
policy's earliest due in the period not yet paid on the reminder's day. A due counts as paid after a
reminder when paid 0..N days after its first reminder (per channel: that channel's
first); branch and agent are the policy's agent's (none: "")."""
import datetime
from collections import defaultdict
from decimal import Decimal

from peewee import JOIN

from appliance import clock
from appliance.errors import N_
from appliance.models import Payment, Policy, Staff
from appliance.reports import channels
from appliance.reports.period import money, parse_count, rate

REMINDER_KINDS = ("renewal_due", "overdue", "lapse_warning")
LOOK_AROUND = datetime.timedelta(days=120)  # reminders go out up to this long before or after a due
GROUP_LABELS = {"sms": N_("SMS"), "voice": N_("Voice call"), "email": N_("E-mail"),
                "any": N_("Any reminder")}
FIGURES = [("dues", N_("Premiums due"), None), ("amount_due", N_("Amount due (CNY)"), None),
           ("reminded", N_("Reminded"), None), ("paid_within", N_("Paid within the days after a reminder"), None),
           ("paid_amount", N_("Amount paid (CNY)"), None), ("rate", N_("Paid after a reminder"), None)]


def _policies(rng):
    """{policy id: (policy_no, premium, next_due_date, the agent's branch, 'badge name')} of
    the policies with a due in the range (agent "" for none): one query, whatever the book."""
    with_due = Payment.select(Payment.policy).where(Payment.due_date.between(rng.first, rng.last))
    rows = (Policy.select(Policy.id, Policy.policy_no, Policy.premium, Policy.next_due_date, Staff.branch,
                          Staff.badge_no, Staff.name)
            .join(Staff, JOIN.LEFT_OUTER, on=(Policy.agent == Staff.id))
            .where(Policy.next_due_date.between(rng.first, rng.last) | Policy.id.in_(with_due)).tuples())
    return {pid: (pno, premium, due, branch or "", f"{badge} {name}" if badge else "")
            for pid, pno, premium, due, branch, badge, name in rows}


def _dues_and_paid(rng, policies):
    """({(policy id, due date): premium} of the premiums due in the range, {(policy id, due
    date): (first paid_on, amount received)} of those paid), from one read of the payments."""
    dues = {(pid, p[2]): p[1] for pid, p in policies.items() if p[2] and rng.first <= p[2] <= rng.last}
    paid = {}
    rows = (Payment.select(Payment.policy, Payment.due_date, Payment.status, Payment.paid_on, Payment.amount)
            .where(Payment.due_date.between(rng.first, rng.last)).tuples())
    for pid, due, status, paid_on, amount in rows:
        dues[(pid, due)] = policies[pid][1]  # premiums are Decimal with 2 places (DecimalField)
        if status == "received":
            first, total = paid.get((pid, due), (paid_on, Decimal(0)))
            paid[(pid, due)] = (min(first, paid_on), total + amount)
    return dues, paid


def _reminders(rng, policies):
    """[(channel, policy id, due date or None, the box's day it went)] around the range, for
    the `policies` (_policies)."""
    start, end = clock.day_start(rng.first - LOOK_AROUND), clock.day_start(rng.last + LOOK_AROUND)
    by_number, out = {p[0]: pid for pid, p in policies.items()}, []
    sms = [(channels.parse_key(key), sent) for _, key, sent, _ in channels.sms_notices(REMINDER_KINDS, start, end)]
    for (_, pno, due), sent in sms:
        if pno in by_number:
            out.append(("sms", by_number[pno], due, clock.local(sent).date()))
    for _, _, _, pid, result, _, dialled in channels.voice_notices(REMINDER_KINDS, start, end):
        if pid in policies and result in channels.ANSWERED:
            out.append(("voice", pid, None, clock.local(dialled).date()))
    for _, _, pno, sent, due in channels.mail_notices(REMINDER_KINDS, start, end):
        if pno in by_number:
            out.append(("email", by_number[pno], due, clock.local(sent).date()))
    return out


def _first_reminders(dues, paid, reminders):
    """{(policy id, due): {channel: the day of its first reminder}}."""
    by_policy = defaultdict(list)
    for pid, due in sorted(dues):
        by_policy[pid].append(due)
    first = defaultdict(dict)
    for channel, pid, due, day in reminders:
        if due is None:  # the earliest due of the policy not yet paid that day
            open_dues = [d for d in by_policy.get(pid, ()) if (pid, d) not in paid or paid[(pid, d)][0] >= day]
            due = open_dues[0] if open_dues else None
        if (pid, due) in dues:
            known = first[(pid, due)].get(channel)
            first[(pid, due)][channel] = day if known is None else min(known, day)
    return first


def _tally(rows, days):
    """Figures of the dues in `rows` [(amount, (paid_on, amount) or None, first reminder day or None)]."""
    out = {"dues": 0, "amount_due": Decimal(0), "reminded": 0, "paid_within": 0, "paid_amount": Decimal(0)}
    for amount, paid, reminded_on in rows:
        out["dues"] += 1
        out["amount_due"] += amount
        if reminded_on is None:
            continue
        out["reminded"] += 1
        if paid and 0 <= (paid[0] - reminded_on).days <= days:
            out["paid_within"] += 1
            out["paid_amount"] += paid[1]
    out["amount_due"], out["paid_amount"] = money(out["amount_due"]), money(out["paid_amount"])
    out["rate"] = rate(out["paid_within"], out["reminded"])
    return out


def report(config, rng, days=None):
    """The collection figures over the Range `rng`, N = `days` (default reports.collection_days)."""
    days = parse_count(days, "days", config["reports.collection_days"])
    policies = _policies(rng)
    dues, paid = _dues_and_paid(rng, policies)
    first = _first_reminders(dues, paid, _reminders(rng, policies))

    def line(key, channel=None):
        reminded = first.get(key, {})
        day = reminded.get(channel) if channel else min(reminded.values(), default=None)
        return dues[key], paid.get(key), day

    everything = [line(k) for k in dues]
    by_channel = [{"group": c, **_tally([line(k, c) for k in dues], days)} for c in channels.CHANNELS]
    by_channel.append({"group": "any", **_tally(everything, days)})
    groups = {"branch": defaultdict(list), "agent": defaultdict(list)}
    for key, row in zip(dues, everything):
        branch, agent = policies[key[0]][3:]
        groups["branch"][branch].append(row)
        groups["agent"][agent].append(row)
    return {"name": "collection", "from": str(rng.first), "to": str(rng.last), "days": days,
            "tables": [
                {"name": "by_channel", "title": N_("Premiums due and paid after a reminder, by channel"),
                 "columns": [("group", N_("Channel"), GROUP_LABELS)] + FIGURES, "rows": by_channel},
                {"name": "by_branch", "title": N_("By branch"),
                 "columns": [("group", N_("Branch"), {"": N_("(no branch)")})] + FIGURES,
                 "rows": [{"group": b, **_tally(v, days)} for b, v in sorted(groups["branch"].items())]},
                {"name": "by_agent", "title": N_("By agent"),
                 "columns": [("group", N_("Agent"), {"": N_("(no agent)")})] + FIGURES,
                 "rows": [{"group": a, **_tally(v, days)} for a, v in sorted(groups["agent"].items())]}]}

