"""How many SMS parts the box can send: per day and per send window, from the SIMs in service.

A SIM is in service when its modem's health row (modem_status) says `ok` and its box still
beats (appliance.cluster.boxes). Each SIM sends at most what its caps leave (modems.daily_cap,
modems.monthly_cap, counted by IMSI as the dispatcher counts them: delivery.sent_counts) and
what time allows: the seconds left in the window divided by the seconds one part takes. That
is measured from the gaps between a SIM's recent submits (a modem sending back to back), else
modems.seconds_per_part. Exact arithmetic (Fraction, whole parts rounded down); days and windows
are the box's (clock). Later days assume each SIM spends its whole day's capacity, so the
monthly cap is never over-promised.
"""
import bisect
import datetime
from fractions import Fraction

import peewee

from appliance import clock
from appliance.cluster import boxes
from appliance.sms import delivery
from appliance.sms.models import Message, MessagePart, ModemStatus
from appliance.sms.window import window_for

BURST_GAP = 60       # seconds: a longer gap between two submits on a SIM is idle time, not sending
MIN_GAPS = 20        # fewer measured gaps than this: trust the setting instead
RECENT_PARTS = 2000  # parts read for the measurement
SMPP_PORT = "smpp"   # the SMPP link's modem_status row (port), written by the smpp daemon
SMPP_RECENT = datetime.timedelta(minutes=15)  # a link seen up this recently still counts


def sims_in_service(config, now):
    """IMSI -> 'BOX/port' of every SIM whose modem is ok on a box that beats."""
    alive = {b["name"] for b in boxes.listing(config["box.heartbeat_timeout"], now) if b["alive"]}
    rows = (ModemStatus.select(ModemStatus.box, ModemStatus.port, ModemStatus.imsi)
            .where(ModemStatus.state == "ok", ModemStatus.imsi != "").order_by(ModemStatus.box, ModemStatus.port))
    return {imsi: f"{box}/{port}" for box, port, imsi in rows.tuples() if box in alive}


