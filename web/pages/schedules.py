"""Scheduled sends (appliance/services/schedules.py) on the admin page: the list, creating
and editing one, enabling/disabling it and deleting it (a page of its own asks first).
Changes need the campaigns permission; auditors read only.

Nobody types cron here: the form's recurrence picker (once on a date / every day / every
week on chosen days / every month on a day, at a time) is turned into the cron expression
or the run_at the domain takes, and a stored cron is shown in words and read back into the
picker. Any other cron stays possible under "advanced", and is shown as it is. A bad field
re-shows the form with the domain's one-line error, and nothing is saved."""
import re

from appliance import clock
from appliance.db import write_transaction
from appliance.errors import N_, InputError
from appliance.models import ContactGroup
from appliance.services import schedules, templates
from appliance.services.models import Topic
from appliance.sms.models import CATEGORIES
from web.pages import page, respond
from web.pages.confirm import ask_first

FIELDS = ("name", "group", "topic", "numbers", "template", "text", "category", "window", "expires_at",
          "department", "repeat", "date", "time", "monthday", "cron", "run_at")
REPEATS = {"once": N_("Once, on a date"), "daily": N_("Every day"), "weekly": N_("Every week, on the days ticked"),
           "monthly": N_("Every month, on a day"), "advanced": N_("Advanced: a cron expression")}
# cron's weekday numbers, Monday first as a Chinese calendar is read.
WEEKDAYS = (("1", N_("Mon")), ("2", N_("Tue")), ("3", N_("Wed")), ("4", N_("Thu")), ("5", N_("Fri")),
            ("6", N_("Sat")), ("0", N_("Sun")))
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# The crons the picker writes: minute hour day-of-month * day-of-week.
PICKED_RE = re.compile(r"^(\d{1,2}) (\d{1,2}) (\*|[1-9]|[12]\d|3[01]) \* (\*|[0-6](?:,[0-6])*)$")


def parse_when(text, field):
    """The instant of a 'YYYY-MM-DDTHH:MM' field (the box's wall-clock time), or None."""
    if not text:
        return None
    try:
        return clock.parse(text)
    except ValueError:
        raise InputError.of(N_("{field}: {text!r} is not a date and time (YYYY-MM-DD HH:MM)"), field=field,
                            text=text) from None


def timing(form):
    """(cron, run_at) from the recurrence picker; InputError names the field to fix."""
    repeat = form["repeat"]
    if not repeat:  # a form without the picker (a script's POST): cron, or run_at as typed
        return form["cron"], None if form["cron"] else parse_when(form["run_at"], "run_at")
    if repeat == "advanced":
        return form["cron"], None
    if repeat not in REPEATS:
        raise InputError.of(N_("{field}: choose how often it is sent"), field="repeat")
    match = TIME_RE.match(form["time"])
    if not match:
        raise InputError.of(N_("{field}: give a time of day (HH:MM)"), field="time")
    hour, minute = int(match[1]), int(match[2])
    if repeat == "once":
        if not form["date"]:
            raise InputError.of(N_("{field}: choose the day it is sent"), field="date")
        return "", parse_when(f"{form['date']}T{hour:02d}:{minute:02d}", "date")
    if repeat == "daily":
        return f"{minute} {hour} * * *", None
    if repeat == "weekly":
        days = [d for d, _ in WEEKDAYS if d in form["weekdays"]]
        if not days:
            raise InputError.of(N_("{field}: tick at least one day of the week"), field="weekdays")
        return f"{minute} {hour} * * {','.join(sorted(days))}", None
    if not form["monthday"].isdigit() or not 1 <= int(form["monthday"]) <= 31:
        raise InputError.of(N_("{field}: a day of the month from 1 to 31"), field="monthday")
    return f"{minute} {hour} {int(form['monthday'])} * *", None


