"""Scheduled sends: one-off (run_at) or recurring (a cron expression, read with
croniter), to a group, a topic's subscribers or listed numbers; each send
inside a daily window and nothing after the schedule's expiry. Marketing
without a window of its own gets services.marketing_window, so it never goes
out at night.

run_due(now) fires each due schedule once: the campaign it queues and the
schedule's next run are committed together. After downtime a recurring
schedule fires once, not once per missed occurrence.
"""
import datetime
import logging

from croniter import croniter

from appliance import clock, groups, phonebook, phones
from appliance.cluster.leadership import LeaseLost
from appliance.db import Busy, retrying, write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.groups import Recipient
from appliance.services import campaigns, subscriptions
from appliance.services.models import Schedule
from appliance.services.templates import Renderer, common_variables, word
from appliance.sms.window import parse_window

log = logging.getLogger(__name__)


def _next_run(cron, after):
    """The next time the cron expression names after instant `after`: the cron is
    read on the box's wall clock (as are run_at and windows), the result is an
    instant, as stored."""
    here = clock.local(after)
    runs = croniter(cron, here.replace(fold=0))
    while True:
        # An autumn hour repeated: its first occurrence may already be behind us.
        run = clock.instant(runs.get_next(datetime.datetime))
        if run > after:
            return run


def create(config, name, *, created_by="", now=None, **fields):
    """Add a schedule; returns it. InputError names the first bad field. Fields as
    _checked: template_key, text, category, group, topic, numbers, cron, run_at, window,
    expires_at, department."""
    now = now or clock.now()
    return Schedule.create(**_checked(config, name, now=now, **fields), created_by=created_by, created_at=now)


def update(config, name_or_id, name, *, now=None, **fields):
    """Change every field of a schedule (as create takes them); returns it. Its next run
    is worked out afresh; whether it is enabled, its last run and author stay."""
    schedule = get(name_or_id)
    for key, value in _checked(config, name, now=now or clock.now(), same=schedule.id, **fields).items():
        setattr(schedule, key, value)
    schedule.save()
    return schedule


def _checked(config, name, *, template_key=None, text=None, category=None, group=None, topic=None,
             numbers=(), cron="", run_at=None, window="", expires_at=None, department="", now, same=None):
    """The stored fields of a schedule, checked; InputError names the first bad one.
    `same`: the id of the schedule being changed (its own name is no clash)."""
    if not (name or "").strip():
        raise InputError.of(N_("{field}: empty"), field="name")
    if Schedule.select().where(Schedule.name == name, Schedule.id != (same or 0)).exists():
        raise InputError.of(N_("{field}: a schedule named {name!r} exists"), field="name", name=name)
    if sum(bool(x) for x in (group, topic, numbers)) != 1:
        raise InputError.of(N_("{field}: give exactly one of group, topic or numbers"), field="target")
    group_row = groups.get_group(group) if group else None
    topic_row = subscriptions.get_topic(topic) if topic else None
    clean = [phones.normalize(n, "numbers") for n in numbers]
    if bool(template_key) == bool(text):
        raise InputError.of(N_("{field}: give a template key or a text, not both"), field="template")
    renderer = Renderer(template_key, config, text=text, category=category)  # checks the template exists
    _check_variables(config, renderer, group_row)
    parse_window(window)
    if cron:
        if not croniter.is_valid(cron):
            raise InputError.of(N_("{field}: {cron!r} is not a cron expression (minute hour day month weekday)"),
                                field="cron", cron=cron)
        if run_at:
            raise InputError.of(N_("{field}: a recurring schedule has a cron expression, not run_at"), field="run_at")
        next_run = _next_run(cron, now)
    else:
        if run_at is None:
            raise InputError.of(N_("{field}: a one-off schedule needs a time (or give cron)"), field="run_at")
        next_run = run_at
    if expires_at is not None and expires_at <= next_run:
        raise InputError.of(N_("{field}: the schedule would expire before it first runs"), field="expires_at")
    return {"name": name, "category": renderer.category, "template_key": template_key or "", "text": text or "",
            "group": group_row, "topic": topic_row, "numbers": ",".join(clean), "cron": cron, "run_at": run_at,
            "window": window, "expires_at": expires_at, "next_run_at": next_run, "department": department}


# What a scheduled send fills in for each recipient (groups.Recipient.variables):
# the name and salutation, and a staff member's badge number.
RECIPIENT_VARIABLES = {"name", "salutation"}


def _check_variables(config, renderer, group_row):
    """InputError naming the template when it needs variables a schedule never gives
    (a renewal reminder needs {policy_no}): refused now, not failing at send time."""
    given = RECIPIENT_VARIABLES | set(common_variables(config))
    if group_row is not None and group_row.kind == "staff":
        given |= {"badge_no"}
    missing = sorted(renderer.variables() - given)
    if missing:
        field = "template" if renderer.key else "text"
        raise InputError.of(N_("{field}: needs {names}, which a schedule does not give (it gives {given})"),
                            field=field, names=", ".join(f"{{{m}}}" for m in missing),
                            given=", ".join(f"{{{g}}}" for g in sorted(given)))


