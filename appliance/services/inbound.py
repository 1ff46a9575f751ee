"""What happens to each inbound SMS: opt-out, a survey answer, an auto-reply
keyword, a subscription change, or else a ticket acknowledged by SMS.

route_inbound(message) handles one InboundMessage exactly once: the InboundRoute
row, the effect (opt-out, answer, ticket…) and the queued reply are committed in
one transaction, so a crash either leaves the message unrouted (it is routed
again on the next pass) or fully handled, never half. route_pending() routes
every message not routed yet; the smsd inbound path may call route_inbound()
right after storing a message, and the services daemon's pass catches anything
missed.
"""
import datetime
import logging

from appliance import clock, phonebook, phones
from appliance.db import Busy, retrying, write_transaction
from appliance.privacy import mask_mobile
from appliance.services import autoreply, optout, subscriptions, surveys
from appliance.services.models import InboundRoute, Topic
from appliance.services.templates import Renderer, word
from appliance.sms.models import InboundMessage
from appliance.sms.outbox import queue_message
from appliance.tickets import status_query

log = logging.getLogger(__name__)
BACKLOG_DAYS = 7  # older unrouted messages (e.g. restored from a backup) are left for staff


def route_inbound(message, config, now=None):
    """Handle one inbound message (once); returns its InboundRoute."""
    now = now or clock.now()
    with write_transaction():
        done = InboundRoute.get_or_none(InboundRoute.inbound == message.id)
        if done is not None:
            return done
        if message.state == "deleted":
            return InboundRoute.create(inbound=message, action="ignored", detail="deleted", routed_at=now)
        action, detail, reply = decide(message, config, now)
        reply_id = None
        if reply is not None and not _answerable(message.from_number):
            detail, reply = f"{detail} (no reply: {message.from_number} is not a mobile)", None
        if reply is not None:
            key, variables, language = reply
            text = Renderer(key, config).render(variables, language)
            reply_id = queue_message(message.from_number, text, category="service", priority=2,
                                     customer=message.customer_id, staff=message.staff_id,
                                     source="autoreply", created_by="autoreply", config=config).id
        if action not in ("ticket",):
            InboundMessage.update(state="handled", handled_by="autoreply", handled_at=now).where(
                InboundMessage.id == message.id, InboundMessage.state == "new").execute()
        route = InboundRoute.create(inbound=message, action=action, detail=detail, reply_id=reply_id,
                                    routed_at=now)
    log.info("inbound %s from %s: %s %s", message.id, mask_mobile(message.from_number), action, detail)
    return route


def decide(message, config, now):
    """(action, detail, reply) for one message; reply is (template, variables, language) or None.
    Runs inside route_inbound's transaction, so its effects commit with the route."""
    number = message.from_number
    language = _language_of(number)
    matched = autoreply.match(message.text)
    if matched and matched[1] == "optout":
        optout.add(number, "optout", reason=f"SMS {matched[0]}", source="sms")
        return "optout", matched[0], ("reply_optout", {}, language)

    score = surveys.parse_score(message.text)
    if score is not None:
        campaign = surveys.open_survey_for(number, now, config["services.survey_days"])
        if campaign is not None:
            surveys.record(campaign, number, score, message, now)
            return "survey", f"campaign {campaign.id}: {score}", ("reply_survey_thanks", {"score": score}, language)

    if matched:
        keyword, action, template_key, argument = matched
        if action in ("subscribe", "unsubscribe"):
            return _subscription(action, argument, number, language)
        if action == "reply":
            return "reply", keyword, (template_key, _names(number), language)
        if action == "ticket_status":
            return _ticket_status(number, argument, language, config, now)
        key, variables, language = autoreply.answer_query(config, action, number, now)
        return action, keyword, (key, variables, language)

    return _ticket(message, config, language)


def _subscription(action, argument, number, language):
    topic = subscriptions.find_topic(argument)
    if topic is None:
        codes = "，".join(f"{t.code}({t.name})" for t in Topic.select().order_by(Topic.code))
        return action, f"unknown topic {argument!r}", ("reply_unknown_topic", {"topics": codes or "-"}, language)
    if action == "subscribe":
        subscriptions.subscribe(topic, number, source="sms")
        key = "reply_subscribed"
    else:
        subscriptions.unsubscribe(topic, number)
        key = "reply_unsubscribed"
    return action, topic.code, (key, {"topic": topic.name, "code": topic.code}, language)


def _ticket_status(number, keyed, language, config, now):
    """GD + number: that ticket's state, if it is the sender's; GD alone: their latest."""
    if not keyed:
        found = status_query.tickets_of(number)
        language = _ticket_language(found[0] if found else None, language)
        return "ticket_status", "list", (*status_query.sms_list(found, word, language), language)
    answer = status_query.ask(number, keyed, "sms", tries_per_day=config["tickets.query_tries_per_day"], now=now)
    detail = "limited" if answer.limited else answer.ticket.number if answer.ticket else f"no ticket {keyed}"
    language = _ticket_language(answer.ticket, language)
    return "ticket_status", detail, (*status_query.sms_reply(answer, word, language), language)


def _ticket_language(ticket, language):
    return ticket.customer.language if ticket is not None and ticket.customer_id else language


def _ticket(message, config, language):
    from appliance.ivr.tickets import (
        open_ticket,  # tickets belong to the IVR side's module; imported when needed
    )
    customer = message.customer or phonebook.customer_by_number(message.from_number)
    staff = message.staff or phonebook.staff_by_number(message.from_number)
    ticket = open_ticket("complaint", "sms", number=message.from_number, customer=customer, staff=staff,
                         text=message.text, message_id=message.id, config=config, now=message.received_at)
    return "ticket", ticket.number, ("reply_ticket", {"ticket_no": ticket.number}, language)


def _answerable(number):
    """Replies go only to mobiles: never to a carrier's short code or a sender name (no loops)."""
    try:
        return phones.is_mobile(phones.normalize(number, "from_number"))
    except Exception:
        return False


def _language_of(number):
    customer = phonebook.customer_by_number(number)
    return customer.language if customer else "zh"


def _names(number):
    customer = phonebook.customer_by_number(number)
    if customer:
        return {"name": customer.name, "salutation": customer.salutation}
    return {"name": "", "salutation": word("generic", "customer", "zh")}


def route_pending(config, now=None, limit=200):
    """Route every inbound message not routed yet (oldest first); returns how many.
    One bad message is logged and skipped; the others still go."""
    now = now or clock.now()
    since = now - datetime.timedelta(days=BACKLOG_DAYS)
    pending = (InboundMessage.select()
               .where(InboundMessage.id.not_in(InboundRoute.select(InboundRoute.inbound)),
                      InboundMessage.received_at >= since)
               .order_by(InboundMessage.id).limit(limit))
    count = 0
    for message in list(pending):  # read first: no statement left open across the writes
        try:
            retrying(route_inbound, message, config, now)
            count += 1
        except Busy:
            # Another daemon held the write lock through every retry: not this
            # message's fault; it is routed on the next pass.
            log.warning("inbound %s: the database stayed busy; routed on the next pass", message.id)
            break
        except Exception as exc:
            # Recorded, so one message that cannot be routed is not retried forever;
            # it stays `new` in the inbox for staff.
            log.exception("inbound %s: routing failed", message.id)
            InboundRoute.get_or_create(inbound=message, defaults={
                "action": "error", "detail": f"{type(exc).__name__}: {exc}"[:500], "routed_at": now})
    return count
