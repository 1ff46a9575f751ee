"""The inbox: storing received SMS, reassembling long ones, knowing who sent them.

Domain side of receiving; smsd's modem workers hand decoded messages here and
delete them from the SIM only after store_inbound() has committed. Parts of a
long SMS wait in InboundPart (so reassembly survives restarts) until all have
arrived, or until the reassembly timeout, after which what arrived is kept as
an incomplete message.
"""
import datetime
import logging

from peewee import JOIN

from appliance import clock, db as dbmod, listings, phonebook, phones
from appliance.privacy import mask_mobile
from appliance.services.models import InboundRoute
from appliance.sms.models import InboundMessage, InboundPart

log = logging.getLogger(__name__)

MISSING = "…"  # stands for a part that never arrived
# The parts of one long SMS leave the sender's phone within seconds of each other:
# their SMS-centre timestamps lie within this of the message's (its first part's).
PART_SPREAD = datetime.timedelta(minutes=10)


def store_inbound(from_number, text, sent_at=None, modem="", concat=None, now=None):
    """Store one received SMS (or one part of a long one); commits before returning.

    concat: (reference, total, seq) for a part. Returns the InboundMessage when a
    whole message is stored (or was already: a SIM re-read after a crash gives the
    same message again), None when a part waits for its siblings.
    """
    now = now or clock.now()
    number = phones.as_received(from_number)
    with dbmod.write_transaction():
        if not concat or concat[1] <= 1:
            return _store_whole(number, text, sent_at, modem, 1, True, now)
        ref, total, seq = concat
        done = _assembled_with(number, ref, total, text, sent_at)
        if done is not None:
            # Read again from the SIM (a crash between the commit and AT+CMGD): the
            # part of a message already joined, not the first of a new one.
            log.info("part %d/%d from %s already in inbound SMS %s; not stored again", seq, total,
                     number, done.id)
            return done
        (InboundPart.insert(from_number=number, concat_ref=ref, total=total, seq=seq, text=text,
                            sent_at=sent_at, received_at=now, modem=modem)
         .on_conflict_ignore().execute())
        parts = list(InboundPart.select().where(InboundPart.from_number == number,
                                                InboundPart.concat_ref == ref,
                                                InboundPart.total == total).order_by(InboundPart.seq))
        if len(parts) < total:
            return None
        message = _assemble(parts, complete=True, now=now)
    return message


def _assembled_with(number, ref, total, text, sent_at):
    """The complete message a part already went into, or None. A re-read part has
    the SMS centre's timestamp and text it had; a new message re-using the
    reference (8 bits: they wrap) is either later or already has parts waiting."""
    if sent_at is None:
        return None
    waiting = InboundPart.select().where(InboundPart.from_number == number, InboundPart.concat_ref == ref,
                                         InboundPart.total == total)
    if waiting.exists():
        return None  # a message being joined now: the part belongs there (or is its duplicate)
    candidates = InboundMessage.select().where(
        InboundMessage.from_number == number, InboundMessage.part_count == total,
        InboundMessage.complete == True,  # noqa: E712 (peewee)
        InboundMessage.sent_at <= sent_at, InboundMessage.sent_at >= sent_at - PART_SPREAD)
    return next((m for m in candidates if text and text in m.text), None)


def _store_whole(number, text, sent_at, modem, part_count, complete, now):
    existing = (InboundMessage.select().where(InboundMessage.from_number == number,
                                              InboundMessage.text == text,
                                              InboundMessage.sent_at == sent_at).first()
                if sent_at is not None else None)
    if existing is not None:
        return existing
    customer, staff = phonebook.who(number)
    message = InboundMessage.create(from_number=number, text=text, sent_at=sent_at, received_at=now,
                                    modem=modem, part_count=part_count, complete=complete,
                                    customer=customer, staff=staff)
    log.info("inbound SMS %s stored (%d part(s)%s)", message.id, part_count, "" if complete else ", incomplete")
    return message


def _assemble(parts, complete, now):
    first = parts[0]
    by_seq = {p.seq: p.text for p in parts}
    text = "".join(by_seq.get(seq, MISSING) for seq in range(1, first.total + 1))
    sent_at = min((p.sent_at for p in parts if p.sent_at), default=None)
    message = _store_whole(first.from_number, text, sent_at, first.modem, first.total, complete, now)
    InboundPart.delete().where(InboundPart.id.in_([p.id for p in parts])).execute()
    return message


def flush_incomplete(timeout_seconds, now=None):
    """Keep, as incomplete messages, long SMS whose missing parts did not come
    within the timeout. Returns the messages stored."""
    now = now or clock.now()
    cutoff = now - datetime.timedelta(seconds=timeout_seconds)
    stored = []
    with dbmod.write_transaction():
        groups = {}
        for part in InboundPart.select().order_by(InboundPart.seq):
            groups.setdefault((part.from_number, part.concat_ref, part.total), []).append(part)
        for parts in groups.values():
            if min(p.received_at for p in parts) <= cutoff:
                stored.append(_assemble(parts, complete=len(parts) == parts[0].total, now=now))
    return stored


# The page's tabs; 'all' is every state but deleted (deleted messages are kept,
# for the audit trail, but out of sight). No state at all means every message.
STATE_FILTERS = ("new", "handled", "deleted", "all")


def listing(*, state=None, before=None, limit=listings.PAGE_SIZE):
    """A Page of inbound messages, newest first, with how each was handled (one
    query: the routing row is joined, not read per message)."""
    query = (InboundMessage.select(InboundMessage, InboundRoute)
             .join(InboundRoute, JOIN.LEFT_OUTER, on=(InboundRoute.inbound == InboundMessage.id), attr="route"))
    if listings.choice(state, STATE_FILTERS, "state") == "all":
        query = query.where(InboundMessage.state != "deleted")
    elif state:
        query = query.where(InboundMessage.state == state)
    return listings.keyset(query, InboundMessage.id, before, limit)


def as_dict(message, mask=True):
    """An inbound message for --json, the API and the page; the sender's number
    is masked unless `mask` is False (roles that may see mobiles, scripts on the box)."""
    route = getattr(message, "route", None)
    route = route if route is not None and route.id is not None else None
    return {"id": message.id, "from_number": mask_mobile(message.from_number) if mask else message.from_number,
            "text": message.text, "state": message.state, "sent_at": message.sent_at,
            "received_at": message.received_at, "modem": message.modem, "part_count": message.part_count,
            "complete": message.complete, "customer_id": message.customer_id, "staff_id": message.staff_id,
            "handled_by": message.handled_by, "handled_at": message.handled_at,
            "handled_as": route.action if route else None, "detail": route.detail if route else None,
            "reply_id": route.reply_id if route else None}
