"""What kind of day a date is for the calling windows: a working day or a rest day.

China moves working days round its public holidays (调休): some weekdays are holidays,
some Saturdays and Sundays working days. The maintained library chinese_calendar (pip
chinesecalendar) carries the State Council's schedule for the years it was released with;
a date an admin declared (a CallingDay row) beats it, for dates the library does not know
yet or gets wrong. A year the library does not know falls back to Monday–Friday working,
Saturday–Sunday rest: said once in the log and by calendar_check() in `appliance doctor`.
"""
import datetime
import logging
from importlib.metadata import version

import chinese_calendar
from chinese_calendar import constants

from appliance import clock
from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, InputError
from appliance.models import audit
from appliance.system.checks import said
from appliance.voice.models import DAY_KINDS, CallingDay

log = logging.getLogger(__name__)

WORKDAY, RESTDAY = "workday", "restday"
KNOWN = range(min(constants.holidays).year, max(constants.holidays).year + 1)
_warned = set()  # years the fallback was logged for


def library_kind(day):
    """WORKDAY or RESTDAY as the library has it; None for a year it does not know."""
    try:
        return WORKDAY if chinese_calendar.is_workday(day) else RESTDAY
    except NotImplementedError:
        return None


def kinds(first, last):
    """(date, WORKDAY | RESTDAY) for the days first..last inclusive, lazily (one query for
    the overrides), so a search that stops early warns of no year it did not reach."""
    overrides = {row.day: row.kind for row in
                 CallingDay.select(CallingDay.day, CallingDay.kind).where(CallingDay.day.between(first, last))}
    day = first
    while day <= last:
        if day in overrides:
            yield day, WORKDAY if overrides[day] == "workday" else RESTDAY
        else:
            yield day, library_kind(day) or _fallback(day)
        day += datetime.timedelta(days=1)


def kind(day):
    return next(kinds(day, day))[1]


def _fallback(day):
    if day.year not in _warned:
        _warned.add(day.year)
        log.warning("holiday calendar: chinesecalendar %s knows %s-%s, not %s: Monday-Friday count as working "
                    "days there (declare holidays and adjusted working days with `appliance voice days add`)",
                    version("chinesecalendar"), KNOWN.start, KNOWN.stop - 1, day.year)
    return WORKDAY if day.weekday() < 5 else RESTDAY


def calendar_check(today=None):
    """A doctor line (status, what, detail): does the library know this year and the next?"""
    today = today or clock.today()
    missing = [year for year in (today.year, today.year + 1) if year not in KNOWN]
    what = said(N_("holiday calendar"))
    values = {"version": version("chinesecalendar"), "first": KNOWN.start, "last": KNOWN.stop - 1}
    if not missing:
        return ("ok", what, said(N_("chinesecalendar {version} knows {first}-{last}"), **values))
    years = ", ".join(str(y) for y in missing)
    # One literal: the catalogue's extractor reads single string literals.
    unknown = N_("chinesecalendar {version} knows {first}-{last}; {years}: Monday-Friday count as working days unless declared with `appliance voice days add DATE holiday|workday` (or update chinesecalendar)")  # noqa: E501
    return ("warn", what, said(unknown, years=years, **values))


# --- the admin's overrides -------------------------------------------------------------

def parse_day(text, field="date"):
    try:
        return datetime.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError.of(N_("{field}: must be a date YYYY-MM-DD, got {text!r}"), field=field, text=text) from None


@retry_writes
def declare(day, kind, note="", actor="", source=""):
    """Declare date `day` (text or date) a holiday or a working day; replaces an earlier declaration."""
    day = day if isinstance(day, datetime.date) else parse_day(day)
    if kind not in DAY_KINDS:
        raise InputError.of(N_("{field}: must be workday or holiday, got {kind!r}"), field="kind", kind=kind)
    with write_transaction():
        CallingDay.delete().where(CallingDay.day == day).execute()
        row = CallingDay.create(day=day, kind=kind, note=note or "", created_by=actor)
        audit(actor or "system", "voice.day.declare", day.isoformat(), f"{kind} {note or ''}".strip(), source)
    return row


@retry_writes
def undeclare(day, actor="", source=""):
    """Remove the declaration of `day`: the library decides again. InputError if there is none."""
    day = day if isinstance(day, datetime.date) else parse_day(day)
    with write_transaction():
        if not CallingDay.delete().where(CallingDay.day == day).execute():
            raise InputError.of(N_("{field}: {day} is not declared"), field="date", day=day.isoformat())
        audit(actor or "system", "voice.day.remove", day.isoformat(), "", source)


def declared(since=None):
    """The declarations from `since` on (every one without it), by date."""
    query = CallingDay.select().order_by(CallingDay.day)
    if since is not None:
        query = query.where(CallingDay.day >= since)
    return list(query)
