"""The message history: the one listing of sent and queued SMS with their parts,
shared by `appliance outbox`, GET /api/v1/messages and the history page.
"""
from appliance import listings, phones
from appliance.privacy import mask_mobile
from appliance.sms.models import CATEGORIES, MESSAGE_STATES, Message, MessagePart


def listing(*, state=None, category=None, to=None, since=None, until=None, before=None,
            limit=listings.PAGE_SIZE):
    """A Page of messages, newest first, each with its parts (parts read in one
    query, not one per row). Filters as the history page offers them: `to` a
    mobile in any written form, `since`/`until` days (both included)."""
    query = Message.select()
    if listings.choice(state, MESSAGE_STATES, "state"):
        query = query.where(Message.state == state)
    if listings.choice(category, CATEGORIES, "category"):
        query = query.where(Message.category == category)
    if to:
        query = query.where(Message.to_number == phones.normalize(to, "to"))
    for condition in listings.day_range(Message.created_at, since, until):
        query = query.where(condition)
    page = listings.keyset(query, Message.id, before, limit)
    parts = {}
    for part in (MessagePart.select().where(MessagePart.message.in_([m.id for m in page.rows]))
                 .order_by(MessagePart.seq) if page.rows else []):
        parts.setdefault(part.message_id, []).append(part)
    for message in page.rows:
        message.part_rows = parts.get(message.id, [])
    return page


def as_dict(message, mask=True):
    """A message with its parts, for --json, the API and the page; the number is
    masked unless `mask` is False (roles that may see mobiles, scripts on the box)."""
    parts = getattr(message, "part_rows", None)
    if parts is None:  # one message read on its own
        parts = list(message.parts.order_by(MessagePart.seq))
    return {
        "id": message.id, "to_number": mask_mobile(message.to_number) if mask else message.to_number,
        "text": message.text, "state": message.state, "encoding": message.encoding,
        "part_count": message.part_count, "category": message.category, "priority": message.priority,
        "not_before": message.not_before, "not_after": message.not_after,
        "created_at": message.created_at, "sent_at": message.sent_at, "final_at": message.final_at,
        "failure_reason": message.failure_reason, "source": message.source,
        "created_by": message.created_by, "department": message.department,
        "campaign_id": message.campaign_id,
        "parts": [{"seq": p.seq, "state": p.state, "modem": p.modem, "box": p.claimed_by, "reference": p.reference,
                   "attempts": p.attempts, "sent_at": p.sent_at, "status_at": p.status_at,
                   "status_code": p.status_code, "error": p.error} for p in parts],
    }
