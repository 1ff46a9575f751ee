"""Bulk sends: a template to a group (or a topic's subscribers), with a preview
of the rendered text, part count and cost first.

Marketing skips opted-out and do-not-disturb numbers and waits for the
marketing window; internal notices skip do-not-disturb numbers; service
notices go to everyone. The whole campaign is queued in one transaction
(outbox.queue_many), so it is either all queued or not at all.

A campaign is paused, resumed and cancelled through its messages still waiting
(queued, no part handed to a modem yet); a message already under way finishes.
Paused messages are held: not_before is HELD (never due), not_after cleared so
that the pause cannot expire them; resuming plans them as a send made now would
(the category's window). No campaign column changes: the messages are the state.

Paced (services.campaign_pace, issue 18; appliance/services/campaign_pacing.py): the
preview says what fits today, what goes on the following days and what will not go
before the campaign's end; the launch queues today's share and keeps the rest pending for
the services daemon's daily shares. Pausing stops the shares, cancelling drops the rest.
"""
import datetime

from peewee import JOIN, fn

from appliance import clock, groups
from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.mail import outbox as mail_outbox
from appliance.mail.compose import Composer
from appliance.mail.models import MailMessage
from appliance.models import Customer, Policy, Product, Staff
from appliance.services import campaign_pacing, notices, optout
from appliance.services.models import CAMPAIGN_CHANNELS, Campaign, CampaignPending
from appliance.services.templates import Renderer
from appliance.sms import billing, routing
from appliance.sms.models import Message, MessagePart
from appliance.sms.outbox import queue_many
from appliance.sms.text import part_count
from appliance.sms.window import next_opening, window_for


def _renderer(config, template_key=None, text=None, category=None):
    if bool(template_key) == bool(text):
        raise InputError.of(N_("{field}: give a template key or a text, not both"), field="template")
    return Renderer(template_key, config, text=text, category=category)


def _messages(renderer, recipients, extra=None):
    """(recipient, text) for each recipient; skips and counts the blocked ones."""
    blocked = optout.blocked_numbers(renderer.category)
    out, skipped, seen = [], 0, set()
    for r in recipients:
        if r.number in blocked or r.number in seen:
            skipped += 1
            continue
        seen.add(r.number)
        values = {**r.variables, **(extra or {})}
        out.append((r, renderer.render(values, r.language)))
    return out, skipped


POLICY_FACTS = ("policy_no", "product", "amount", "due_date", "grace_end", "maturity_date", "sum_assured",
                "agent_name", "agent_mobile")


def with_policy_facts(config, recipients, product=None):
    """Give each customer recipient their own policy's facts ({policy_no}, {due_date}…):
    their policy of `product` (a product group), else their in-force one due soonest.
    Recipients without one (staff, unknown numbers) are left as they are."""
    ids = sorted({r.customer_id for r in recipients if r.customer_id})
    chosen = {}
    for start in range(0, len(ids), 500):  # bound the IN list
        query = (Policy.select(Policy, Product, Customer, Staff).join(Product).switch(Policy)
                 .join(Customer, on=Policy.holder).switch(Policy).join(Staff, JOIN.LEFT_OUTER, on=Policy.agent)
                 .where(Policy.holder.in_(ids[start:start + 500]), Policy.status == "in_force"))
        if product:
            query = query.where(Product.code == product)
        for policy in query.order_by(Policy.next_due_date.asc(nulls="LAST"), Policy.id):
            chosen.setdefault(policy.holder_id, policy)
    for r in recipients:
        if r.customer_id in chosen:
            facts = notices.policy_variables(chosen[r.customer_id], r.language, config)
            r.variables = {**{k: facts[k] for k in POLICY_FACTS}, **r.variables}
    return recipients


def preview(config, recipients, template_key=None, text=None, category=None, extra=None, samples=3,
            channel="sms", now=None, expires_at=None):
    """What a send would do: recipients (those mailed among them), skipped, sample texts,
    parts and cost (of the SMS, each by the bearer the routing would choose), and `pace`:
    the SMS that go today, on the following days and not at all (campaign_pacing.plan)."""
    renderer = _renderer(config, template_key, text, category)
    texted, mailed, mail_skipped = mail_outbox.by_channel(recipients, check_channel(channel), renderer.category)
    rendered, skipped = _messages(renderer, texted, extra)
    pairs = [(r.number, part_count(t), routing.bearer_for(config, renderer.category, r.number)) for r, t in rendered]
    return {"category": renderer.category, "recipients": len(rendered) + len(mailed), "mailed": len(mailed),
            "skipped": skipped + mail_skipped,
            "parts": sum(p[1] for p in pairs), "cost": billing.estimate(config, pairs),
            "pace": _pace(config, renderer.category, [p[1] for p in pairs], now or clock.now(), expires_at),
            "samples": [{"to": r.number, "text": t, "parts": part_count(t)} for r, t in rendered[:samples]]}


