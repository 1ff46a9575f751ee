"""The date range every report takes: the box's days first..last (default the last 30 days
up to today), as instants for the queries, and its days or weeks for the charts."""
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from appliance import clock
from appliance.errors import N_, InputError

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year at a time: the queries stay short
STEPS = ("day", "week")


@dataclass
class Range:
    first: datetime.date
    last: datetime.date

    @property
    def start(self):  # instants: start <= t < end
        return clock.day_start(self.first)

    @property
    def end(self):
        return clock.day_start(self.last + datetime.timedelta(days=1))

    def days(self):
        return [self.first + datetime.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def parse_day(text, field):
    """A day given as YYYY-MM-DD (None or "" for none), else InputError naming `field`."""
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError.of(N_("{field}: must be a date YYYY-MM-DD, got {text!r}"), field=field, text=text) from None


def parse_range(first_text=None, last_text=None, now=None):
    """The Range from the texts of its first and last day; InputError naming `from` or `to`."""
    last = parse_day(last_text, "to") or clock.today(now)
    first = parse_day(first_text, "from") or last - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InputError.of(N_("{field}: {first} is after the last day ({last})"), field="from", first=str(first),
                            last=str(last))
    if (last - first).days >= MAX_DAYS:
        raise InputError.of(N_("{field}: at most {count} days at a time"), field="from", count=MAX_DAYS)
    return Range(first, last)


def parse_step(text):
    step = text or "day"
    if step not in STEPS:
        raise InputError.of(N_("{field}: must be day or week, got {text!r}"), field="step", text=step)
    return step


def parse_count(text, field, default, low=0, high=365):
    """A whole number of days from a form or query (default when empty), else InputError naming `field`."""
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise InputError.of(N_("{field}: must be a whole number from {low} to {high}, got {text!r}"),
                            field=field, low=low, high=high, text=str(text))
    return value


def bucket_of(day, step):
    """The label of the day or ISO week (Monday to Sunday) a box's day falls in."""
    if step == "day":
        return str(day)
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def buckets(rng, step):
    """The labels of the days or weeks of the range, in order."""
    out = []
    for day in rng.days():
        label = bucket_of(day, step)
        if not out or out[-1] != label:
            out.append(label)
    return out


def rate(part, whole):
    """part/whole as an exact Decimal fraction with 4 places (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def money(value):
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
