"""Billing and reports: a tariff per SMS part per carrier (from the [billing]
settings) for parts the modems send, smpp.tariff for parts sent over the SMPP account
(MessagePart.modem == 'smpp', issue 18), each sent part charged to its message's department, campaign and
user; monthly statements; counts, delivery rate and failure reasons per day
and per campaign.

A part is charged once it was handed to the network (sent, delivered, or
failed after a delivery report), or when its fate is unknown; parts that never
left (queued, expired, cancelled, failed before submit) cost nothing.
"""
import datetime
from collections import defaultdict
from decimal import Decimal

from peewee import SQL, Case, fn

from appliance import clock, listings, phones
from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, InputError
from appliance.sms.models import Message, MessagePart

CARRIER_KEYS = {"China Mobile": "billing.china_mobile", "China Unicom": "billing.china_unicom",
                "China Telecom": "billing.china_telecom"}
CHARGED_STATES = ("sent", "delivered", "unknown")



def tariff(config, carrier):
    """Price of one part to a carrier, as a Decimal."""
    return Decimal(str(config[CARRIER_KEYS.get(carrier, "billing.other")])).quantize(Decimal("0.0001"))


def smpp_tariff(config):
    """Price of one part sent over the SMPP account, as a Decimal."""
    return Decimal(str(config["smpp.tariff"])).quantize(Decimal("0.0001"))


def price(config, bearer, carrier):
    """Price of one part by `bearer` ('modem' or 'smpp') to a carrier."""
    return smpp_tariff(config) if bearer == "smpp" else tariff(config, carrier)


def bearer_of(part_modem):
    """The bearer that sent a part, from its modem column ('smpp' for the SMPP account)."""
    return "smpp" if part_modem == "smpp" else "modem"


def estimate(config, numbers_and_parts):
    """Cost of sending (number, part_count[, bearer]) tuples: for previews. The bearer is
    the one the routing would choose (appliance.sms.routing); without one, the modems."""
    total = Decimal(0)
    for number, parts, *bearer in numbers_and_parts:
        total += price(config, bearer[0] if bearer else "modem", phones.carrier_name(number)) * parts
    return total


def _charged(part):
    return part.state in CHARGED_STATES or (part.state == "failed" and part.sent_at is not None)


CHARGE_BATCH = 500  # parts stamped per write transaction: each stays short however many wait


def charge_parts(config):
    """Stamp carrier and cost on charged parts that have none yet; returns how many.
    Idempotent: a part keeps the price of the day it was charged. The parts go a batch
    at a time (by id), each batch its own short write transaction, retried while busy."""
    count, after = 0, 0
    while after is not None:
        charged, after = _charge_batch(config, after)
        count += charged
    return count


@retry_writes
def _charge_batch(config, after):
    """Charge the next CHARGE_BATCH candidate parts with an id above `after`: (how many were
    charged, the last id looked at, or None when there are no more)."""
    with write_transaction():
        parts = list(MessagePart.select(MessagePart.id, MessagePart.state, MessagePart.sent_at,
                                        MessagePart.carrier, MessagePart.modem, Message.to_number)
                     .join(Message)
                     .where(MessagePart.cost == 0, MessagePart.id > after,
                            MessagePart.state.in_(CHARGED_STATES + ("failed",)))
                     .order_by(MessagePart.id).limit(CHARGE_BATCH))
        by_price = defaultdict(list)
        for part in parts:
            if _charged(part):
                carrier = part.carrier or phones.carrier_name(part.message.to_number)
                by_price[carrier, bearer_of(part.modem)].append(part.id)
        for (carrier, bearer), ids in by_price.items():
            MessagePart.update(carrier=carrier, cost=price(config, bearer, carrier)).where(
                MessagePart.id.in_(ids)).execute()
    last = parts[-1].id if len(parts) == CHARGE_BATCH else None
    return sum(len(ids) for ids in by_price.values()), last