def seconds_per_part(config, now):
    """Measured mean seconds between back-to-back submits on one SIM over the last week,
    else the setting; never below modems.min_interval."""
    rows = (MessagePart.select(MessagePart.imsi, MessagePart.sent_at)
            .where(MessagePart.sent_at >= now - datetime.timedelta(days=7), MessagePart.imsi != "")
            .order_by(MessagePart.sent_at.desc()).limit(RECENT_PARTS).tuples())
    last, gaps = {}, []
    for imsi, sent_at in sorted(rows, key=lambda r: (r[0], r[1])):
        if imsi in last:
            gap = sent_at - last[imsi]
            if datetime.timedelta(0) < gap <= datetime.timedelta(seconds=BURST_GAP):
                gaps.append(gap // datetime.timedelta(microseconds=1))
        last[imsi] = sent_at
    measured = Fraction(sum(gaps), 10**6 * len(gaps)) if len(gaps) >= MIN_GAPS else None
    fallback = Fraction(str(config["modems.seconds_per_part"]))
    return max(measured or fallback, Fraction(str(config["modems.min_interval"])))


def open_seconds(day, window, now=None):
    """Whole seconds of the box's day `day` inside `window` ((start, end) wall-clock times,
    None: all day), from `now` on when given."""
    if window is None:
        opens, closes = clock.day_start(day), clock.day_start(day + datetime.timedelta(days=1))
    else:
        start, end = window
        opens = clock.instant(datetime.datetime.combine(day, start))
        closes = clock.instant(datetime.datetime.combine(day + datetime.timedelta(days=1 if end <= start else 0), end))
    if now is not None:
        opens = max(opens, now)
    return max(0, int((closes - opens).total_seconds()))


def _sim_day(seconds, per_part, daily_left, month_left):
    """Parts one SIM sends in `seconds`, within what its caps leave (None: no cap)."""
    parts = int(seconds / per_part) if per_part else None
    limits = [x for x in (parts, daily_left, month_left) if x is not None]
    return max(0, min(limits)) if limits else 0


def smpp_link(config, now):
    """The SMPP account as capacity sees it: {"enabled", "counted", "state", "rate"}; state is
    'off', 'in service', 'recently in service', 'not connected' or 'out of service'."""
    rate = Fraction(str(config["smpp.rate"]))
    if not config["smpp.enabled"] or rate <= 0:
        return {"enabled": bool(config["smpp.enabled"]), "counted": False, "state": "off", "rate": rate}
    rows = list(ModemStatus.select(ModemStatus.state, ModemStatus.last_activity)
                .where(ModemStatus.port == SMPP_PORT).tuples())
    if not rows:
        state = "not connected"
    elif any(state == "ok" for state, _ in rows):
        state = "in service"
    elif any(seen and now - seen <= SMPP_RECENT for _, seen in rows):
        state = "recently in service"
    else:
        state = "out of service"
    return {"enabled": True, "counted": state != "out of service", "state": state, "rate": rate}


def _smpp_parts(link, seconds):
    return int(link["rate"] * seconds) if link["counted"] else 0


def queued_by_day(today, days, now):
    """Queued parts per day they are due, [today (and earlier), today + 1, …], leaving out those
    past their not_after (they expire, never go): one query."""
    ends = [clock.day_start(today + datetime.timedelta(days=n + 1)) for n in range(days)]
    counts = [0] * days
    rows = (MessagePart.select(Message.not_before, peewee.fn.COUNT(MessagePart.id)).join(Message)
            .where(MessagePart.state == "queued", Message.state == "queued",
                   Message.not_before.is_null() | (Message.not_before < ends[-1]),
                   Message.not_after.is_null() | (Message.not_after > now))
            .group_by(Message.not_before).tuples())
    for not_before, count in rows:
        counts[0 if not_before is None else bisect.bisect_right(ends, not_before)] += count
    return counts


def outlook(config, now=None, days=7, from_time=None):
    """Capacity of today (from `now`) and the next days (whole, or from `from_time` on each
    day's wall clock: the notice forecast counts each day from its run): one dict a day with `date`,
    `day` (parts over the whole day, for notices without a window), `window` (parts
    within the marketing window) — the SIMs' and the SMPP account's together, apart as
    modem_day/modem_window and smpp_day/smpp_window — and `queued` (parts due that day);
    plus the SIMs, seconds per part, the SMPP link (smpp_link) and the parts queued due
    today or earlier."""
    now = now or clock.now()
    today = clock.today(now)
    sims = sims_in_service(config, now)
    per_part = seconds_per_part(config, now)
    link = smpp_link(config, now)
    daily, monthly = config["modems.daily_cap"] or None, config["modems.monthly_cap"] or None
    sent_day = delivery.sent_counts(clock.day_start(today))
    sent_month = delivery.sent_counts(clock.day_start(today.replace(day=1)))
    month_left = {imsi: None if monthly is None else monthly - sent_month.get(imsi, 0) for imsi in sims}
    marketing = window_for("marketing", config)
    queued = queued_by_day(today, days, now)
    out = []
    for offset in range(days):
        day = today + datetime.timedelta(days=offset)
        if offset and day.day == 1:
            month_left = {imsi: monthly for imsi in sims}
        since = now if offset == 0 else None
        if from_time is not None:  # a day's capacity as a run at that time sees it
            since = max(now, clock.instant(datetime.datetime.combine(day, from_time)))
        totals = {"date": day, "modem_day": 0, "modem_window": 0}
        for imsi in sims:
            daily_left = None if daily is None else daily - (sent_day.get(imsi, 0) if offset == 0 else 0)
            whole = _sim_day(open_seconds(day, None, since), per_part, daily_left, month_left[imsi])
            totals["modem_day"] += whole
            totals["modem_window"] += _sim_day(open_seconds(day, marketing, since), per_part, daily_left,
                                               month_left[imsi])
            if month_left[imsi] is not None:
                month_left[imsi] -= whole
        totals["smpp_day"] = _smpp_parts(link, open_seconds(day, None, since))
        totals["smpp_window"] = _smpp_parts(link, open_seconds(day, marketing, since))
        totals["day"] = totals["modem_day"] + totals["smpp_day"]
        totals["window"] = totals["modem_window"] + totals["smpp_window"]
        totals["queued"] = queued[offset]
        out.append(totals)
    return {"sims": sims, "seconds_per_part": per_part, "smpp": link, "queued": queued[0], "days": out}
