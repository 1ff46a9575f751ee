"""Tickets on the admin page: the list with its filters, opening one (source web), a
ticket's page (its history, the recording, the SMS it came from, the customer's other
tickets, calls and messages) and its steps as forms (inbox permission; auditors read
only). Closing and returning for re-handling ask first, on a page of their own.

The domain does the work (appliance.tickets.listing, .lifecycle, appliance.ivr.tickets):
this module reads forms and puts every status, category, source and step into the
page's language.
"""
import bottle

from appliance.errors import ConfigError, InputError, NotFound
from appliance.ivr import tickets
from appliance.models import AdminUser
from appliance.phones import normalize
from appliance.tickets import handoff, lifecycle, listing
from appliance.tickets.models import (
    TICKET_KINDS,
    TICKET_SOURCES,
    TICKET_STATUSES,
    Department,
    Ticket,
    TicketHandoff,
)
from web.pages import N_, page, page_url, respond
from web.pages.reports import OUTCOME_LABELS

KIND_LABELS = {"complaint": N_("complaint"), "callback": N_("callback request"),
               "phone-application": N_("phone application"), "agent-report": N_("agent visit report"),
               "alert": N_("alert"), "return-visit": N_("return visit answer"),
               "mobile-change": N_("mobile number change"), "inquiry": N_("inquiry")}
STATUS_LABELS = {"new": N_("new"), "assigned": N_("assigned"), "in_progress": N_("in progress"),
                 "answered": N_("answered"), "returned": N_("returned for re-handling"), "closed": N_("closed")}
SOURCE_LABELS = {"ivr": N_("Phone menu (IVR)"), "sms": N_("Text message"), "web": N_("Admin page"),
                 "system": N_("The box itself"), "api": N_("Core system (API)"), "voice": N_("Outbound call"),
                 "remote": N_("Another box or head office")}
EVENT_LABELS = {"opened": N_("Opened"), "assigned": N_("Assigned"), "started": N_("Handling started"),
                "answered": N_("Answer given"), "returned": N_("Returned for re-handling"),
                "closed": N_("Closed (customer told)"), "reopened": N_("Reopened"), "escalated": N_("Escalated"),
                "noted": N_("Note"), "notified": N_("Answer sent to the customer by SMS"),
                "handed_off": N_("Handed off"),
                "remote_update": N_("Update from the other side")}
# The steps as forms: (button, lifecycle function, text needed); offered in lifecycle.FROM's statuses.
STEPS = {"assign": (N_("Assign"), "assign", False), "start": (N_("Start handling"), "start", False),
         "answer": (N_("Give the answer"), "answer", True),
         "return": (N_("Return for re-handling"), "return_for_rework", True),
         "close": (N_("Close ticket"), "close", False), "reopen": (N_("Reopen"), "reopen", True),
         "note": (N_("Add a note"), "note", True)}
CONFIRMED = ("return", "close")  # destructive: a page of their own asks first
FILTERS = ("status", "kind", "source", "department", "assignee", "overdue", "number", "since", "until")


def labels(ctx):
    """Every code the ticket pages show, in the page's language."""
    def label(code):
        for table in (STATUS_LABELS, KIND_LABELS, SOURCE_LABELS):
            if code in table:
                return ctx._(table[code])
        return code
    return label


def render_list(ctx, status=200, error=None, values=None):
    filters = {name: ctx.query(name) for name in FILTERS}
    try:
        listed = listing.listing(before=ctx.query_int("before"), **filters)
    except InputError as exc:
        error, listed = error or ctx.error_text(exc), listing.listing(limit=0)
        status = 400
    mask = ctx.masks("mobile")
    body = ctx.render("tickets", title=ctx._("Tickets"), rows=[listing.as_dict(t, mask) for t in listed.rows],
                      playable={t.id for t in listed.rows if tickets.recording_file(ctx.config, t)},
                      filters=filters, error=error, values=values or {}, statuses=TICKET_STATUSES,
                      kinds=TICKET_KINDS, sources=TICKET_SOURCES, label=labels(ctx),
                      departments=list(Department.select().order_by(Department.name)),
                      next_url=page_url("/tickets", before=listed.next_before, **filters)
                      if listed.next_before else None)
    return respond(body, status)


@page("/tickets", "view", nav=("Tickets", 35))
def tickets_page(ctx):
    return render_list(ctx)


@page("/tickets", "inbox", method="POST")
def ticket_open(ctx):
    """An admin opens a ticket for a caller (source web)."""
    values = {k: ctx.form(k) for k in ("kind", "caller", "text")}
    try:
        if values["kind"] not in TICKET_KINDS:
            raise InputError.of(N_("{field}: choose a category"), field="kind")
        caller = normalize(values["caller"], "caller")
        ticket = tickets.open_ticket(values["kind"], "web", number=caller, text=values["text"],
                                     by=ctx.user.username, config=ctx.config)
    except InputError as exc:
        return render_list(ctx, 400, ctx.error_text(exc), values)
    ctx.audit("ticket.open", f"ticket:{ticket.number}")
    ctx.redirect(f"/tickets/{ticket.id}", "ok", ctx._("Ticket {number} opened.").format(number=ticket.number))