def recipients(schedule):
    if schedule.group_id:
        return groups.recipients(schedule.group)
    if schedule.topic_id:
        return subscriptions.subscribers(schedule.topic)
    out = []
    for number in schedule.numbers.split(","):
        customer = phonebook.customer_by_number(number)
        variables = ({"name": customer.name, "salutation": customer.salutation} if customer
                     else {"name": "", "salutation": word("generic", "customer", "zh")})
        out.append(Recipient(number, customer.language if customer else "zh",
                             customer_id=customer.id if customer else None, variables=variables))
    return out


def run_due(config, now=None, fence=None):
    """Fire every schedule that is due; returns the campaigns queued. `fence` (the daemon's
    lease check) is called in each firing's transaction: another box's lease stops it."""
    now = now or clock.now()
    fired = []
    due = [s.id for s in Schedule.select(Schedule.id).where(Schedule.enabled == True,  # noqa: E712
                                                            Schedule.next_run_at <= now)]
    for schedule_id in due:
        try:
            campaign = retrying(_fire, config, schedule_id, now, fence)  # another daemon's write is waited out
        except Busy:
            log.warning("schedule %s: the database stayed busy; trying again on the next pass", schedule_id)
            continue
        except _Raced:
            continue  # another box fired it
        except LeaseLost:
            raise  # the whole step stops: another box fires schedules now
        except Exception:
            log.exception("schedule %s: failed to fire; trying again on the next pass", schedule_id)
            continue
        if campaign is not None:
            fired.append(campaign)
    return fired


class _Raced(Exception):
    """Another box fired this schedule between our read and our update (PostgreSQL)."""


def _fire(config, schedule_id, now, fence=None):
    with write_transaction():
        if fence is not None:
            fence()
        schedule = Schedule.get_or_none(Schedule.id == schedule_id)
        if schedule is None or not schedule.enabled or schedule.next_run_at is None or schedule.next_run_at > now:
            return None  # another pass got it first
        campaign = None
        if schedule.expires_at is not None and now >= schedule.expires_at:
            schedule.enabled = False
            log.info("schedule %s expired at %s; nothing sent", schedule.name, schedule.expires_at)
        else:
            try:
                campaign = campaigns.send(
                    config, f"{schedule.name} {clock.format(now)}", recipients(schedule),
                    template_key=schedule.template_key or None, text=schedule.text or None,
                    category=schedule.category, kind="subscription" if schedule.topic_id else "schedule",
                    group=schedule.group_id, created_by=schedule.created_by, department=schedule.department,
                    source="schedule", now=now, window=schedule.window, expires_at=schedule.expires_at)
            except InputError as exc:  # e.g. the window opens only after the expiry
                log.warning("schedule %s: %s; nothing sent", schedule.name, exc)
        due_at = schedule.next_run_at
        schedule.last_run_at = now
        if schedule.cron:
            schedule.next_run_at = _next_run(schedule.cron, now)
        else:
            schedule.next_run_at, schedule.enabled = None, False
        # The row count decides, not the read above: on PostgreSQL another box may have
        # fired the same due time meanwhile; then its campaign stands and ours rolls back.
        if not (Schedule.update(last_run_at=schedule.last_run_at, next_run_at=schedule.next_run_at,
                                enabled=schedule.enabled)
                .where(Schedule.id == schedule.id, Schedule.next_run_at == due_at).execute()):
            raise _Raced()
    return campaign


def get(name_or_id):
    schedule = Schedule.get_or_none((Schedule.name == str(name_or_id)) |
                                    (Schedule.id == (int(name_or_id) if str(name_or_id).isdigit() else 0)))
    if schedule is None:
        raise NotFound.of(N_("{field}: no schedule {name_or_id!r}"), field="schedule", name_or_id=name_or_id)
    return schedule


def set_enabled(name_or_id, enabled, now=None):
    schedule = get(name_or_id)
    schedule.enabled = enabled
    if enabled and schedule.cron:
        schedule.next_run_at = _next_run(schedule.cron, now or clock.now())
    schedule.save()
    return schedule


def listing():
    return [{"id": s.id, "name": s.name, "category": s.category, "template": s.template_key,
             "target": (f"group:{s.group.name}" if s.group_id else f"topic:{s.topic.code}" if s.topic_id
                        else f"numbers:{len(s.numbers.split(','))}"),
             "cron": s.cron, "run_at": s.run_at, "window": s.window, "expires_at": s.expires_at,
             "next_run_at": s.next_run_at, "last_run_at": s.last_run_at, "enabled": s.enabled}
            for s in Schedule.select().order_by(Schedule.id)]
