"""The dashboard: modems, queue depth, today's messages and calls, alarms."""
from .pages import page


@page("/", "view", nav=("Dashboard", 10))
def dashboard(ctx):
    return ctx.render("dashboard", title=ctx._("Dashboard"))
