"""Pacing the notice run to what the SIMs can send today (setting notices.pace).

Before the run queues anything, its own dry run says what it would queue; the SMS of it are
fitted into today's capacity (appliance.sms.capacity) less the parts already queued:
service and internal notices first (payment failed, renewal due, lapse, claims…), marketing
(greetings and care) after them and only into the marketing window's capacity, in the run's
order within a class. Conservative: service parts are counted against the window too. Mail
costs no SMS parts and always goes. What does not fit is not queued; it is counted and
reported (held()) before anything is queued. A rule that catches up after downtime (renewal
reminders, payments and claims of the last notices.catch_up_days) wants it again the next
day; a birthday greeting held is not sent late.
"""
from appliance.services.templates import Renderer
from appliance.sms import capacity
from appliance.sms.text import part_count

FIRST = ("service", "internal")


def budget(config, now):
    """(parts for any notice, parts for marketing) left today."""
    report = capacity.outlook(config, now, days=1)
    today = report["days"][0]
    return max(0, today["day"] - report["queued"]), max(0, today["window"] - report["queued"])


def fit(config, planned, day_parts, window_parts):
    """(keys that go, held summary) for the dry run's `planned` notices."""
    categories, allowed, used = {}, set(), 0
    held = {"notices": 0, "parts": 0, "service": 0, "marketing": 0}
    sms = [n for n in planned if n.get("channel", "sms") == "sms"]
    allowed.update(n["key"] for n in planned if n.get("channel", "sms") != "sms")
    for n in sms:
        if n["type"] not in categories:
            categories[n["type"]] = Renderer(n["type"], config).category
    for first in (True, False):
        for n in sms:
            if (categories[n["type"]] in FIRST) != first:
                continue
            parts = part_count(n["text"])
            limit = day_parts if first else min(day_parts, window_parts)
            if used + parts <= limit:
                used += parts
                allowed.add(n["key"])
            else:
                held["notices"] += 1
                held["parts"] += parts
                held["service" if first else "marketing"] += 1
    return allowed, held