def get(ticket_id):
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        raise NotFound.of(N_("{field}: no ticket {ticket_id}"), field="ticket", ticket_id=ticket_id)
    return ticket


@page("/tickets/{ticket_id:int}", "view")
def ticket_page(ctx, ticket_id):
    ticket = get(ticket_id)
    mask = ctx.masks("mobile")
    return ctx.render("ticket", title=ctx._("Ticket {number}").format(number=ticket.number),
                      t=listing.as_dict(ticket, mask),
                      events=[listing.event_dict(e) for e in lifecycle.history(ticket)],
                      playable=bool(tickets.recording_file(ctx.config, ticket)),
                      sms=listing.source_message(ticket), related=listing.related(ticket, mask),
                      label=labels(ctx), event_labels=EVENT_LABELS, outcomes=OUTCOME_LABELS, steps=STEPS,
                      confirmed=CONFIRMED,
                      offered=[s for s in STEPS if ticket.status in lifecycle.FROM.get(s, TICKET_STATUSES)],
                      departments=list(Department.select().order_by(Department.name)),
                      people=[u.username for u in AdminUser.select().where(~AdminUser.disabled)
                              .order_by(AdminUser.username)],
                      handoffs=list(TicketHandoff.select().where(TicketHandoff.ticket == ticket)
                                    .order_by(TicketHandoff.id)),
                      peers=handoff_peers(ctx, ticket))


def handoff_peers(ctx, ticket):
    """The peers this ticket may be handed to now (none when it is closed, came from a peer or
    is with one already: appliance.tickets.handoff refuses those too)."""
    if ticket.status == "closed" or ticket.source == "remote" or ticket.remote:
        return []
    try:
        return sorted(handoff.peers(ctx.config))
    except ConfigError:  # a malformed tickets.peers: doctor and the settings page say so
        return []


@page("/tickets/{ticket_id:int}/handoff", "inbox", method="POST")
def ticket_handoff(ctx, ticket_id):
    """Hand the ticket to a peer box: committed here first, then sent; a peer that is down
    gets it later from the services daemon (appliance.tickets.handoff.deliver)."""
    ticket = get(ticket_id)
    peer, text = ctx.form("peer"), ctx.form("text")
    try:
        if len(text) > lifecycle.TEXT_MAX:
            raise InputError.of(N_("{field}: at most {most} characters, got {count}"), field="text",
                                most=lifecycle.TEXT_MAX, count=len(text))
        row = handoff.hand_off(ctx.config, ticket, peer, by=ctx.user.username, text=text, source=ctx.source)
    except InputError as exc:  # refused, an unknown peer or bad input: said on the ticket's page
        ctx.redirect(f"/tickets/{ticket_id}", "error", ctx.error_text(exc))
    if row.delivered_at:
        said = ctx._("Handed off to {peer}; its number there is {number}.").format(peer=peer, number=row.remote_number)
    else:
        said = ctx._("Handed off to {peer}; it does not answer now, the box keeps trying.").format(peer=peer)
    ctx.redirect(f"/tickets/{ticket_id}", "ok", said)


@page("/tickets/{ticket_id:int}/recording.wav", "view")
def ticket_recording(ctx, ticket_id):
    """The caller's recorded message for an <audio> player (Range requests work)."""
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    path = tickets.recording_file(ctx.config, ticket) if ticket else None
    if path is None:
        raise NotFound.of(N_("recording: ticket {ticket_id} has no recording on this box"),
                          field="ticket", ticket_id=ticket_id)
    return bottle.static_file(path.name, root=str(path.parent), mimetype="audio/wav",
                              headers={"Cache-Control": "private, no-cache"})


@page("/tickets/{ticket_id:int}/confirm/{step}", "inbox")
def ticket_confirm(ctx, ticket_id, step):
    """Closing or returning asks first (with the reason or the closing words)."""
    if step not in CONFIRMED:
        raise NotFound.of(N_("{field}: no step {step} to confirm"), field="step", step=step)
    ticket = get(ticket_id)
    return ctx.render("ticket_confirm", title=ctx._(STEPS[step][0]), t=listing.as_dict(ticket, ctx.masks("mobile")),
                      step=step, button=STEPS[step][0], needs_text=STEPS[step][2], label=labels(ctx))


@page("/tickets/{ticket_id:int}/{step}", "inbox", method="POST")
def ticket_step(ctx, ticket_id, step):
    if step not in STEPS:
        raise NotFound.of(N_("{field}: no step {step}"), field="step", step=step)
    ticket = get(ticket_id)
    values = {"text": ctx.form("text")}
    if step == "assign":
        values.update(department=ctx.form("department"), assignee=ctx.form("assignee"))
    if step in ("answer", "reopen"):  # the answer's SMS and the due time follow the box's settings
        values["config"] = ctx.config
    try:
        getattr(lifecycle, STEPS[step][1])(ticket, by=ctx.user.username, **values)
    except InputError as exc:  # refused (409) or bad input: said on the ticket's page, nothing changed
        if exc.http_status == 404:
            raise
        ctx.redirect(f"/tickets/{ticket_id}", "error", ctx.error_text(exc))
    ctx.audit(f"ticket.{step}", f"ticket:{ticket.number}", values["text"][:200])
    ctx.redirect(f"/tickets/{ticket_id}", "ok", ctx._("Saved."))
