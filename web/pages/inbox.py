"""The inbox (reply, forward, mark handled, delete) and the message history."""
import bottle

from appliance import phones
from appliance.errors import InputError, NotFound
from appliance.listings import Page
from appliance.models import Customer
from appliance.sms import history, inbox, inbox_actions
from appliance.sms.models import CATEGORIES, MESSAGE_STATES, InboundMessage, Message, MessagePart
from web.pages import page, page_url

INBOX_VIEWS = ("new", "handled", "all")


def inbound_or_404(message_id):
    message = InboundMessage.get_or_none((InboundMessage.id == message_id) & (InboundMessage.state != "deleted"))
    if message is None:
        raise NotFound(f"message: no inbound message {message_id}", field="message")
    return message


def customer_names(ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(Customer.select(Customer.id, Customer.name).where(Customer.id.in_(ids)).tuples())


@page("/inbox", "inbox", nav=("Inbox", 30))
def inbox_page(ctx):
    view = ctx.query("view") or "new"
    if view not in INBOX_VIEWS:
        raise InputError("view: unknown", field="view")
    listed = inbox.listing(state=view, before=ctx.query_int("before"))
    rows = [inbox.as_dict(m, mask=ctx.masks("mobile")) for m in listed.rows]
    return ctx.render("inbox", title=ctx._("Inbox"), rows=rows, view=view, views=INBOX_VIEWS,
                      names=customer_names(r["customer_id"] for r in rows),
                      next_url=page_url("/inbox", view=view, before=listed.next_before) if listed.next_before else None)


@page("/inbox/{message_id:int}", "inbox")
def inbox_message(ctx, message_id):
    message = inbound_or_404(message_id)
    customer = Customer.get_or_none(Customer.id == message.customer_id) if message.customer_id else None
    return ctx.render("inbox_message", title=ctx._("Message"), m=message, customer=customer)


# The actions themselves (queue + state change + audit in one transaction) are the
# domain's: appliance.sms.inbox_actions, shared with the API.

@page("/inbox/{message_id:int}/reply", "inbox", method="POST")
def inbox_reply(ctx, message_id):
    inbound_or_404(message_id)
    inbox_actions.reply(message_id, bottle.request.forms.getunicode("text") or "", ctx.user.username, ctx.source)
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
                      states=MESSAGE_STATES, categories=CATEGORIES,
                      next_url=page_url("/history", **filters, before=listed.next_before)
                      if listed.next_before else None)


@page("/history/{message_id:int}", "view")
def history_message(ctx, message_id):
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise NotFound(f"message: no message {message_id}", field="message")
    parts = list(MessagePart.select().where(MessagePart.message == message).order_by(MessagePart.seq))
    return ctx.render("history_message", title=ctx._("Message {id}").format(id=message.id), m=message,
                      parts=parts)


@page("/history/{message_id:int}/cancel", "send", method="POST")
def history_cancel(ctx, message_id):
    from appliance.sms.outbox import cancel
    if not cancel(message_id, actor=ctx.user.username):
        ctx.redirect(f"/history/{message_id}", "error", ctx._("Only a message still waiting can be cancelled."))
    ctx.audit("sms.cancel", f"message:{message_id}")
    ctx.redirect(f"/history/{message_id}", "ok", ctx._("Message cancelled."))
