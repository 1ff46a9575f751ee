"""Service levels: when a ticket is due, which department it goes to, and which are overdue.

`tickets.sla` names a time per category: `complaint=24h` (clock hours), `callback=2bh`
(business hours), `return-visit=3d` (calendar days). Business hours are `tickets.business_hours`
(local time, e.g. 08:30-12:00,13:30-17:30) on the box's working days: China's holiday
calendar with its adjusted working days (调休) and the days an admin declared, from
appliance/voice/days.py, so a callback asked for on the eve of the Spring Festival is due
after the holiday, not during it. A category without a rule has no due time.

Due times are instants computed once, at opening (and again at a reopen), so a later change
of the rules never moves a promise already made.
"""
import datetime
import logging
import re

from peewee import DatabaseError

from appliance import clock
from appliance.config import Config, load_config
from appliance.errors import N_, ConfigError
from appliance.system.checks import said
from appliance.tickets.models import TICKET_KINDS, Department, Ticket
from appliance.voice import days

log = logging.getLogger(__name__)

RULE = re.compile(r"\s*(?P<kind>[a-z-]+)\s*=\s*(?P<amount>\d+(\.\d+)?)\s*(?P<unit>bh|h|d)\s*")
# Still waiting for the department's answer: these count against the service level.
OPEN_STATUSES = ("new", "assigned", "in_progress", "returned")
HORIZON = 400  # days searched for business hours: more than any run of holidays


def box_config(config=None):
    """`config` when given; else the box's configuration file as the daemons' units name it
    ($APPLIANCE_CONFIG), so a ticket opened deep in a flow that holds no configuration (an
    IVR lockout alert, a voice notice's callback) still follows the box's rules; else the
    defaults. A file that cannot be read gives the defaults (logged): a ticket is never lost."""
    if config is not None:
        return config
    try:
        return load_config()
    except ConfigError as exc:
        log.error("tickets: %s; the default ticket rules apply", exc)
        return Config()


def rules(config):
    """{kind: (amount, unit)} from tickets.sla; ConfigError naming the key for a bad entry."""
    return parse_rules(config["tickets.sla"])


def parse_rules(entries, field="tickets.sla"):
    found = {}
    for entry in entries:
        match = RULE.fullmatch(str(entry))
        if not match or match["kind"] not in TICKET_KINDS or float(match["amount"]) <= 0:
            raise ConfigError.of(N_("{field}: {entry!r} must be CATEGORY=N followed by h, bh or d, with a category among {choices}"),
                                 field=field, entry=entry, choices=', '.join(TICKET_KINDS))
        found[match["kind"]] = (float(match["amount"]), match["unit"])
    return found


def business_hours(config):
    """[(start, end)] times of day from tickets.business_hours, in order; ConfigError when malformed."""
    return parse_business_hours(config["tickets.business_hours"])


def parse_business_hours(text, field="tickets.business_hours"):
    try:
        spans = []
        for part in str(text).split(","):
            start, end = (datetime.time.fromisoformat(t.strip()) for t in part.split("-", 1))
            if end <= start or spans and start < spans[-1][1]:
                raise ValueError
            spans.append((start, end))
    except ValueError:
        raise ConfigError.of(N_("{field}: must be HH:MM-HH:MM[,HH:MM-HH:MM…] in order, got {text!r}"),
                             field=field, text=text) from None
    return spans


def parse_routing(entries, field="tickets.departments"):
    """[(kind, department name)] from tickets.departments; ConfigError for a malformed entry
    (whether the department exists is the database's to say: doctor_check)."""
    routes = []
    for entry in entries:
        name, sep, department = (part.strip() for part in str(entry).partition("="))
        if not sep or name not in TICKET_KINDS or not department:
            raise ConfigError.of(N_("{field}: {entry!r} must be CATEGORY=DEPARTMENT with a category among {choices}"),
                                 field=field, entry=entry, choices=', '.join(TICKET_KINDS))
        routes.append((name, department))
    return routes


