"""Campaigns paced to what can go out (services.campaign_pace, issue 18).

A paced campaign never queues more SMS than the box can send in its window today: the room of
a day is appliance.sms.capacity's figure (the marketing window's for marketing, the whole
day's otherwise; the SIMs and the SMPP account together) less the parts already queued due
that day — service notices queued first keep their precedence, since the notice run comes
before the day's shares. plan() fits the messages in launch order (no message jumps the queue)
into today and the following days up to the campaign's end (its expiry, else PLAN_DAYS); what
fits no day is told before launch as not going.

At launch (campaigns.send) today's share is queued and the rest waits, rendered, in
campaign_pending. Each later day, once that day's notice run is done (or SHARE_AFTER past
notices.run_at), the services daemon's singleton step queue_shares() queues the day's share:
the room is fixed first (campaign.share_left, next_share_on moved to tomorrow, one commit),
then the share goes SHARE_BATCH messages a transaction, each deleting the pending rows it
queued. A kill -9 anywhere leaves either the rows pending or their messages queued, never both;
the messages also carry dedupe keys (campaign:ID:SEQ). When the campaign's end comes first,
what is still pending is dropped and counted (campaign.unsent).
"""
import datetime
import logging

from appliance import clock
from appliance.db import write_transaction
from appliance.services import notices
from appliance.services.models import Campaign, CampaignPending
from appliance.sms import capacity
from appliance.sms.outbox import queue_many
from appliance.sms.window import next_opening, window_for

log = logging.getLogger(__name__)

PLAN_DAYS = 31     # a campaign without an end is planned this many days ahead
SHARE_BATCH = 2000  # messages a transaction: each stays short however large the share
SHARE_AFTER = datetime.timedelta(hours=1)  # no notice run recorded today: shares go this long after run_at
PAUSED = datetime.date(9999, 1, 1)  # next_share_on of a paused campaign


def dedupe_key(campaign_id, seq):
    return f"campaign:{campaign_id}:{seq}"


def last_day(now, expires_at):
    """The box's last day a campaign may send on."""
    if expires_at is None:
        return clock.today(now) + datetime.timedelta(days=PLAN_DAYS - 1)
    return clock.today(expires_at - datetime.timedelta(microseconds=1))


def room(config, category, now, days=1):
    """Parts a campaign of `category` may still queue on each day from today: capacity less
    the parts already queued due that day."""
    key = "window" if category == "marketing" else "day"
    return [max(0, d[key] - d["queued"]) for d in capacity.outlook(config, now, days)["days"]]


def fit(parts, rooms):
    """How many of the messages (their part counts, in order) go on each day of `rooms`; a
    message that does not fit waits for the next day, and so do all after it."""
    counts, index = [], 0
    for left in rooms:
        start = index
        while index < len(parts) and parts[index] <= left:
            left -= parts[index]
            index += 1
        counts.append(index - start)
    return counts


def plan(config, category, parts, now, expires_at=None):
    """What a paced launch of messages of `parts` (part counts, in order) would do: today's
    share, the later days', and what will not go before the end, in messages and parts."""
    days = max(1, (last_day(now, expires_at) - clock.today(now)).days + 1)
    counts = fit(parts, room(config, category, now, min(days, PLAN_DAYS)))
    today, later = counts[0], sum(counts[1:])
    return {"paced": True, "today": today, "today_parts": sum(parts[:today]),
            "later": later, "later_parts": sum(parts[today:today + later]),
            "not_going": len(parts) - today - later, "not_going_parts": sum(parts[today + later:]),
            "days": len(counts)}


def unpaced(parts):
    """The same figures for a campaign queued whole."""
    return {"paced": False, "today": len(parts), "today_parts": sum(parts), "later": 0, "later_parts": 0,
            "not_going": 0, "not_going_parts": 0, "days": 1}


def hold_rest(campaign, rows, first_seq, now):
    """Keep `rows` ((recipient, text, parts)) pending from seq `first_seq` on (inside the launch's
    transaction)."""
    for start in range(0, len(rows), SHARE_BATCH):
        CampaignPending.insert_many([
            {"campaign": campaign.id, "seq": first_seq + start + n, "to_number": r.number, "text": text,
             "parts": parts, "customer": r.customer_id, "staff_id": r.staff_id}
            for n, (r, text, parts) in enumerate(rows[start:start + SHARE_BATCH])]).execute()
    campaign.pending, campaign.next_share_on = len(rows), clock.today(now) + datetime.timedelta(days=1)
    Campaign.update(pending=campaign.pending, next_share_on=campaign.next_share_on).where(
        Campaign.id == campaign.id).execute()