def _month_bounds(month):
    """The instants the box's month 'YYYY-MM' begins and ends."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        return clock.day_start(datetime.date(year, mon, 1)), clock.day_start(datetime.date(year + (mon == 12),
                                                                                          mon % 12 + 1, 1))
    except (ValueError, OverflowError):  # '0000-00', '9999-12': no such month on the box's calendar
        raise InputError.of(N_("{field}: {month!r} is not a month (YYYY-MM)"), field="month", month=month) from None


def statement(config, month, department=None):
    """Monthly statement: per department, per user, per carrier and per bearer (modem,
    smpp), parts and cost, and the bearers' totals. `month` is 'YYYY-MM'; parts count in
    the month they were sent."""
    charge_parts(config)
    start, end = _month_bounds(month)
    bearer = Case(None, [(MessagePart.modem == "smpp", "smpp")], "modem")
    query = (MessagePart.select(Message.department, Message.created_by, MessagePart.carrier, bearer.alias("bearer"),
                                fn.COUNT(MessagePart.id), fn.COUNT(fn.DISTINCT(Message.id)),
                                fn.SUM(MessagePart.cost))
             .join(Message)
             .where(MessagePart.sent_at >= start, MessagePart.sent_at < end, MessagePart.cost > 0)
             .group_by(Message.department, Message.created_by, MessagePart.carrier, bearer)
             .order_by(Message.department, Message.created_by, MessagePart.carrier))
    if department is not None:
        query = query.where(Message.department == department)
    departments = {}
    bearers = {b: {"bearer": b, "parts": 0, "cost": Decimal("0.00")} for b in ("modem", "smpp")}
    for dept, user, carrier, by, parts, messages, cost in query.tuples():
        cost = Decimal(str(cost or 0)).quantize(Decimal("0.0001"))
        row = departments.setdefault(dept, {"department": dept, "parts": 0, "cost": Decimal("0.00"),
                                            "by_user": defaultdict(lambda: [0, Decimal("0.00")]),
                                            "by_carrier": defaultdict(lambda: [0, Decimal("0.00")]),
                                            "by_bearer": defaultdict(lambda: [0, Decimal("0.00")])})
        row["parts"] += parts
        row["cost"] += cost
        for table, key in ((row["by_user"], user), (row["by_carrier"], carrier), (row["by_bearer"], by)):
            table[key][0] += parts
            table[key][1] += cost
        bearers[by]["parts"] += parts
        bearers[by]["cost"] += cost
    rows = []
    for row in departments.values():
        row["cost"] = _cents(row["cost"])
        for table, name in (("by_user", "user"), ("by_carrier", "carrier"), ("by_bearer", "bearer")):
            row[table] = [{name: k, "parts": v[0], "cost": _cents(v[1])} for k, v in sorted(row[table].items())]
        rows.append(row)
    return {"month": month, "departments": rows,
            "total_parts": sum(r["parts"] for r in rows),
            "total_cost": sum((r["cost"] for r in rows), Decimal("0.00")),
            "by_bearer": [dict(b, cost=_cents(b["cost"])) for b in bearers.values()]}


def _cents(amount):
    return amount.quantize(Decimal("0.01"))


def _summary(rows):
    """Counts by message state, delivery rate and failure reasons from (state, reason) rows."""
    counts = defaultdict(int)
    reasons = defaultdict(int)
    for state, reason, n in rows:
        counts[state] += n
        if state in ("failed", "expired", "unknown") and reason:
            reasons[reason] += n
    total = sum(counts.values())
    delivered = counts.get("delivered", 0)
    finished = sum(counts.get(s, 0) for s in ("sent", "delivered", "failed", "expired", "unknown"))
    return {"messages": total, "states": dict(counts),
            "delivery_rate": round(delivered / finished, 4) if finished else None,
            "failure_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1]))}


def daily_report(start, end):
    """Per day (the box's day a message was created): counts, delivery rate, failure reasons."""
    day = listings.local_day(Message.created_at, start, end)
    since, until = _day_bounds(start, end)
    query = (Message.select(day.alias("local_day"), Message.state, Message.failure_reason, fn.COUNT(Message.id))
             .where(Message.created_at >= since, Message.created_at < until)
             .group_by(SQL("local_day"), Message.state, Message.failure_reason))
    by_day = defaultdict(list)
    for d, state, reason, n in query.tuples():
        by_day[str(d)].append((state, reason, n))
    return [{"day": d, **_summary(rows)} for d, rows in sorted(by_day.items())]


def _day_bounds(start, end):
    """Instants from the start of the box's day `start` to the start of the day after `end`."""
    return clock.day_range(start, end)


def sent_parts_per_day(start, end):
    """{'YYYY-MM-DD': parts handed to a modem that day}, start..end inclusive.
    (daily_report counts messages by the day they were created; volume is in parts.)"""
    day = listings.local_day(MessagePart.sent_at, start, end)
    since, until = _day_bounds(start, end)
    query = (MessagePart.select(day.alias("local_day"), fn.COUNT(MessagePart.id))
             .where(MessagePart.sent_at >= since, MessagePart.sent_at < until)
             .group_by(SQL("local_day")))
    return {d: n for d, n in query.tuples()}


def campaign_report(campaign_ids=None, config=None):
    """Per campaign: counts, delivery rate, failure reasons, and (given the config,
    which charges parts not charged yet) parts and cost."""
    from appliance.services.models import Campaign
    if config is not None:
        charge_parts(config)
    costs = dict(((cid, (parts, cost)) for cid, parts, cost in
                  MessagePart.select(Message.campaign_id, fn.COUNT(MessagePart.id), fn.SUM(MessagePart.cost))
                  .join(Message).where(Message.campaign_id.is_null(False), MessagePart.cost > 0)
                  .group_by(Message.campaign_id).tuples()))
    query = (Message.select(Message.campaign_id, Message.state, Message.failure_reason, fn.COUNT(Message.id))
             .where(Message.campaign_id.is_null(False))
             .group_by(Message.campaign_id, Message.state, Message.failure_reason))
    if campaign_ids:
        query = query.where(Message.campaign_id.in_(list(campaign_ids)))
    by_campaign = defaultdict(list)
    for cid, state, reason, n in query.tuples():
        by_campaign[cid].append((state, reason, n))
    names = {c.id: c for c in Campaign.select().where(Campaign.id.in_(list(by_campaign) or [0]))}
    rows = []
    for cid, counts in sorted(by_campaign.items()):
        campaign = names.get(cid)
        rows.append({"campaign_id": cid, "name": campaign.name if campaign else "",
                     "department": campaign.department if campaign else "",
                     "skipped": campaign.skipped if campaign else 0, **_summary(counts),
                     "charged_parts": costs.get(cid, (0, 0))[0],
                     "cost": Decimal(str(costs.get(cid, (0, 0))[1] or 0)).quantize(Decimal("0.01"))})
    return rows