def picked(cron):
    """The picker's values for a stored cron: repeat, time, monthday, weekdays; an
    expression the picker cannot write is 'advanced'."""
    match = PICKED_RE.match(cron or "")
    if not match or int(match[1]) > 59 or int(match[2]) > 23 or (match[3] != "*" and match[4] != "*"):
        return {"repeat": "advanced", "cron": cron}
    minute, hour, monthday, weekdays = match.groups()
    values = {"time": f"{int(hour):02d}:{int(minute):02d}", "cron": cron, "monthday": "", "weekdays": []}
    if monthday != "*":
        return {**values, "repeat": "monthly", "monthday": monthday}
    if weekdays != "*":
        return {**values, "repeat": "weekly", "weekdays": weekdays.split(",")}
    return {**values, "repeat": "daily"}


def when_words(ctx, s):
    """A schedule's timing as a sentence in the page's language."""
    _ = ctx._
    if not s["cron"]:
        return _("Once, at {when}").format(when=ctx.when(s["run_at"])) if s["run_at"] else ""
    p = picked(s["cron"])
    if p["repeat"] == "daily":
        return _("Every day at {time}").format(time=p["time"])
    if p["repeat"] == "weekly":
        names = [_(name) for d, name in WEEKDAYS if d in p["weekdays"]]
        return _("Every week on {days} at {time}").format(days=("、" if ctx.lang == "zh" else ", ").join(names),
                                                          time=p["time"])
    if p["repeat"] == "monthly":
        return _("Every month on day {day} at {time}").format(day=p["monthday"], time=p["time"])
    return _("Advanced (cron): {cron}").format(cron=s["cron"])


def target_words(ctx, target):
    """'group:个险一部' / 'topic:TJ' / 'numbers:2' (the domain's listing) in words."""
    kind, _, value = target.partition(":")
    if kind == "group":
        return ctx._("group {name}").format(name=value)
    if kind == "topic":
        return ctx._("subscribers of topic {code}").format(code=value)
    return ctx._("{count} numbers").format(count=value)


def title_in(ctx, title):
    """A template's title in the page's language: the defaults' are '生日祝福 / Birthday greeting'."""
    zh, _, en = (part.strip() for part in title.partition("/"))
    return en if ctx.lang == "en" and en else zh


def schedules_view(ctx, form=None, error=None, status=200, editing=None):
    rows = schedules.listing()
    titles = {t["key"]: title_in(ctx, t["title"] or t["key"]) for t in templates.listing()}
    for s in rows:
        s["when_words"], s["target_words"] = when_words(ctx, s), target_words(ctx, s["target"])
        s["template_title"] = titles.get(s["template"], s["template"])
    body = ctx.render("schedules", title=ctx._("Edit schedule") if editing else ctx._("Schedules"), rows=rows,
                      form=form or {"repeat": "once", "weekdays": []}, error=error, editing=editing,
                      categories=CATEGORIES, repeats=REPEATS, weekdays=WEEKDAYS,
                      groups=list(ContactGroup.select().order_by(ContactGroup.name)),
                      topics=list(Topic.select().order_by(Topic.code)),
                      template_choices=sorted(titles.items()))
    return respond(body, status) if status != 200 else body


def read_form(ctx):
    form = {name: ctx.form(name) for name in FIELDS}
    form["weekdays"] = ctx.form_list("weekdays")
    return form


def domain_fields(form):
    """The form as schedules.create/update take it."""
    cron, run_at = timing(form)
    return {"template_key": form["template"] or None, "text": form["text"] or None,
            "category": form["category"] or None, "group": form["group"] or None, "topic": form["topic"] or None,
            "numbers": [n for n in re.split(r"[\s,，;；]+", form["numbers"]) if n], "cron": cron, "run_at": run_at,
            "window": form["window"], "expires_at": parse_when(form["expires_at"], "expires_at"),
            "department": form["department"]}