# --- the services daemon's step ----------------------------------------------------------

def share_due(config, now):
    """Have today's service notices had their turn (the notice run done, or long due)?"""
    here = clock.local(now)
    run_at = datetime.datetime.combine(here.date(), datetime.time.fromisoformat(config["notices.run_at"]))
    return notices.ran_on(here.date()) or here.replace(tzinfo=None) >= run_at + SHARE_AFTER


def queue_shares(config, now=None, fence=None):
    """Queue today's share of every paced campaign still pending; returns the messages queued.
    `fence` (the daemon's lease check) is called in each transaction."""
    now = now or clock.now()
    if not share_due(config, now):
        return 0
    today = clock.today(now)
    waiting = (Campaign.select(Campaign.id).where(Campaign.pending > 0, (Campaign.share_left > 0) |
                                                  (Campaign.next_share_on <= today)).order_by(Campaign.id))
    return sum(_share(config, campaign_id, now, fence) for (campaign_id,) in waiting.tuples())


def _share(config, campaign_id, now, fence):
    campaign = Campaign.get_by_id(campaign_id)
    today = clock.today(now)
    if campaign.next_share_on is not None and campaign.next_share_on <= today:
        parts = room(config, campaign.category, now)[0]
        with write_transaction():
            _fenced(fence)
            if today > last_day(campaign.created_at, campaign.expires_at) or _opening(config, campaign, now) is None:
                return _drop(campaign_id)
            Campaign.update(share_left=parts, next_share_on=today + datetime.timedelta(days=1)).where(
                Campaign.id == campaign_id, Campaign.next_share_on == campaign.next_share_on).execute()
    queued = 0
    while True:
        batch = _batch(config, campaign_id, now, fence)
        if not batch:
            return queued
        queued += batch


def _opening(config, campaign, now):
    return next_opening(now, window_for(campaign.category, config, campaign.window), campaign.expires_at)


def _batch(config, campaign_id, now, fence):
    """Queue the next batch of today's share; returns how many were queued (0: the share is done)."""
    with write_transaction():
        _fenced(fence)
        campaign = Campaign.get_by_id(campaign_id)
        if campaign.share_left <= 0 or campaign.pending <= 0:
            return 0
        rows = list(CampaignPending.select().where(CampaignPending.campaign == campaign_id)
                    .order_by(CampaignPending.seq).limit(SHARE_BATCH))
        take = fit([r.parts for r in rows], [campaign.share_left])[0]
        opening = _opening(config, campaign, now)
        if not take or opening is None:
            Campaign.update(share_left=0).where(Campaign.id == campaign_id).execute()
            return 0
        not_before, not_after = opening
        chosen = rows[:take]
        queue_many([{"to_number": r.to_number, "text": r.text, "category": campaign.category,
                     "priority": campaign.priority, "not_before": not_before, "not_after": not_after,
                     "customer": r.customer_id, "staff": r.staff_id, "source": campaign.source,
                     "created_by": campaign.created_by, "department": campaign.department,
                     "campaign_id": campaign_id, "dedupe_key": dedupe_key(campaign_id, r.seq)}
                    for r in chosen], config=config)
        CampaignPending.delete().where(CampaignPending.id.in_([r.id for r in chosen])).execute()
        used = sum(r.parts for r in chosen)
        Campaign.update(pending=Campaign.pending - take, queued=Campaign.queued + take,
                        share_left=0 if take < len(rows) else campaign.share_left - used  # the next did not fit
                        ).where(Campaign.id == campaign_id).execute()
    log.info("campaign %s: %d more message(s) queued for today", campaign_id, take)
    return take


def _drop(campaign_id):
    """The campaign's end came first: what is still pending will not go (counted in unsent)."""
    dropped = CampaignPending.delete().where(CampaignPending.campaign == campaign_id).execute()
    Campaign.update(pending=0, share_left=0, unsent=Campaign.unsent + dropped).where(
        Campaign.id == campaign_id).execute()
    log.info("campaign %s: its end came; %d message(s) not sent", campaign_id, dropped)
    return 0


def _fenced(fence):
    if fence is not None:
        fence()
