"""What every listing shares (inbox, message history, calls, tickets): keyset
paging and the checking of filter values.

Listings never COUNT(*) or OFFSET over big tables (a year of messages is a
million rows): a page is the `limit` rows with id below the cursor `before`,
newest first, and the cursor of the next page is the last id shown.

Filter values arrive as text from the command line, the API and the pages
alike, so they are checked here once, each error naming its field.
"""
import datetime
from typing import NamedTuple

import peewee

from appliance import clock
from appliance.errors import N_, InputError

PAGE_SIZE = 50


class Page(NamedTuple):
    rows: list
    next_before: int = None  # cursor of the next (older) page; None on the last


def keyset(query, id_field, before=None, limit=PAGE_SIZE):
    """One Page of `query`, newest first, below cursor `before`."""
    if before:
        query = query.where(id_field < before)
    rows = list(query.order_by(id_field.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def choice(value, choices, field):
    """`value` when it is one of `choices` (or empty: no filter), else InputError."""
    if value and value not in choices:
        raise InputError.of(N_("{field}: must be one of {choices}, got {value!r}"),
                            field=field, choices=', '.join(choices), value=value)
    return value or None


def day(value, field):
    """A date from a date or 'YYYY-MM-DD' text (empty: no filter), else InputError."""
    if not value or isinstance(value, datetime.date):
        return value or None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InputError.of(N_("{field}: '{value}' is not a date (YYYY-MM-DD)"), field=field, value=value) from None


def day_range(field, since, until):
    """Conditions for `field` within days since..until, both included."""
    since, until = day(since, "since"), day(until, "until")
    conditions = []
    if since:
        conditions.append(field >= clock.day_start(since))
    if until:
        conditions.append(field < clock.day_start(until + datetime.timedelta(days=1)))
    return conditions


def local_day(field, first, last):
    """An SQL expression for the box's day ('YYYY-MM-DD') of instant `field`, for
    rows within days first..last (the box's days; the caller's WHERE keeps the rows
    to those days). Group by its alias (SQL("local_day")): PostgreSQL does not
    see two parametrised copies of it as the same expression. A CASE over
    the days' starting instants: exact across DST changes and the same SQL on
    SQLite and PostgreSQL, where shifting by one offset would be neither."""
    days = (last - first).days + 1
    whens = [(field < clock.day_start(first + datetime.timedelta(days=i + 1)), str(first + datetime.timedelta(days=i)))
             for i in range(days)]
    return peewee.Case(None, whens, None)
