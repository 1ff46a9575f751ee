"""Tickets opened by SMS and the IVR: the list (with the source message or the
recording's path) and moving a ticket to in progress or closed (inbox permission;
auditors read only)."""
import bottle

from appliance.db import write_transaction
from appliance.errors import NotFound
from appliance.ivr import tickets
from appliance.tickets.models import TICKET_STATUSES, Ticket
from web.pages import N_, page, page_url

KIND_LABELS = {"complaint": N_("complaint"), "callback": N_("callback request"),
               "phone-application": N_("phone application"), "agent-report": N_("agent visit report"),
               "alert": N_("alert"), "return-visit": N_("return visit answer"),
               "mobile-change": N_("mobile number change"), "inquiry": N_("inquiry")}
STATUS_LABELS = {"new": N_("new"), "assigned": N_("assigned"), "in_progress": N_("in progress"),
                 "answered": N_("answered"), "returned": N_("returned for re-handling"), "closed": N_("closed")}


@page("/tickets", "view", nav=("Tickets", 35))
def tickets_page(ctx):
    status = ctx.query("status")
    listed = tickets.listing(status=status, before=ctx.query_int("before"))
    playable = {t.id for t in listed.rows if tickets.recording_file(ctx.config, t)}
    rows = [t.to_dict(mask=ctx.masks("mobile")) for t in listed.rows]
    return ctx.render("tickets", title=ctx._("Tickets"), rows=rows, status=status, statuses=TICKET_STATUSES,
                      playable=playable,
                      kinds=KIND_LABELS, status_labels=STATUS_LABELS,
                      next_url=page_url("/tickets", status=status, before=listed.next_before)
                      if listed.next_before else None)


@page("/tickets/{ticket_id:int}/recording.wav", "view")
def ticket_recording(ctx, ticket_id):
    """The caller's recorded message for an <audio> player (Range requests work)."""
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    path = tickets.recording_file(ctx.config, ticket) if ticket else None
    if path is None:
        raise NotFound(f"recording: ticket {ticket_id} has no recording on this box", field="ticket")
    return bottle.static_file(path.name, root=str(path.parent), mimetype="audio/wav",
                              headers={"Cache-Control": "private, no-cache"})


@page("/tickets/{ticket_id:int}", "inbox", method="POST")
def ticket_status(ctx, ticket_id):
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        raise NotFound(f"ticket: no ticket {ticket_id}", field="ticket")
    with write_transaction():
        tickets.set_status(ticket, ctx.form("status"), by=ctx.user.username,
                           resolution=ctx.form("resolution") or None)
        ctx.audit("ticket.status", f"ticket:{ticket.number}", f"{ticket.status}: {ticket.resolution[:200]}")
    ctx.redirect("/tickets", "ok", ctx._("Saved."))
