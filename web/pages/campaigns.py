"""Campaigns: the list with progress bars (from the domain's campaign report)
and sending a template or a text to a group."""
from appliance.models import ContactGroup
from appliance.services import campaigns, templates
from appliance.services.models import Campaign
from appliance.sms import billing
from appliance.sms.models import CATEGORIES
from web.pages import keyset_page, page, page_url

FAILED_STATES = ("failed", "expired", "unknown")


def progress(campaign, report):
    """Counts for the bar: delivered, sent (not yet delivered), failed, of the queued total."""
    states = (report or {}).get("states", {})
    total = max(campaign.queued, sum(states.values()))
    delivered = states.get("delivered", 0)
    sent = states.get("sent", 0)
    failed = sum(states.get(s, 0) for s in FAILED_STATES)
    return {"total": total, "delivered": delivered, "sent": sent + delivered, "failed": failed,
            "segments": [(kind, round(100 * n / total, 2) if total else 0)
                         for kind, n in (("delivered", delivered), ("sent", sent), ("failed", failed))]}


@page("/campaigns", "view", nav=("Campaigns", 25))
def campaigns_page(ctx):
    rows, next_before = keyset_page(Campaign.select(), Campaign.id, ctx.query_int("before"))
    reports = {r["campaign_id"]: r for r in billing.campaign_report([c.id for c in rows])} if rows else {}
    bars = {c.id: progress(c, reports.get(c.id)) for c in rows}
    return ctx.render("campaigns", title=ctx._("Campaigns"), rows=rows, bars=bars, categories=CATEGORIES,
                      groups=list(ContactGroup.select().order_by(ContactGroup.name)),
                      template_keys=sorted(t["key"] for t in templates.listing()),
                      next_url=page_url("/campaigns", before=next_before) if next_before else None)


@page("/campaigns", "campaigns", method="POST")
def campaign_send(ctx):
    template_key = ctx.form("template") or None
    campaign = campaigns.send_to_group(ctx.config, ctx.form("name"), ctx.form("group"),
                                       template_key=template_key, text=None if template_key else ctx.form("text"),
                                       category=ctx.form("category") or None, created_by=ctx.user.username,
                                       department=ctx.form("department"), source="web")
    ctx.audit("campaign.send", f"campaign:{campaign.id}", f"{campaign.queued} queued, {campaign.skipped} skipped")
    ctx.redirect("/campaigns", "ok", ctx._("Campaign queued: {queued} messages, {skipped} skipped.").format(
        queued=campaign.queued, skipped=campaign.skipped))
