"""Calling windows: when a campaign may place calls, on the box's wall clock (clock.py).

A window is text an admin can read and write:

    workday 18:30-20:30; restday 09:00-12:00,15:00-21:00

clauses separated by ';', each a kind of day and its time ranges. Kinds: `workday` and
`restday` (days.py says which a date is: China's holidays and 调休, admin overrides
first), `daily` (both). `always` is every day, all day. A kind of day not named gets no
calls. Ranges do not cross midnight (24:00 ends a day): nobody is called at night.

The dialer asks open_at() before every claim (never only at queue time) and sleeps until
next_opening() while a campaign waits.
"""
import datetime
import functools
import re
from dataclasses import dataclass

from appliance import clock
from appliance.errors import N_, InputError
from appliance.settings import BY_NAME
from appliance.voice import days

DEFAULT = BY_NAME["voice.windows"].default  # workday 18:30-20:30; restday 09:00-12:00,15:00-21:00
ALWAYS = "always"
HORIZON_DAYS = 400  # how far next_opening looks (past a year of overrides) before saying never
RANGE = re.compile(r"^([0-2]?\d):([0-5]\d)\s*-\s*([0-2]?\d):([0-5]\d)$")


@dataclass(frozen=True)
class Window:
    workday: tuple  # ((start, end) in minutes after midnight, …), sorted
    restday: tuple

    def ranges(self, kind):
        return self.workday if kind == days.WORKDAY else self.restday


def check(text, field="window"):
    """The window text as it will be stored, or InputError naming `field`."""
    parse(text, field)
    return " ".join(text.split())


@functools.lru_cache(maxsize=256)
def parse(text, field="window"):
    """A Window from its text; InputError naming `field` with what is wrong."""
    text = " ".join((text or "").replace("；", ";").split())
    if not text:
        raise InputError.of(N_("{field}: empty; write e.g. {example!r} or {always!r}"), field=field,
                            example=DEFAULT, always=ALWAYS)
    if text.lower() == ALWAYS:
        return Window(((0, 1440),), ((0, 1440),))
    found = {days.WORKDAY: [], days.RESTDAY: []}
    for clause in filter(None, (c.strip() for c in text.split(";"))):
        kind, _, rest = clause.partition(" ")
        targets = {"workday": [days.WORKDAY], "restday": [days.RESTDAY],
                   "daily": [days.WORKDAY, days.RESTDAY]}.get(kind.lower())
        if targets is None:
            raise InputError.of(N_("{field}: {kind!r} is not workday, restday or daily (in {clause!r})"), field=field,
                                kind=kind, clause=clause)
        spans = [_span(part.strip(), field) for part in rest.split(",")]
        for target in targets:
            found[target].extend(spans)
    for spans in found.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:]):
            if start < end:
                raise InputError.of(N_("{field}: time ranges overlap in {text!r}"), field=field, text=text)
    return Window(tuple(found[days.WORKDAY]), tuple(found[days.RESTDAY]))


def _span(part, field):
    match = RANGE.match(part)
    if not match:
        raise InputError.of(N_("{field}: {part!r} is not a time range HH:MM-HH:MM"), field=field, part=part)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or h2 > 24 or end > 1440:
        raise InputError.of(N_("{field}: {part!r} is not a time of day (00:00 to 24:00)"), field=field, part=part)
    if end <= start:
        raise InputError.of(N_("{field}: {part!r} ends before it starts (ranges do not cross midnight)"), field=field,
                            part=part)
    return start, end


def _window(window):
    return window if isinstance(window, Window) else parse(window)


def open_at(window, instant):
    """May a call start at `instant` (naive UTC) under `window` (text or Window)?"""
    here = clock.local(instant)
    minute = here.hour * 60 + here.minute + (here.second + here.microsecond / 1e6) / 60
    return any(start <= minute < end for start, end in _window(window).ranges(days.kind(here.date())))


def next_opening(window, instant):
    """The first instant at or after `instant` when `window` is open; None if it does not
    open within HORIZON_DAYS (a window of workdays only, every day declared a holiday)."""
    window = _window(window)
    here = clock.local(instant)
    first = here.date()
    for day, kind in days.kinds(first, first + datetime.timedelta(days=HORIZON_DAYS)):
        midnight = datetime.datetime.combine(day, datetime.time())
        for start, end in window.ranges(kind):
            if midnight + datetime.timedelta(minutes=end) > here:
                return clock.instant(max(midnight + datetime.timedelta(minutes=start), here))
    return None
