"""The inbox (a conversation per sender, reply, forward, mark handled, delete after
asking) and the message history. Their CSV exports are in web/pages/message_csv.py.

A message that opened a ticket links to it: inbound routing records the ticket's number
(InboundRoute action 'ticket'), found by the number's index, one query per page.
"""
import bottle
from peewee import JOIN

from appliance import phones
from appliance.errors import InputError, NotFound
from appliance.listings import Page
from appliance.models import Customer
from appliance.services.models import InboundRoute
from appliance.sms import history, inbox, inbox_actions
from appliance.sms.models import (
    CATEGORIES,
    MESSAGE_STATES,
    InboundMessage,
    Message,
    MessagePart,
)
from appliance.tickets.models import Ticket
from web.pages import N_, page, page_url
from web.pages.confirm import ask_first
from web.pages.customers import ticket_href

CONVERSATION_LIMIT = 50  # the latest messages each way on a conversation's page
# What queued a message nobody typed (Message.source), in the page's language.
SOURCE_LABELS = {"cli": N_("Command line"), "web": N_("Admin page"), "api": N_("Core system (API)"),
                 "ivr": N_("Phone menu (IVR)"), "tickets": N_("Tickets"), "inbox": N_("Inbox"),
                 "schedule": N_("Scheduled send"), "notices": N_("Automatic notice"),
                 "notice": N_("Automatic notice"), "campaign": N_("Bulk send campaign"),
                 "autoreply": N_("Automatic reply"), "demo": N_("Demo"), "bench": N_("Benchmark")}
AUTOMATIC_ACTORS = ("", "system", "autoreply")  # created_by values that name no person or token


def made_by(ctx, source, created_by):
    """Who queued a message: the person or API token, else what did, never a raw code."""
    if created_by not in AUTOMATIC_ACTORS:
        return created_by
    return ctx._(SOURCE_LABELS.get((source or "").split(":")[0], N_("The box itself")))

INBOX_VIEWS = ("new", "handled", "all")


def inbound_or_404(message_id):
    message = InboundMessage.get_or_none((InboundMessage.id == message_id) & (InboundMessage.state != "deleted"))
    if message is None:
        raise NotFound.of(N_("{field}: no inbound message {message_id}"), field="message", message_id=message_id)
    return message