def _pace(config, category, parts, now, expires_at):
    if not config["services.campaign_pace"]:
        return campaign_pacing.unpaced(parts)
    return campaign_pacing.plan(config, category, parts, now, expires_at)


def send(config, name, recipients, *, template_key=None, text=None, category=None, kind="bulk",
         group=None, question="", extra=None, created_by="", department="", source="campaign",
         now=None, window="", expires_at=None, priority=None, channel="sms"):
    """Queue one campaign; returns the Campaign (queued and skipped counts set). `channel`:
    sms, email (every customer with an address) or preference (each customer's)."""
    if not (name or "").strip():
        raise InputError.of(N_("{field}: empty"), field="name")
    check_channel(channel)
    now = now or clock.now()
    renderer = _renderer(config, template_key, text, category)
    texted, mailed, mail_skipped = mail_outbox.by_channel(recipients, channel, renderer.category)
    rendered, skipped = _messages(renderer, texted, extra)
    skipped += mail_skipped
    opening = next_opening(now, window_for(renderer.category, config, window), expires_at)
    if opening is None:
        raise InputError.of(N_("{field}: the send window opens only after the expiry"), field="expires_at")
    not_before, not_after = opening
    priority = priority or (7 if renderer.category == "marketing" else 5)
    paced = config["services.campaign_pace"]
    parts = [part_count(t) for _, t in rendered]
    today = _pace(config, renderer.category, parts, now, expires_at)["today"] if paced else len(rendered)
    with write_transaction():
        campaign = Campaign.create(name=name, kind=kind, category=renderer.category,
                                   template_key=template_key or "", text=text or "", group=group,
                                   question=question, created_by=created_by, department=department,
                                   created_at=now, queued=today + len(mailed), skipped=skipped,
                                   channel=channel, window=window or "", expires_at=expires_at,
                                   priority=priority, source=source)
        queue_many([{"to_number": r.number, "text": t, "category": renderer.category,
                     "priority": priority, "not_before": not_before, "not_after": not_after,
                     "customer": r.customer_id, "staff": r.staff_id, "source": source,
                     "created_by": created_by, "department": department, "campaign_id": campaign.id,
                     **({"dedupe_key": campaign_pacing.dedupe_key(campaign.id, seq)} if paced else {})}
                    for seq, (r, t) in enumerate(rendered[:today])], config=config)
        if today < len(rendered):
            campaign_pacing.hold_rest(campaign, [(r, t, p) for (r, t), p in zip(rendered[today:], parts[today:])],
                                      today, now)
        if mailed:
            composer = Composer(config, template_key, text=text, category=category, subject=name if text else None)
            mail_outbox.queue_many([mail_outbox.row(
                customer.email, composer.compose({**r.variables, **(extra or {})}, r.language),
                category=renderer.category, kind=template_key or "", language=r.language, not_before=not_before,
                not_after=not_after, customer=customer, campaign_id=campaign.id, source=source,
                created_by=created_by, priority=priority) for r, customer in mailed])
    return campaign


def check_channel(channel):
    if channel not in CAMPAIGN_CHANNELS:
        raise InputError.of(N_("{field}: must be sms, email or preference"), field="channel")
    return channel


def send_to_group(config, name, group_name, **kwargs):
    group = groups.get_group(group_name)
    return send(config, name, groups.recipients(group, with_email=kwargs.get("channel", "sms") != "sms"),
                group=group, **kwargs)


def listing(limit=100):
    return [{"id": c.id, "name": c.name, "kind": c.kind, "category": c.category,
             "template": c.template_key, "group": c.group.name if c.group_id else "",
             "queued": c.queued, "skipped": c.skipped, "created_by": c.created_by,
             "department": c.department, "created_at": c.created_at, "channel": c.channel,
             "pending": c.pending, "unsent": c.unsent}
            for c in Campaign.select().order_by(Campaign.id.desc()).limit(limit)]


HELD = datetime.datetime(9999, 1, 1)  # a paused campaign's messages: never due


def get(campaign_id):
    campaign = Campaign.get_or_none(Campaign.id == campaign_id)
    if campaign is None:
        raise NotFound.of(N_("{field}: no campaign {campaign_id}"), field="campaign", campaign_id=campaign_id)
    return campaign


def _waiting(campaign_id):
    """The campaign's messages no modem has touched: queued, every part still queued."""
    started = MessagePart.select().where(MessagePart.message == Message.id, MessagePart.state != "queued")
    return (Message.campaign_id == campaign_id) & (Message.state == "queued") & ~fn.EXISTS(started)