def due_at(kind, opened_at, config):
    """The instant a ticket of `kind` opened (or reopened) at instant `opened_at` is due; None without a rule."""
    rule = rules(config).get(kind)
    if rule is None:
        return None
    amount, unit = rule
    if unit == "h":
        return opened_at + datetime.timedelta(hours=amount)
    if unit == "d":
        return opened_at + datetime.timedelta(days=amount)
    return add_business_time(opened_at, datetime.timedelta(hours=amount), business_hours(config))


def due_or_none(kind, opened_at, config):
    """due_at(), or None (logged) when the rules are malformed: a ticket is opened or reopened
    whatever the configuration says; `appliance doctor` names the fault."""
    try:
        return due_at(kind, opened_at, config)
    except ConfigError as exc:
        log.error("ticket of kind %s has no due time: %s", kind, exc)
        return None


def add_business_time(start, amount, spans):
    """The instant `amount` of business time after instant `start`: the clock runs only inside
    `spans` of the box's working days (a ticket opened at night starts counting next morning)."""
    here = clock.local(start)
    left = amount
    for day, kind in days.kinds(here.date(), here.date() + datetime.timedelta(days=HORIZON)):
        if kind != days.WORKDAY:
            continue
        for begin, end in spans:
            begin, end = datetime.datetime.combine(day, begin), datetime.datetime.combine(day, end)
            begin = max(begin, here)
            if end <= begin:
                continue
            if end - begin >= left:
                return clock.instant(begin + left)
            left -= end - begin
    raise ConfigError.of(N_("{field}: no working time within {HORIZON} days"),
                         field="tickets.business_hours", HORIZON=HORIZON)


def department_for(kind, config):
    """The Department tickets of `kind` go to at opening (tickets.departments), or None.
    A bad entry or an unknown department is logged, never raised: a caller's complaint
    must be opened whatever the configuration says."""
    for entry in config["tickets.departments"]:
        name, sep, department = (part.strip() for part in str(entry).partition("="))
        if not sep or name not in TICKET_KINDS or not department:
            log.error("tickets.departments: %r must be CATEGORY=DEPARTMENT; ignored", entry)
        elif name == kind:
            found = Department.get_or_none(Department.name == department)
            if found is None:
                log.error("tickets.departments: no department named %r (appliance tickets departments add); "
                          "%s tickets stay unassigned", department, kind)
            return found
    return None


def overdue(now=None):
    """The open tickets past their due time at instant `now`, longest overdue first (a query)."""
    now = now or clock.now()
    return (Ticket.select().where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at < now)
            .order_by(Ticket.due_at, Ticket.id))


def doctor_check(config):
    """`appliance doctor`'s lines for tickets: are the service levels and routing well formed
    (at run time a bad entry is only logged, so a ticket is never lost), who is told of
    overdue tickets, and how many there are."""
    try:
        found, routes = rules(config), parse_routing(config["tickets.departments"])
        business_hours(config)
    except ConfigError as exc:
        return [("fail", said(N_("ticket service levels")), str(exc))]
    detail = said(N_("{count} categories with a due time; business hours {hours} on working days"),
                  count=len(found), hours=config["tickets.business_hours"])
    lines = [("ok", said(N_("ticket service levels")), detail)]
    try:
        lines += _routing_lines(routes)
    except DatabaseError:  # not migrated yet: the migrations line says so
        pass
    return lines


def _routing_lines(routes):
    lines = []
    missing = [f"{kind}={name}" for kind, name in routes
               if not Department.select().where(Department.name == name).exists()]
    if missing:
        lines.append(("warn", "tickets.departments",
                      said(N_("no such department: {names} (not routed)"), names=", ".join(missing))))
    headless = [d.name for d in Department.select().where(Department.head.is_null())]
    if headless:
        detail = said(N_("no head told of overdue tickets in: {names} (appliance tickets departments set-head)"),
                      names=", ".join(headless))
        lines.append(("warn", said(N_("ticket escalation")), detail))
    late = overdue().count()
    lines.append(("warn" if late else "ok", said(N_("overdue tickets")),
                  said(N_("{count} open ticket(s) past their due time"), count=late)))
    return lines