def form_of(schedule):
    """A stored schedule as the form's values (the picker read back from its timing)."""
    form = {"name": schedule.name, "group": str(schedule.group_id or ""),
            "topic": schedule.topic.code if schedule.topic_id else "", "numbers": schedule.numbers.replace(",", " "),
            "template": schedule.template_key, "text": schedule.text, "category": schedule.category,
            "window": schedule.window, "department": schedule.department,
            "expires_at": clock.format(schedule.expires_at, "%Y-%m-%dT%H:%M") if schedule.expires_at else "",
            "weekdays": [], "monthday": "", "cron": ""}
    if schedule.cron:
        return {**form, **picked(schedule.cron)}
    return {**form, "repeat": "once", "date": clock.format(schedule.run_at, "%Y-%m-%d") if schedule.run_at else "",
            "time": clock.format(schedule.run_at, "%H:%M") if schedule.run_at else ""}


def audit_detail(schedule):
    return f"cron {schedule.cron}" if schedule.cron else f"once at {clock.format(schedule.run_at)}"


@page("/schedules", "view", nav=("Schedules", 26))
def schedules_page(ctx):
    return schedules_view(ctx)


@page("/schedules", "campaigns", method="POST")
def schedule_create(ctx):
    form = read_form(ctx)
    try:
        with write_transaction():
            schedule = schedules.create(ctx.config, form["name"], created_by=ctx.user.username,
                                        **domain_fields(form))
            ctx.audit("schedule.create", f"schedule:{schedule.name}", audit_detail(schedule))
    except InputError as exc:
        return schedules_view(ctx, form, ctx.error_text(exc), 400)
    ctx.redirect("/schedules", "ok", ctx._("Schedule saved."))


@page("/schedules/{schedule_id:int}/edit", "campaigns")
def schedule_edit(ctx, schedule_id):
    schedule = schedules.get(schedule_id)
    return schedules_view(ctx, form_of(schedule), editing=schedule)


@page("/schedules/{schedule_id:int}", "campaigns", method="POST")
def schedule_update(ctx, schedule_id):
    editing = schedules.get(schedule_id)
    form = read_form(ctx)
    try:
        with write_transaction():
            schedule = schedules.update(ctx.config, schedule_id, form["name"], **domain_fields(form))
            ctx.audit("schedule.update", f"schedule:{schedule.name}", audit_detail(schedule))
    except InputError as exc:
        return schedules_view(ctx, form, ctx.error_text(exc), 400, editing=editing)
    ctx.redirect("/schedules", "ok", ctx._("Schedule saved."))


@page("/schedules/{schedule_id:int}/enabled", "campaigns", method="POST")
def schedule_enable(ctx, schedule_id):
    enabled = ctx.form("enabled") == "1"
    with write_transaction():
        schedule = schedules.set_enabled(schedule_id, enabled)
        ctx.audit("schedule.enable" if enabled else "schedule.disable", f"schedule:{schedule.name}")
    ctx.redirect("/schedules", "ok", ctx._("Saved."))


DELETE_QUESTION = N_('Delete the schedule "{name}"? Nothing more will be sent by it; messages it has already queued stay.')


def delete_question(ctx, schedule):
    return ctx._(DELETE_QUESTION).format(name=schedule.name)


@page("/schedules/{schedule_id:int}/delete", "campaigns")
def schedule_delete_confirm(ctx, schedule_id):
    """Deleting asks first, naming the schedule and when it would have run."""
    schedule = schedules.get(schedule_id)
    row = next(s for s in schedules.listing() if s["id"] == schedule.id)
    return ctx.render("schedule_delete", title=ctx._("Delete schedule"), s=row, when=when_words(ctx, row),
                      target=target_words(ctx, row["target"]), question=delete_question(ctx, schedule))


@page("/schedules/{schedule_id:int}/delete", "campaigns", method="POST")
def schedule_delete(ctx, schedule_id):
    # A POST that did not come through the question (a stale form, a script) is asked too.
    ask_first(ctx, delete_question(ctx, schedules.get(schedule_id)), ctx._("Delete schedule"), "/schedules")
    with write_transaction():
        schedule = schedules.get(schedule_id)
        schedule.delete_instance()
        ctx.audit("schedule.delete", f"schedule:{schedule.name}")
    ctx.redirect("/schedules", "ok", ctx._("Schedule deleted."))
