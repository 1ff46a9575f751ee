"""Departments that handle tickets on the admin page: the list (head, open tickets), adding
one, setting its head (told of overdue tickets by SMS) and removing one without open
tickets (asked first: web/pages/confirm.py). Everyone who may see tickets sees the list; admins
(settings permission) change it.

appliance.tickets.departments does the work and refuses what it must (a name taken, open
tickets left): the refusal is said on this page, in its language, nothing changed.
"""
from appliance.errors import InputError
from appliance.tickets import departments
from web.pages import N_, page, respond
from web.pages.confirm import ask_first

REMOVE_QUESTION = N_("Remove the department “{name}”? Tickets can no longer be assigned to it.")


def render(ctx, status=200, error=None, values=None):
    body = ctx.render("departments", title=ctx._("Departments"), rows=departments.listing(), error=error,
                      values=values or {})
    return respond(body, status)


@page("/departments", "view", nav=("Departments", 36))
def departments_page(ctx):
    return render(ctx)


def act(ctx, action, values, flash):
    """Run one change; a refusal or bad input shows the page again naming the field."""
    try:
        action()
    except InputError as exc:
        return render(ctx, exc.http_status, ctx.error_text(exc), values)
    ctx.redirect("/departments", "ok", flash)


@page("/departments", "settings", method="POST")
def department_add(ctx):
    values = {"name": ctx.form("name"), "head": ctx.form("head")}
    return act(ctx, lambda: departments.add(values["name"], values["head"] or None, actor=ctx.user.username,
                                            source=ctx.source),
               values, ctx._("Department {name} added.").format(name=values["name"]))


@page("/departments/head", "settings", method="POST")
def department_head(ctx):
    name, head = ctx.form("name"), ctx.form("head")
    return act(ctx, lambda: departments.set_head(name, head, actor=ctx.user.username, source=ctx.source),
               {}, ctx._("Saved."))


@page("/departments/remove", "settings", method="POST")
def department_remove(ctx):
    name = ctx.form("name")
    ask_first(ctx, ctx._(REMOVE_QUESTION).format(name=name), ctx._("Remove"), "/departments")
    return act(ctx, lambda: departments.remove(name, actor=ctx.user.username, source=ctx.source),
               {}, ctx._("Department {name} removed.").format(name=name))
