"""SMS campaigns: the list with progress bars (from the domain's campaign report)
and each campaign's pause, resume and cancel (cancel asks first). A new bulk send
starts on the send page (web/pages/send.py), which confirms before queuing."""
from peewee import Case, fn

from appliance.db import write_transaction
from appliance.errors import NotFound
from appliance.mail.models import MailMessage
from appliance.services import campaigns
from appliance.services.models import Campaign
from appliance.sms import billing
from web.pages import N_, keyset_page, page, page_url
from web.pages.send import CHANNEL_LABELS

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


def control_state(counts):
    """What a campaign's waiting messages say: paused, sending (some still waiting) or ''."""
    return "paused" if counts["held"] else "sending" if counts["waiting"] else ""


STATE_LABELS = {"paused": N_("Paused"), "sending": N_("Sending")}
ACTIONS = {"pause": N_("Pause"), "resume": N_("Resume")}


def mail_counts(campaign_ids):
    """{campaign id: (mails accepted by the relay, mails in all)} of the campaigns that mailed."""
    out = {}
    if not campaign_ids:
        return out
    sent = fn.SUM(Case(None, [(MailMessage.state == "sent", 1)], 0))
    query = (MailMessage.select(MailMessage.campaign_id, sent, fn.COUNT(MailMessage.id))
             .where(MailMessage.campaign_id.in_(campaign_ids)).group_by(MailMessage.campaign_id))
    for campaign_id, done, total in query.tuples():
        out[campaign_id] = (int(done or 0), total)
    return out


@page("/campaigns", "view", nav=("Campaigns", 25))
def campaigns_page(ctx):
    rows, next_before = keyset_page(Campaign.select(), Campaign.id, ctx.query_int("before"))
    reports = {r["campaign_id"]: r for r in billing.campaign_report([c.id for c in rows])} if rows else {}
    bars = {c.id: progress(c, reports.get(c.id)) for c in rows}
    counts = campaigns.waiting_counts([c.id for c in rows])
    return ctx.render("campaigns", title=ctx._("Campaigns"), rows=rows, bars=bars, counts=counts,
                      states={i: control_state(n) for i, n in counts.items()}, state_labels=STATE_LABELS,
                      mails=mail_counts([c.id for c in rows]), channel_labels=CHANNEL_LABELS,
                      next_url=page_url("/campaigns", before=next_before) if next_before else None)


@page("/campaigns/{campaign_id:int}/cancel", "campaigns")
def campaign_cancel_confirm(ctx, campaign_id):
    campaign = campaigns.get(campaign_id)
    counts = campaigns.waiting_counts([campaign_id])[campaign_id]
    return ctx.render("campaign_cancel", title=ctx._("Cancel campaign"), campaign=campaign,
                      left=counts["waiting"] + counts["held"])


@page("/campaigns/{campaign_id:int}/cancel", "campaigns", method="POST")
def campaign_cancel(ctx, campaign_id):
    with write_transaction():  # the audit entry commits with the change
        withdrawn = campaigns.cancel(campaign_id, actor=ctx.user.username)
        ctx.audit("campaign.cancel", f"campaign:{campaign_id}", f"{withdrawn} message(s) withdrawn")
    ctx.redirect("/campaigns", "ok", ctx._("Campaign cancelled: {n} message(s) not sent.").format(n=withdrawn))


@page("/campaigns/{campaign_id:int}/{action}", "campaigns", method="POST")
def campaign_action(ctx, campaign_id, action):
    if action not in ACTIONS:
        raise NotFound.of(N_("{field}: no action {action}"), field="action", action=action)
    with write_transaction():  # the audit entry commits with the change
        changed = campaigns.pause(campaign_id) if action == "pause" else campaigns.resume(ctx.config, campaign_id)
        if changed:
            ctx.audit(f"campaign.{action}", f"campaign:{campaign_id}", f"{changed} message(s)")
    if not changed:
        ctx.redirect("/campaigns", "error", ctx._("Nothing to do: no message of this campaign is waiting."))
    done = N_("Paused: {n} message(s) held.") if action == "pause" else N_("Resumed: {n} message(s) will be sent.")
    ctx.redirect("/campaigns", "ok", ctx._(done).format(n=changed))