def customer_names(ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(Customer.select(Customer.id, Customer.name).where(Customer.id.in_(ids)).tuples())


def opened_tickets(routes):
    """{inbound message id: the Ticket it opened} from (message id, route) pairs."""
    numbers = {r.detail: message_id for message_id, r in routes if r is not None and r.action == "ticket" and r.detail}
    if not numbers:
        return {}
    found = Ticket.select(Ticket.id, Ticket.number).where(Ticket.number.in_(list(numbers)))
    return {numbers[t.number]: t for t in found}


@page("/inbox", "inbox", nav=("Inbox", 30))
def inbox_page(ctx):
    view = ctx.query("view") or "new"
    if view not in INBOX_VIEWS:
        raise InputError.of(N_("{field}: unknown"), field="view")
    listed = inbox.listing(state=view, before=ctx.query_int("before"))
    rows = [inbox.as_dict(m, mask=ctx.masks("mobile")) for m in listed.rows]
    tickets = opened_tickets((m.id, getattr(m, "route", None)) for m in listed.rows)
    return ctx.render("inbox", title=ctx._("Inbox"), rows=rows, view=view, views=INBOX_VIEWS,
                      names=customer_names(r["customer_id"] for r in rows), tickets=tickets, ticket_href=ticket_href,
                      csv_url=page_url("/inbox.csv", view=view),
                      next_url=page_url("/inbox", view=view, before=listed.next_before) if listed.next_before else None)


@page("/inbox/{message_id:int}", "inbox")
def inbox_message(ctx, message_id):
    """The message in its conversation: the sender's messages and our replies, in order."""
    message = inbound_or_404(message_id)
    customer = Customer.get_or_none(Customer.id == message.customer_id) if message.customer_id else None
    entries = conversation(message.from_number)
    tickets = opened_tickets((m.id, m.route) for direction, _, m in entries if direction == "in")
    return ctx.render("inbox_message", title=ctx._("Conversation"), m=message, customer=customer,
                      entries=entries, tickets=tickets, ticket_href=ticket_href,
                      made_by=lambda m: made_by(ctx, m.source, m.created_by))


def conversation(number, limit=CONVERSATION_LIMIT):
    """[(direction 'in' or 'out', instant, message)] oldest first: the latest `limit`
    messages from `number` (not deleted) and to it, merged by time."""
    theirs = (InboundMessage.select(InboundMessage, InboundRoute)
              .join(InboundRoute, JOIN.LEFT_OUTER, on=(InboundRoute.inbound == InboundMessage.id), attr="route")
              .where(InboundMessage.from_number == number, InboundMessage.state != "deleted")
              .order_by(InboundMessage.id.desc()).limit(limit))
    ours = Message.select().where(Message.to_number == number).order_by(Message.id.desc()).limit(limit)
    entries = [("in", m.received_at, m) for m in theirs] + [("out", m.created_at, m) for m in ours]
    # A reply is made after the message it answers: at the same instant, theirs first.
    entries.sort(key=lambda e: (e[1], e[0] == "out", e[2].id))
    return entries[-limit:]


# The actions themselves (queue + state change + audit in one transaction) are the
# domain's: appliance.sms.inbox_actions, shared with the API.

@page("/inbox/{message_id:int}/reply", "inbox", method="POST")
def inbox_reply(ctx, message_id):
    inbound_or_404(message_id)
    inbox_actions.reply(message_id, bottle.request.forms.getunicode("text") or "", ctx.user.username, ctx.source,
                        config=ctx.config)
    ctx.redirect("/inbox", "ok", ctx._("Reply queued; the message is marked handled."))


@page("/inbox/{message_id:int}/forward", "inbox", method="POST")
def inbox_forward(ctx, message_id):
    inbound_or_404(message_id)
    to = phones.normalize(ctx.form("to"), "to")
    inbox_actions.forward(message_id, to, ctx.user.username, ctx.config, ctx.source)
    ctx.redirect(f"/inbox/{message_id}", "ok", ctx._("Forward queued."))


@page("/inbox/{message_id:int}/handled", "inbox", method="POST")
def inbox_handled(ctx, message_id):
    inbound_or_404(message_id)
    inbox_actions.set_state(message_id, "handled", ctx.user.username, ctx.source)
    ctx.redirect("/inbox", "ok", ctx._("Marked handled."))


@page("/inbox/{message_id:int}/delete", "inbox")
def inbox_delete_confirm(ctx, message_id):
    """Deleting asks first, on a page of its own (the message is shown again)."""
    return ctx.render("inbox_delete", title=ctx._("Delete this message?"), m=inbound_or_404(message_id))


@page("/inbox/{message_id:int}/delete", "inbox", method="POST")
def inbox_delete(ctx, message_id):
    inbound_or_404(message_id)
    # Kept as 'deleted', not removed: the audit trail and reports still see it.
    inbox_actions.set_state(message_id, "deleted", ctx.user.username, ctx.source)
    ctx.redirect("/inbox", "ok", ctx._("Message deleted."))


# --- history -------------------------------------------------------------------------

HISTORY_FILTERS = ("state", "to", "category", "since", "until")


@page("/history", "view", nav=("Message history", 40))
def history_page(ctx):
    filters = {k: ctx.query(k) for k in HISTORY_FILTERS}
    error = None
    try:
        listed = history.listing(**filters, before=ctx.query_int("before"))
    except InputError as exc:  # shown above the empty table, the filter form kept as typed
        listed, error = Page([]), ctx.error_text(exc)
    rows = [history.as_dict(m, mask=ctx.masks("mobile")) for m in listed.rows]
    return ctx.render("history", title=ctx._("Message history"), rows=rows, filters=filters, error=error,
                      states=MESSAGE_STATES, categories=CATEGORIES, csv_url=page_url("/history.csv", **filters),
                      made_by=lambda m: made_by(ctx, m["source"], m["created_by"]),
                      next_url=page_url("/history", **filters, before=listed.next_before)
                      if listed.next_before else None)


@page("/history/{message_id:int}", "view")
def history_message(ctx, message_id):
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise NotFound.of(N_("{field}: no message {message_id}"), field="message", message_id=message_id)
    parts = list(MessagePart.select().where(MessagePart.message == message).order_by(MessagePart.seq))
    return ctx.render("history_message", title=ctx._("Message {id}").format(id=message.id), m=message,
                      parts=parts)


@page("/history/{message_id:int}/cancel", "send", method="POST")
def history_cancel(ctx, message_id):
    from appliance.sms.outbox import cancel
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise NotFound.of(N_("{field}: no message {message_id}"), field="message", message_id=message_id)
    ask_first(ctx, ctx._("Cancel the message to {number}? It will not be sent.").format(
        number=ctx.mobile(message.to_number)), ctx._("Cancel sending"), f"/history/{message_id}")
    if not cancel(message_id, actor=ctx.user.username):
        ctx.redirect(f"/history/{message_id}", "error", ctx._("Only a message still waiting can be cancelled."))
    ctx.audit("sms.cancel", f"message:{message_id}")
    ctx.redirect(f"/history/{message_id}", "ok", ctx._("Message cancelled."))
