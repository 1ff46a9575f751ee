"""Scheduled sends (appliance/schedules.py): the list of one-off and recurring
(cron) schedules, creating one, enabling/disabling and deleting one. Changes
need the campaigns permission; auditors read only. A bad field (e.g. a cron
expression croniter does not accept) re-shows the form with the domain's
one-line error, and nothing is saved."""
import re

from appliance import clock
from appliance.db import write_transaction
from appliance.errors import InputError
from appliance.models import ContactGroup
from appliance.services import schedules, templates
from appliance.services.models import Topic
from appliance.sms.models import CATEGORIES
from web.pages import page, respond

FIELDS = ("name", "group", "topic", "numbers", "template", "text", "category", "cron", "run_at", "window",
          "expires_at", "department")


def parse_when(text, field):
    """The instant of the form's datetime-local field ('YYYY-MM-DDTHH:MM', the box's
    wall-clock time), or None."""
    if not text:
        return None
    try:
        return clock.parse(text)
    except ValueError:
        raise InputError(f"{field}: {text!r} is not a date and time (YYYY-MM-DD HH:MM)", field=field) from None


def schedules_view(ctx, form=None, error=None, status=200):
    body = ctx.render("schedules", title=ctx._("Schedules"), rows=schedules.listing(), form=form or {},
                      error=error, categories=CATEGORIES,
                      groups=list(ContactGroup.select().order_by(ContactGroup.name)),
                      topics=list(Topic.select().order_by(Topic.code)),
                      template_keys=sorted(t["key"] for t in templates.listing()))
    return respond(body, status) if status != 200 else body


@page("/schedules", "view", nav=("Schedules", 26))
def schedules_page(ctx):
    return schedules_view(ctx)


@page("/schedules", "campaigns", method="POST")
def schedule_create(ctx):
    form = {name: ctx.form(name) for name in FIELDS}
    try:
        with write_transaction():
            schedule = schedules.create(
                ctx.config, form["name"], template_key=form["template"] or None, text=form["text"] or None,
                category=form["category"] or None, group=form["group"] or None, topic=form["topic"] or None,
                numbers=[n for n in re.split(r"[\s,，;；]+", form["numbers"]) if n],
                cron=form["cron"], run_at=parse_when(form["run_at"], "run_at"), window=form["window"],
                expires_at=parse_when(form["expires_at"], "expires_at"), created_by=ctx.user.username,
                department=form["department"])
            ctx.audit("schedule.create", f"schedule:{schedule.name}",
                      f"cron {schedule.cron}" if schedule.cron else f"once at {clock.format(schedule.run_at)}")
    except InputError as exc:
        return schedules_view(ctx, form, ctx.error_text(exc), 400)
    ctx.redirect("/schedules", "ok", ctx._("Schedule saved."))


@page("/schedules/{schedule_id:int}/enabled", "campaigns", method="POST")
def schedule_enable(ctx, schedule_id):
    enabled = ctx.form("enabled") == "1"
    with write_transaction():
        schedule = schedules.set_enabled(schedule_id, enabled)
        ctx.audit("schedule.enable" if enabled else "schedule.disable", f"schedule:{schedule.name}")
    ctx.redirect("/schedules", "ok", ctx._("Saved."))


@page("/schedules/{schedule_id:int}/delete", "campaigns", method="POST")
def schedule_delete(ctx, schedule_id):
    with write_transaction():
        schedule = schedules.get(schedule_id)
        schedule.delete_instance()
        ctx.audit("schedule.delete", f"schedule:{schedule.name}")
    ctx.redirect("/schedules", "ok", ctx._("Schedule deleted."))
