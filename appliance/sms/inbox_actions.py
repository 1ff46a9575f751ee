"""What staff do with an inbound SMS: reply, forward, delete (kept, marked
deleted), mark handled. Each is audited; replies and forwards are queued in
the same transaction as the state change."""

from appliance import clock
from appliance.config import Config
from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.models import audit
from appliance.privacy import mask_mobile
from appliance.services.templates import Renderer, word
from appliance.sms.models import InboundMessage
from appliance.sms.outbox import queue_message


def _get(inbound_id):
    message = InboundMessage.get_or_none(InboundMessage.id == inbound_id)
    if message is None:
        raise NotFound.of(N_("{field}: no inbound message {inbound_id}"), field="inbound", inbound_id=inbound_id)
    return message


def _mark(message, state, user, now):
    InboundMessage.update(state=state, handled_by=user, handled_at=now).where(
        InboundMessage.id == message.id).execute()


def reply(inbound_id, text, user, source="", now=None, config=None):
    """Answer the sender (a service message, by the bearer the routing rules give `config`);
    the inbound message becomes handled."""
    now = now or clock.now()
    if not (text or "").strip():
        raise InputError.of(N_("{field}: empty"), field="text")
    with write_transaction():
        message = _get(inbound_id)
        sent = queue_message(message.from_number, text, category="service", priority=3,
                             customer=message.customer_id, staff=message.staff_id, source="inbox",
                             created_by=user, config=config)
        _mark(message, "handled", user, now)
        audit(user, "inbox.reply", f"inbound:{inbound_id}", f"message:{sent.id}", source)
    return sent


def forward(inbound_id, to_number, user, config=None, source="", now=None):
    """Forward the text to a colleague (internal); the message stays as it is."""
    message = _get(inbound_id)
    sender = message.customer.name if message.customer_id else (
        message.staff.name if message.staff_id else word("generic", "customer", "zh"))
    text = Renderer("forward", config or Config()).render(
        {"sender": message.from_number, "name": sender, "text": message.text})
    with write_transaction():
        sent = queue_message(to_number, text, category="internal", priority=3, source="inbox", created_by=user,
                             config=config)
        audit(user, "inbox.forward", f"inbound:{inbound_id}", f"to {mask_mobile(sent.to_number)}", source)
    return sent


def set_state(inbound_id, state, user, source="", now=None):
    """'handled' or 'deleted' (a deleted message is kept, only marked)."""
    if state not in ("handled", "deleted", "new"):
        raise InputError.of(N_("{field}: must be handled, deleted or new, got {state!r}"), field="state", state=state)
    now = now or clock.now()
    with write_transaction():
        message = _get(inbound_id)
        _mark(message, state, user, now)
        audit(user, f"inbox.{state}", f"inbound:{inbound_id}", source=source)
    return _get(inbound_id)
