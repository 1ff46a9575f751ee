"""The box's one clock: what time it is here.

Every rule (send windows, schedules, business hours, report days) and every
display asks this module, never datetime.now() or date.today() directly, so
that the box's time zone can be set in one place and tests can pass a time in.
Functions that depend on the time take `now=None` and call `clock.now()` when
it is None; tests pass `now=` instead of patching the clock.

Times are naive wall-clock datetimes in the box's zone. Until set_zone() is
called the zone is the operating system's.
"""
import datetime
import zoneinfo

_zone = None  # a ZoneInfo, or None for the operating system's zone


def set_zone(name):
    """Use the time zone NAME (e.g. 'Asia/Shanghai'); None or '' means the OS zone."""
    global _zone
    _zone = zoneinfo.ZoneInfo(name) if name else None


def zone():
    """The box's zone as a tzinfo (the OS zone when none is set)."""
    return _zone or datetime.datetime.now().astimezone().tzinfo


def now():
    """The current wall-clock time in the box's zone, naive."""
    if _zone is None:
        return datetime.datetime.now()
    return datetime.datetime.now(_zone).replace(tzinfo=None)


def now_in(zone_name):
    """The wall-clock time in the named zone, naive (the IVR's business hours use
    the configured `timezone` this way)."""
    return datetime.datetime.now(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)


def today():
    return now().date()


def local(instant):
    """An aware datetime (e.g. an SMS centre's timestamp) as naive wall-clock time here."""
    return instant.astimezone(zone()).replace(tzinfo=None)
