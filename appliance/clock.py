"""The box's one clock: what time it is, and what time it is here.

Two kinds of time, never mixed:

- instants: naive UTC datetimes. clock.now() returns one; the database stores
  them (every DateTimeField), and expiry, stamps and comparisons with stored
  columns use them. The OS clock's zone never enters.
- wall-clock times: naive datetimes in the box's zone (config `timezone`, set
  once with set_zone()). Every rule a person states in local time (send
  windows, the marketing window, schedules and cron, notices.run_at, business
  hours, ticket numbers, report days, file names, birthdays) and every display
  uses them: local(instant) and instant(local) convert, local_now()/today() read.

Functions that depend on the time take `now=None` (an instant) and call
clock.now() when it is None; tests pass `now=` instead of patching the clock.

DST: instant() reads a wall-clock time that does not exist (skipped in spring)
as that many minutes later (02:30 on the spring-forward night is 03:30), and an
ambiguous one (repeated in autumn) as its first occurrence.

Until set_zone() is called the zone is the operating system's.
"""
import datetime
import zoneinfo

UTC = datetime.timezone.utc

_zone = None  # a ZoneInfo, or None for the operating system's zone


def set_zone(name):
    """Use the time zone NAME (e.g. 'Asia/Shanghai'); None or '' means the OS zone."""
    global _zone
    _zone = zoneinfo.ZoneInfo(name) if name else None


def zone():
    """The box's zone as a tzinfo (the OS zone, fixed at its current offset, when none is set)."""
    return _zone or datetime.datetime.now().astimezone().tzinfo


def now():
    """The current instant: naive UTC, as stored."""
    return datetime.datetime.now(UTC).replace(tzinfo=None)


_utc_now = now  # for functions whose parameter is called now


def aware(instant):
    """A naive UTC instant (or an aware datetime) as an aware datetime in the box's zone."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(_zone) if _zone is not None else instant.astimezone()


def local(instant):
    """An instant (naive UTC, or any aware datetime such as an SMS centre's
    timestamp) as naive wall-clock time in the box's zone; None stays None."""
    if instant is None:
        return None
    return aware(instant).replace(tzinfo=None)


def instant(wall):
    """A naive wall-clock time in the box's zone (or an aware datetime) as a naive
    UTC instant; None stays None. DST: see the module docstring."""
    if wall is None:
        return None
    if wall.tzinfo is None:
        if _zone is None:
            wall = wall.astimezone()  # the OS zone, through mktime
        else:
            wall = wall.replace(tzinfo=_zone, fold=0)
            # A skipped time round-trips to another wall time; with fold=0 zoneinfo
            # uses the offset before the gap, which lands after it: moved forward.
    return wall.astimezone(UTC).replace(tzinfo=None)


def local_now(now=None):
    """The wall-clock time here, naive (of instant `now` when given)."""
    return local(now or _utc_now())


def today(now=None):
    """The box's date (of instant `now` when given)."""
    return local_now(now).date()


def day_start(day):
    """The instant the box's day `day` (a date) begins."""
    return instant(datetime.datetime.combine(day, datetime.time()))


def day_range(first, last=None):
    """(start, end) instants of the box's days first..last inclusive: start <= t < end."""
    return day_start(first), day_start((last or first) + datetime.timedelta(days=1))


def format(instant, fmt="%Y-%m-%d %H:%M"):
    """An instant as the box's wall-clock time for pages and listings: '2026-11-30 09:15'
    ('' for None). Pages use it through ctx.when()."""
    if instant is None:
        return ""
    if not isinstance(instant, datetime.datetime):
        return str(instant)
    return local(instant).strftime(fmt)


def iso(instant):
    """An instant as ISO 8601 with the box's offset, for the API: '2026-11-30T09:15:00+08:00'."""
    if instant is None:
        return None
    return aware(instant).isoformat(timespec="seconds")


def parse(text, field="time"):
    """An input time: ISO 8601 with an offset (any zone), or without one as the
    box's wall-clock time ('2026-11-30 09:15', '2026-11-30T09:15'). Returns the
    instant; ValueError when it is not a time."""
    value = datetime.datetime.fromisoformat(str(text).strip())
    return instant(value)
