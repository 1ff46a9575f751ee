"""Daily send windows ('08:00-21:00'): when a message may go out.

Windows are the box's wall-clock time (clock.local/instant), whatever the OS
zone; not_before/not_after are stored as instants. Marketing never goes out at night: without a window of its own it gets
services.marketing_window. A message queued outside its window waits for the
next opening (Message.not_before) and expires at the window's end
(Message.not_after), so the dispatcher never sends it late.
"""
import datetime

from appliance import clock
from appliance.errors import N_, InputError


def parse_window(text, field="window"):
    """'08:00-21:00' -> (time(8), time(21)); '' -> None. InputError naming the field."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        start, end = (datetime.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise InputError.of(N_("{field}: must be HH:MM-HH:MM, got {text!r}"), field=field, text=text) from None
    if start == end:
        raise InputError.of(N_("{field}: start and end are the same"), field=field)
    return start, end


def window_for(category, config, window=""):
    """The window that applies: the given one, else the marketing window for marketing."""
    if window:
        return parse_window(window)
    if category == "marketing":
        return parse_window(config["services.marketing_window"], "services.marketing_window")
    return None


def next_opening(now, window, expires_at=None):
    """(not_before, not_after) for a message queued at instant `now` inside `window`
    (start, end times on the box's wall clock; an end before the start spans
    midnight). Instants in and out, as stored. (None, expires_at) without a window;
    None when the next opening starts after expires_at."""
    if window is None:
        return None, expires_at
    start, end = window
    here = clock.local(now)
    for offset in (-1, 0, 1):
        day = here.date() + datetime.timedelta(days=offset)
        opens = clock.instant(datetime.datetime.combine(day, start))
        closes = clock.instant(datetime.datetime.combine(day + datetime.timedelta(days=1 if end <= start else 0),
                                                         end))
        if closes <= now:
            continue
        not_before = max(opens, now)
        if expires_at is not None:
            if not_before >= expires_at:
                return None
            closes = min(closes, expires_at)
        return (None if not_before == now else not_before), closes
    raise AssertionError("a daily window always opens within a day")
