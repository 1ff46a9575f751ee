"""Ticket figures for staff assessment, per week (Monday to Sunday) or per month of the box's
calendar: the API, the CSV, the command line and the admin page all show figures().

For the tickets opened in a period (a cohort, so every ticket is counted once):
- counts by category (kind), source, department (the one it is assigned to now, "" none) and
  handler (its assignee now, "" nobody);
- the service level of those with a due time: `met` (first answered at or before due_at),
  `missed` (first answered later), `overdue` (not answered yet and past due) or `pending`
  (not answered, not yet due), in all and per department and handler;
- complaints per agent (Ticket.staff) and per department.
For the period itself: answers given in it, by who gave them (the history's `by`).
At the period's end (or now, for the running one) the backlog: tickets not closed then, by
status, age band and past due (not answered or closed, due before then).

The answered and closed times come from the history (TicketEvent), never from the ticket's
own columns, which a reopen or a second answer overwrites: "answered" is the first event that
moved it to answered, "status at T" the last status change before T. Tickets from before the
history (migration 0015) have no events: their closed_at and status stand in.

Every figure is a GROUP BY; a ticket's period is a CASE over the periods' starting instants,
exact across DST changes and the same SQL on SQLite and PostgreSQL (as listings.local_day).
"""
import csv
import datetime
from dataclasses import dataclass

import peewee
from peewee import JOIN, SQL, fn

from appliance import clock, db as dbmod
from appliance.errors import N_, InputError
from appliance.models import Staff
from appliance.tickets.models import TICKET_KINDS, TICKET_SOURCES, TICKET_STATUSES, Department, Ticket, TicketEvent

PERIODS = ("week", "month")
SLA_OUTCOMES = ("met", "missed", "overdue", "pending")
AGE_BANDS = ("0-1d", "1-3d", "3-7d", "7d+")  # a backlog ticket's age at the period's end
BAND_DAYS = (1, 3, 7)
DEFAULT_COUNT = {"week": 8, "month": 6}  # periods shown when no start is given
MAX_PERIODS = 60  # a year of weeks or five years of months: one backlog query each
OPEN = tuple(s for s in TICKET_STATUSES if s != "closed")
CSV_HEADER = ("period", "first", "last", "figure", "key", "detail", "value")


@dataclass
class Period:
    label: str   # 2026-W48 or 2026-11
    first: datetime.date
    last: datetime.date
    start: datetime.datetime  # instants: start <= t < end
    end: datetime.datetime


def parse_day(text, field):
    """A day given as YYYY-MM-DD (None or "" for none), else InputError naming `field`."""
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError.of(N_("{field}: must be a date YYYY-MM-DD, got {text!r}"), field=field, text=text) from None