def pause(campaign_id):
    """Hold the campaign's waiting messages (and stop its daily shares); returns how many were held."""
    with write_transaction():
        campaign = get(campaign_id)
        shares = campaign.pending if campaign.next_share_on != campaign_pacing.PAUSED else 0
        Campaign.update(next_share_on=campaign_pacing.PAUSED, share_left=0).where(
            Campaign.id == campaign_id, Campaign.pending > 0).execute()
        mails = MailMessage.update(not_before=HELD, not_after=None).where(
            _mails_waiting(campaign_id), MailMessage.not_before.is_null() | (MailMessage.not_before != HELD)).execute()
        return shares + mails + Message.update(not_before=HELD, not_after=None).where(
            _waiting(campaign_id), (Message.not_before.is_null()) | (Message.not_before != HELD)).execute()


def _mails_waiting(campaign_id):
    """The campaign's mails the mailer has not claimed (the mailer claims one at a time)."""
    return (MailMessage.campaign_id == campaign_id) & (MailMessage.state == "queued")


def resume(config, campaign_id, now=None):
    """Release the held messages in the campaign's send window; returns how many."""
    now = now or clock.now()
    with write_transaction():
        campaign = get(campaign_id)
        shares = campaign.pending if campaign.next_share_on == campaign_pacing.PAUSED else 0
        Campaign.update(next_share_on=clock.today(now)).where(  # today's share, if there is room
            Campaign.id == campaign_id, Campaign.next_share_on == campaign_pacing.PAUSED).execute()
        not_before, not_after = next_opening(now, window_for(campaign.category, config))
        mails = MailMessage.update(not_before=not_before, not_after=not_after).where(
            _mails_waiting(campaign_id), MailMessage.not_before == HELD).execute()
        return shares + mails + Message.update(not_before=not_before, not_after=not_after).where(
            _waiting(campaign_id), Message.not_before == HELD).execute()


def cancel(campaign_id, actor="system", now=None):
    """Withdraw every waiting message of the campaign (held ones and those not queued yet too);
    returns how many."""
    now = now or clock.now()
    with write_transaction():
        get(campaign_id)
        pending = CampaignPending.delete().where(CampaignPending.campaign == campaign_id).execute()
        Campaign.update(pending=0, share_left=0).where(Campaign.id == campaign_id).execute()
        ids = [i for (i,) in Message.select(Message.id).where(_waiting(campaign_id)).tuples()]
        for start in range(0, len(ids), 500):  # bound the IN list
            chunk = ids[start:start + 500]
            MessagePart.update(state="cancelled", status_at=now).where(MessagePart.message.in_(chunk)).execute()
            Message.update(state="cancelled", final_at=now, updated_at=now,
                           failure_reason=f"cancelled by {actor}").where(Message.id.in_(chunk)).execute()
        mails = MailMessage.update(state="cancelled", updated_at=now, failure_reason=f"cancelled by {actor}").where(
            _mails_waiting(campaign_id)).execute()
    return len(ids) + mails + pending


def waiting_counts(campaign_ids):
    """{campaign id: {"waiting": n, "held": n}}: what pause, resume and cancel would act on
    (a paced campaign's messages not queued yet among them)."""
    out = {i: {"waiting": 0, "held": 0} for i in campaign_ids}
    if not out:
        return out
    held = fn.COALESCE(Message.not_before == HELD, False)
    query = (Message.select(Message.campaign_id, held, fn.COUNT(Message.id))
             .where(Message.campaign_id.in_(list(out)), Message.state == "queued",
                    ~fn.EXISTS(MessagePart.select().where(MessagePart.message == Message.id,
                                                          MessagePart.state != "queued")))
             .group_by(Message.campaign_id, held))
    for campaign_id, is_held, count in query.tuples():
        out[campaign_id]["held" if is_held else "waiting"] += count
    mail_held = fn.COALESCE(MailMessage.not_before == HELD, False)
    for campaign_id, is_held, count in (MailMessage.select(MailMessage.campaign_id, mail_held, fn.COUNT(MailMessage.id))
                                        .where(MailMessage.campaign_id.in_(list(out)), MailMessage.state == "queued")
                                        .group_by(MailMessage.campaign_id, mail_held).tuples()):
        out[campaign_id]["held" if is_held else "waiting"] += count
    for campaign_id, pending, next_share_on in (Campaign.select(Campaign.id, Campaign.pending, Campaign.next_share_on)
                                                .where(Campaign.id.in_(list(out)), Campaign.pending > 0).tuples()):
        out[campaign_id]["held" if next_share_on == campaign_pacing.PAUSED else "waiting"] += pending  # paced
    return out
