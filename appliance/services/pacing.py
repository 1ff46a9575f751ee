"""Pacing the notice run to what the box can send (setting notices.pace): the arithmetic.

The run plans its service notices first (bounded: about 93,000 on a book of a million) and
fits them into today's capacity (appliance.sms.capacity: the SIMs and the SMPP account,
less the parts already queued for today): service and internal notices first in the run's
order, then any other marketing notice only into the marketing window. Service parts are
counted against the window too (conservative). Mail costs no SMS parts and always goes.

Greetings (appliance/services/greetings.py) get what is left of the marketing window. Each
target (a festival, a day's birthdays) of the next notices.greeting_lead_days days gets its
share, nearest date first (shares()): at least ceil(left / days left, today included), at
least what the later days cannot take (their window capacity less a service load like
today's), never more than today has free. On the date itself that is all that is left;
what still does not fit is reported as not sent, never queued for a later day. Counting is
cheap: the run reads and renders only the greetings it queues today.

Both the run and the forecast (appliance/services/forecast.py) call these functions, so
the forecast is what the runs will do.
"""
import math

from appliance.sms import capacity
from appliance.sms.text import part_count

FIRST = ("service", "internal")


def budgets(config, now, days=1, from_time=None):
    """[{date, day, window}]: the parts still free today (from `now`) and on the next days
    (whole, or from `from_time` of each day: the forecast's run time), for any notice (day)
    and within the marketing window (window), less what is queued for that day."""
    report = capacity.outlook(config, now, days, from_time)
    out = []
    for entry in report["days"]:  # today's `queued`: due today or earlier
        out.append({"date": entry["date"], "day": max(0, entry["day"] - entry["queued"]),
                    "window": max(0, entry["window"] - entry["queued"])})
    return out


class Fit:
    """Service (and other non-greeting) SMS fitted into a day: add() each in the run's
    order, service class before marketing; what does not fit is counted in `held`."""

    def __init__(self, day_parts, window_parts):
        self.day, self.window, self.used = day_parts, window_parts, 0
        self.held = {"notices": 0, "parts": 0, "service": 0, "marketing": 0}

    def add(self, category, parts):
        first = category in FIRST
        limit = self.day if first else min(self.day, self.window)
        if self.used + parts <= limit:
            self.used += parts
            return True
        self.held["notices"] += 1
        self.held["parts"] += parts
        self.held["service" if first else "marketing"] += 1
        return False

    def window_left(self):
        return max(0, min(self.day, self.window) - self.used)


def fit_rows(rows, day_parts, window_parts):
    """Fit planned SMS rows (dicts with category and parts), service first; returns the
    Fit, each row's `go` set."""
    fit = Fit(day_parts, window_parts)
    for first in (True, False):
        for row in rows:
            if (row["category"] in FIRST) == first:
                row["go"] = fit.add(row["category"], row["parts"])
    return fit


def later_free(days, service_parts):
    """Parts the later days' marketing windows can give greetings: their capacity less a
    service load like today's (the estimate the issue asks for)."""
    return [max(0, min(d["day"], d["window"]) - service_parts) for d in days]


def shares(targets, today, free, later):
    """Set each target's share (greetings to queue today), nearest date first; returns the
    parts left today. `later[i]`: parts free for greetings on today + i + 1 (consumed
    here by what the nearer targets leave for those days)."""
    later = list(later)
    for target in sorted(targets, key=lambda t: t.date):
        days_after = (target.date - today).days  # later days before the date, the date included
        left = target.remaining
        if not left:
            target.share = 0
            continue
        they_take = sum(later[:days_after])
        must = max(math.ceil(left / (days_after + 1)), left - target.most_within(they_take))
        target.share = min(left, must, target.most_within(free))
        free -= target.parts(target.share)
        rest = target.parts(left) - target.parts(target.share)
        for i in range(min(days_after, len(later))):  # the later days keep room for the rest
            take = min(rest, later[i])
            later[i] -= take
            rest -= take
    return free


def parts_bound(renderer, language, variables):
    """Most parts a greeting of `renderer` takes in `language` with the longest values."""
    return part_count(renderer.render(variables, language))
