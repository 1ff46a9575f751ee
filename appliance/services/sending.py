"""Sending one SMS from any entry point (`appliance send`, POST /api/v1/messages,
the admin page's send form): one function decides whether it may go to that
number (opt-out, do-not-disturb) and when (the marketing window), so no entry
point can skip a rule the others keep.
"""
from appliance import clock, phones
from appliance.errors import N_, InputError, Refused
from appliance.privacy import mask_mobile
from appliance.services import optout
from appliance.services.templates import Renderer
from appliance.sms.outbox import queue_message
from appliance.sms.window import next_opening, window_for


def check_allowed(number, category):
    """Refused (409, naming `to`) when `number` does not take `category` messages."""
    if not optout.allowed(number, category):
        raise Refused.of(N_("{field}: {number} does not take {category} messages (opt-out or do-not-disturb)"),
                         field="to", number=mask_mobile(number), category=category)


def send_times(config, category, now=None, not_before=None, not_after=None):
    """(not_before, not_after) for a message of `category`: a marketing message waits
    for the marketing window whatever times it was given; others keep theirs."""
    now = now or clock.now()
    window = window_for(category, config)
    if window is None:
        return not_before, not_after
    start = max(now, not_before) if not_before else now
    opening = next_opening(start, window, not_after)
    if opening is None:
        raise InputError.of(N_("{field}: ends before the {category} window opens"),
                            field="not_after", category=category)
    opens, closes = opening
    return opens or (start if start > now else None), closes


def send_one(config, to, text=None, *, template=None, variables=None, language="zh", category=None,
             priority=5, not_before=None, not_after=None, customer=None, source="", created_by="",
             department="", delivery_report=True, now=None):
    """Queue one SMS (a text, or a template with variables) after the rules:
    Refused for an opted-out or do-not-disturb number, the marketing window and
    the opt-out hint for marketing. Returns the Message."""
    if (text is None) == (template is None):
        raise InputError.of(N_("{field}: give text or template, not both"), field="text")
    renderer = Renderer(template, config, text=text, category=category)
    number = phones.normalize(to, "to")
    check_allowed(number, renderer.category)
    body = renderer.render(variables or {}, language)
    not_before, not_after = send_times(config, renderer.category, now, not_before, not_after)
    return queue_message(number, body, category=renderer.category, priority=priority, not_before=not_before,
                         not_after=not_after, customer=customer, source=source, created_by=created_by,
                         department=department, delivery_report=delivery_report, config=config)
