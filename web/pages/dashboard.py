"""The dashboard: modems, queue depth, today's messages and calls, alarms.

Every number here is cheap on a big database: counts are over today's rows
(indexed by created_at) or capped, never over the whole message table.
"""

import peewee

from appliance import clock
from appliance.sms import models as messages
from appliance.sms.models import InboundMessage, Message
from web.pages import page

QUEUE_CAP = 10000  # beyond this the dashboard says "10000+" instead of counting on


def signal_bars(dbm):
    """0-5 bars from a signal strength in dBm (the thresholds phones use)."""
    if dbm is None:
        return 0
    for bars, floor in ((5, -73), (4, -83), (3, -93), (2, -103), (1, -109)):
        if dbm >= floor:
            return bars
    return 0


def capped_count(query, cap=QUEUE_CAP):
    """COUNT over at most cap+1 rows: a big backlog does not make the page slow."""
    return query.limit(cap + 1).count()


def modem_rows():
    model = getattr(messages, "ModemStatus", None)  # written by smsd
    if model is None:
        return []
    try:
        return [dict(port=m.port, state=m.state, sim_state=m.sim_state, operator=m.operator or m.carrier,
                     registration=m.registration, signal_dbm=m.signal_dbm, bars=signal_bars(m.signal_dbm),
                     sent_today=m.sent_today, alarm=m.alarm, updated_at=m.updated_at)
                for m in model.select().order_by(model.port)]
    except peewee.DatabaseError:  # smsd's table not migrated yet
        return []


def today_counts(today):
    start = clock.day_start(today)  # the box's day, as an instant
    # Grouped by state || '' on purpose: grouped by the bare column, SQLite walks the
    # whole (state, priority, id) index instead of today's rows (140 ms at 200k rows).
    state = Message.state.concat("")
    rows = (Message.select(state, peewee.fn.COUNT(Message.id))
            .where(Message.created_at >= start).group_by(state).tuples())
    counts = dict(rows)
    return {"queued": counts.get("queued", 0) + counts.get("sending", 0),
            "sent": counts.get("sent", 0), "delivered": counts.get("delivered", 0),
            "failed": counts.get("failed", 0) + counts.get("expired", 0),
            "total": sum(counts.values())}


def calls_today(today):
    try:
        from appliance.ivr.models import Call
    except ImportError:
        return None
    start = clock.day_start(today)  # the box's day, as an instant
    return Call.select().where(Call.started_at >= start).count()


def alarms(ctx, modems):
    found = []
    for m in modems:
        if m["alarm"]:
            found.append(ctx._("Modem {port}: {alarm}").format(port=m["port"], alarm=m["alarm"]))
        elif m["sim_state"] and m["sim_state"] != "READY":
            found.append(ctx._("Modem {port}: SIM {state}").format(port=m["port"], state=m["sim_state"]))
    if not modems:
        found.append(ctx._("No modem has reported yet: is smsd running?"))
    unknown = capped_count(Message.select(Message.id).where(Message.state == "unknown"))
    if unknown:
        found.append(ctx._("{n} message(s) in state unknown need a decision (sent or not?).").format(n=unknown))
    return found


@page("/", "view", nav=("Dashboard", 10))
def dashboard(ctx):
    today = clock.today()
    modems = modem_rows()
    queue = capped_count(Message.select(Message.id).where(Message.state.in_(("queued", "sending"))))
    new_inbox = capped_count(InboundMessage.select(InboundMessage.id).where(InboundMessage.state == "new"))
    return ctx.render("dashboard", title=ctx._("Dashboard"), modems=modems, queue=queue, cap=QUEUE_CAP,
                      today=today_counts(today), calls=calls_today(today), new_inbox=new_inbox,
                      alarms=alarms(ctx, modems))