def _month_after(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def periods(kind, first=None, last=None, now=None):
    """The weeks or months covering the box's days first..last (default: the last few up to
    today). InputError naming `period`, `from` or `to` when they make no sense."""
    if kind not in PERIODS:
        raise InputError.of(N_("{field}: must be week or month, got {text!r}"), field="period", text=kind)
    last = last or clock.today(now)
    if kind == "week":
        begin = (first or last - datetime.timedelta(weeks=DEFAULT_COUNT["week"] - 1))
        begin -= datetime.timedelta(days=begin.weekday())
    else:
        begin = first or (last.replace(day=1) - datetime.timedelta(days=150)).replace(day=1)
        begin = begin.replace(day=1)
    if first and first > last:
        raise InputError.of(N_("{field}: {first} is after the last day ({last})"), field="from", first=str(first),
                            last=str(last))
    out = []
    while begin <= last:
        following = begin + datetime.timedelta(weeks=1) if kind == "week" else _month_after(begin)
        if len(out) == MAX_PERIODS:
            raise InputError.of(N_("{field}: at most {count} weeks or months at a time"), field="from",
                                count=MAX_PERIODS)
        year, week, _ = begin.isocalendar()
        label = f"{year}-W{week:02d}" if kind == "week" else f"{begin:%Y-%m}"
        out.append(Period(label, begin, following - datetime.timedelta(days=1),
                          clock.day_start(begin), clock.day_start(following)))
        begin = following
    return out


def _bucket(field, spans):
    """SQL: the index of the period instant `field` falls in (rows kept to the periods by
    the caller's WHERE). Grouped by its alias: PostgreSQL does not see two parametrised
    copies of it as one expression."""
    return peewee.Case(None, [(field < p.end, i) for i, p in enumerate(spans)], None).alias("bucket")


def _within(field, spans):
    return (field >= spans[0].start) & (field < spans[-1].end)


def _answers(event=TicketEvent):
    """The events that moved a ticket to answered: an answer here, a peer's answer (hand-off).
    A note, an escalation or the customer's SMS keep the status: from answered to answered."""
    return (event.to_status == "answered") & (event.from_status != "answered")


def _first_answer(until):
    """SQL: when the row's ticket was first moved to answered, before `until` (a lookup in
    the ticket's own events through their ticket index, not a scan of the history)."""
    answer = TicketEvent.alias("answer")
    first = answer.select(fn.MIN(answer.at)).where(answer.ticket == Ticket.id, _answers(answer), answer.at < until)
    return peewee.NodeList((first,))  # a value to compare, as a column


def _opened(spans):
    """(bucket, kind, source, department id, assignee, count) of the tickets opened in the periods."""
    return (Ticket.select(_bucket(Ticket.created_at, spans), Ticket.kind, Ticket.source, Ticket.department,
                          Ticket.assignee, fn.COUNT(Ticket.id))
            .where(_within(Ticket.created_at, spans))
            .group_by(SQL("bucket"), Ticket.kind, Ticket.source, Ticket.department, Ticket.assignee).tuples())


def _sla(spans, now):
    """(bucket, outcome, department id, assignee, count) of the tickets opened with a due time."""
    answered = _first_answer(now)
    outcome = peewee.Case(None, [(answered <= Ticket.due_at, "met"), (answered.is_null(False), "missed"),
                                 (Ticket.due_at < now, "overdue")], "pending").alias("outcome")
    return (Ticket.select(_bucket(Ticket.created_at, spans), outcome, Ticket.department, Ticket.assignee,
                          fn.COUNT(Ticket.id))
            .where(_within(Ticket.created_at, spans), Ticket.due_at.is_null(False))
            .group_by(SQL("bucket"), SQL("outcome"), Ticket.department, Ticket.assignee).tuples())


def _complaints_per_agent(spans):
    return (Ticket.select(_bucket(Ticket.created_at, spans), Staff.id, Staff.badge_no, Staff.name,
                          Staff.department, fn.COUNT(Ticket.id))
            .join(Staff, JOIN.LEFT_OUTER, on=Ticket.staff == Staff.id)
            .where(_within(Ticket.created_at, spans), Ticket.kind == "complaint")
            .group_by(SQL("bucket"), Staff.id, Staff.badge_no, Staff.name, Staff.department).tuples())


def _answers_given(spans):
    return (TicketEvent.select(_bucket(TicketEvent.at, spans), TicketEvent.by, fn.COUNT(TicketEvent.id))
            .where(_within(TicketEvent.at, spans), _answers())
            .group_by(SQL("bucket"), TicketEvent.by).tuples())


def _status_at(at):
    """SQL: the row's ticket's status at instant `at`, the one its last event before then left
    (every event records the status after it; a note the one it stayed in); for a ticket
    from before the history (migration 0015), its columns."""
    last = TicketEvent.alias("last_event")
    then = (last.select(last.to_status).where(last.ticket == Ticket.id, last.at < at, last.to_status != "")
            .order_by(last.id.desc()).limit(1))
    before_history = peewee.Case(None, [((Ticket.closed_at.is_null(False)) & (Ticket.closed_at < at), "closed"),
                                        (Ticket.status == "closed", "new")], Ticket.status)
    return fn.COALESCE(then, before_history)


def _backlog(at):
    """(status, age band, past due, count) of the tickets not closed at instant `at`."""
    status = _status_at(at)
    band = peewee.Case(None, [(Ticket.created_at > at - datetime.timedelta(days=d), name)
                              for d, name in zip(BAND_DAYS, AGE_BANDS)], AGE_BANDS[-1]).alias("band")
    past_due = peewee.Case(None, [((Ticket.due_at < at) & status.in_(("new", "assigned", "in_progress", "returned")),
                                   1)], 0).alias("past_due")
    # Closing sets closed_at and reopening clears it (tickets.lifecycle): a ticket closed now
    # whose closed_at is before `at` has been closed since, and needs no look at its history.
    # Most tickets are, so the history is read only for the few open at `at`.
    closed_since = (Ticket.status == "closed") & Ticket.closed_at.is_null(False) & (Ticket.closed_at < at)
    return (Ticket.select(status.alias("status_then"), band, past_due, fn.COUNT(Ticket.id))
            .where(Ticket.created_at < at, ~closed_since, status != "closed")
            .group_by(SQL("status_then"), SQL("band"), SQL("past_due")).tuples())


def _empty(period):
    return {"label": period.label, "first": str(period.first), "last": str(period.last),
            "start": period.start, "end": period.end, "opened": 0,
            "by_kind": dict.fromkeys(TICKET_KINDS, 0), "by_source": dict.fromkeys(TICKET_SOURCES, 0),
            "by_department": {}, "by_handler": {}, "answered_by": {},
            "sla": dict.fromkeys(SLA_OUTCOMES, 0), "sla_by_department": {}, "sla_by_handler": {},
            "complaints": 0, "complaints_by_department": {}, "complaints_by_agent": [], "backlog": None}


def _add(counts, key, n):
    counts[key] = counts.get(key, 0) + n


def figures(period="week", first=None, last=None, now=None):
    """The figures of every week or month covering first..last (dates of the box), as a dict:
    {"period", "from", "to", "as_of", "periods": [one dict per period, see _empty], "totals"}."""
    now = now or clock.now()
    spans = periods(period, first, last, now)
    out = [_empty(p) for p in spans]
    db = dbmod.database.obj
    with db.atomic():  # one read: the figures agree with each other
        # SQLite's read transaction is one snapshot already; inside a caller's transaction, theirs stands.
        if isinstance(db, peewee.PostgresqlDatabase) and db.transaction_depth() == 1:
            db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        names = dict(Department.select(Department.id, Department.name).tuples())
        for i, kind, source, dept_id, handler, n in _opened(spans):
            dept = names.get(dept_id, "")
            row = out[i]
            row["opened"] += n
            for key, value in (("by_kind", kind), ("by_source", source), ("by_department", dept),
                               ("by_handler", handler)):
                _add(row[key], value, n)
            if kind == "complaint":
                row["complaints"] += n
                _add(row["complaints_by_department"], dept, n)
        for i, outcome, dept_id, handler, n in _sla(spans, now):
            row, dept = out[i], names.get(dept_id, "")
            _add(row["sla"], outcome, n)
            _add(row["sla_by_department"].setdefault(dept, dict.fromkeys(SLA_OUTCOMES, 0)), outcome, n)
            _add(row["sla_by_handler"].setdefault(handler, dict.fromkeys(SLA_OUTCOMES, 0)), outcome, n)
        for i, staff_id, badge, name, dept, n in _complaints_per_agent(spans):
            out[i]["complaints_by_agent"].append({"staff_id": staff_id, "badge_no": badge or "", "name": name or "",
                                                  "department": dept or "", "complaints": n})
        for i, by, n in _answers_given(spans):
            _add(out[i]["answered_by"], by, n)
        for span, row in zip(spans, out):
            if span.start < now:
                row["backlog"] = _backlog_figures(min(span.end, now))
    for row in out:
        row["complaints_by_agent"].sort(key=lambda a: (-a["complaints"], a["staff_id"] is None, a["badge_no"]))
    return {"period": period, "from": str(spans[0].first), "to": str(spans[-1].last), "as_of": now,
            "periods": out, "totals": _totals(out)}


def _backlog_figures(at):
    backlog = {"at": at, "open": 0, "past_due": 0, "by_status": dict.fromkeys(OPEN, 0),
               "by_age": dict.fromkeys(AGE_BANDS, 0)}
    for status, band, past_due, n in _backlog(at):
        backlog["open"] += n
        backlog["past_due"] += n if past_due else 0
        _add(backlog["by_status"], status, n)
        _add(backlog["by_age"], band, n)
    return backlog


def _totals(rows):
    """The counts of all the periods together (the backlog is a state, not summed)."""
    totals = {"opened": 0, "complaints": 0, "by_kind": dict.fromkeys(TICKET_KINDS, 0),
              "by_source": dict.fromkeys(TICKET_SOURCES, 0), "by_department": {}, "by_handler": {},
              "answered_by": {}, "sla": dict.fromkeys(SLA_OUTCOMES, 0), "complaints_by_department": {}}
    agents = {}
    for row in rows:
        totals["opened"] += row["opened"]
        totals["complaints"] += row["complaints"]
        for key in ("by_kind", "by_source", "by_department", "by_handler", "answered_by", "sla",
                    "complaints_by_department"):
            for name, n in row[key].items():
                _add(totals[key], name, n)
        for agent in row["complaints_by_agent"]:
            agents.setdefault(agent["staff_id"], {**agent, "complaints": 0})["complaints"] += agent["complaints"]
    totals["complaints_by_agent"] = sorted(agents.values(), key=lambda a: (-a["complaints"], a["staff_id"] is None,
                                                                           a["badge_no"]))
    return totals


def csv_rows(data):
    """The figures as rows of CSV_HEADER: one number per row (a long table that sorts and
    pivots in any spreadsheet). `key` is a category, source, department, handler, outcome,
    status or age band ("" = none); `detail` the outcome of a per-department or per-handler
    service level, or an agent's name."""
    for row in data["periods"]:
        lead = (row["label"], row["first"], row["last"])
        yield (*lead, "opened", "", "", row["opened"])
        for figure, key in (("kind", "by_kind"), ("source", "by_source"), ("department", "by_department"),
                            ("handler", "by_handler"), ("answered_by", "answered_by"), ("sla", "sla"),
                            ("complaints_department", "complaints_by_department")):
            for name, n in row[key].items():
                yield (*lead, figure, name, "", n)
        for figure, key in (("sla_department", "sla_by_department"), ("sla_handler", "sla_by_handler")):
            for name, outcomes in row[key].items():
                for outcome, n in outcomes.items():
                    yield (*lead, figure, name, outcome, n)
        yield (*lead, "complaints", "", "", row["complaints"])
        for agent in row["complaints_by_agent"]:
            yield (*lead, "complaints_agent", agent["badge_no"], agent["name"], agent["complaints"])
        if row["backlog"]:
            backlog = row["backlog"]
            yield (*lead, "backlog", "open", "", backlog["open"])
            yield (*lead, "backlog", "past_due", "", backlog["past_due"])
            for name, n in backlog["by_status"].items():
                yield (*lead, "backlog_status", name, "", n)
            for name, n in backlog["by_age"].items():
                yield (*lead, "backlog_age", name, "", n)


def write_csv(data, out):
    """The figures as CSV (UTF-8 text, a header line first) to the text stream `out`."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(data))
