"""Bulk sends: a template to a group (or a topic's subscribers), with a preview
of the rendered text, part count and cost first.

Marketing skips opted-out and do-not-disturb numbers and waits for the
marketing window; internal notices skip do-not-disturb numbers; service
notices go to everyone. The whole campaign is queued in one transaction
(outbox.queue_many), so it is either all queued or not at all.
"""

from appliance import clock, groups
from appliance.db import write_transaction
from appliance.errors import InputError
from appliance.services import optout
from appliance.services.models import Campaign
from appliance.services.templates import Renderer
from appliance.sms import billing
from appliance.sms.outbox import queue_many
from appliance.sms.text import part_count
from appliance.sms.window import next_opening, window_for


def _renderer(config, template_key=None, text=None, category=None):
    if bool(template_key) == bool(text):
        raise InputError("template: give a template key or a text, not both", field="template")
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


def preview(config, recipients, template_key=None, text=None, category=None, extra=None, samples=3):
    """What a send would do: recipients, skipped, sample texts, parts and cost."""
    renderer = _renderer(config, template_key, text, category)
    rendered, skipped = _messages(renderer, recipients, extra)
    pairs = [(r.number, part_count(t)) for r, t in rendered]
    return {"category": renderer.category, "recipients": len(rendered), "skipped": skipped,
            "parts": sum(p for _, p in pairs), "cost": billing.estimate(config, pairs),
            "samples": [{"to": r.number, "text": t, "parts": part_count(t)} for r, t in rendered[:samples]]}


def send(config, name, recipients, *, template_key=None, text=None, category=None, kind="bulk",
         group=None, question="", extra=None, created_by="", department="", source="campaign",
         now=None, window="", expires_at=None, priority=None):
    """Queue one campaign; returns the Campaign (queued and skipped counts set)."""
    if not (name or "").strip():
        raise InputError("name: empty", field="name")
    now = now or clock.now()
    renderer = _renderer(config, template_key, text, category)
    rendered, skipped = _messages(renderer, recipients, extra)
    opening = next_opening(now, window_for(renderer.category, config, window), expires_at)
    if opening is None:
        raise InputError("expires_at: the send window opens only after the expiry", field="expires_at")
    not_before, not_after = opening
    priority = priority or (7 if renderer.category == "marketing" else 5)
    with write_transaction():
        campaign = Campaign.create(name=name, kind=kind, category=renderer.category,
                                   template_key=template_key or "", text=text or "", group=group,
                                   question=question, created_by=created_by, department=department,
                                   created_at=now, queued=len(rendered), skipped=skipped)
        queue_many([{"to_number": r.number, "text": t, "category": renderer.category,
                     "priority": priority, "not_before": not_before, "not_after": not_after,
                     "customer": r.customer_id, "staff": r.staff_id, "source": source,
                     "created_by": created_by, "department": department, "campaign_id": campaign.id}
                    for r, t in rendered])
    return campaign


def send_to_group(config, name, group_name, **kwargs):
    group = groups.get_group(group_name)
    return send(config, name, groups.recipients(group), group=group, **kwargs)


def listing(limit=100):
    return [{"id": c.id, "name": c.name, "kind": c.kind, "category": c.category,
             "template": c.template_key, "group": c.group.name if c.group_id else "",
             "queued": c.queued, "skipped": c.skipped, "created_by": c.created_by,
             "department": c.department, "created_at": c.created_at}
            for c in Campaign.select().order_by(Campaign.id.desc()).limit(limit)]
