"""The dashboard: modems, queue depth, today's messages and calls, alarms, and the
health of the box (its daemons by their locks, Asterisk's manager interface, the
disk of data_dir). Several boxes on one database: every box with its heartbeat, and
every box's modems named BOX/gsm0 (a silent box is an alarm). static/dashboard.js keeps it
current from /dashboard.json without a reload, the modems table too.

The sending capacity panel (发送能力) shows today's capacity and the stored forecast of the
next notice runs (the services daemon works it out; the page only reads it).

Every number here is cheap on a big database: counts are over today's rows
(indexed by created_at) or capped, never over the whole message table.
"""
import shutil

import peewee

from appliance import clock, doctor
from appliance.cluster import boxes as cluster
from appliance.daemon import running_daemons
from appliance.ivr.models import PolicyLockout
from appliance.models import Staff
from appliance.plugins import plugins
from appliance.services import forecast
from appliance.sms import capacity, models as messages
from appliance.sms.models import InboundMessage, Message
from web import words
from web.pages import N_, page
from web.pages.settings import RESTART_LABELS

SILENT_BOX = N_("Box {name} has been silent for {seconds} s: the messages it was sending are marked unknown (never sent again); the other boxes send its queued messages.")  # noqa: E501
POLICY_LOCKOUT = N_("IVR lockout: {n} policy(ies) locked after failed phone verifications (alert tickets in Tickets).")
AMI_TIMEOUT = 1.0  # seconds: the dashboard asks on every refresh; a local refusal is instant

CAPACITY = N_("Today the {sims} SIM(s) in service can still send {day} SMS parts ({window} within the marketing window), about {seconds} s a part; {queued} parts are queued.")  # noqa: E501
CAPACITY_SHORT = N_("{short} queued parts cannot go today and wait for a later day.")
CAPACITY_SMPP = N_("The SMPP account ({rate} parts/s, {state}) can still send {day} parts today ({window} within the marketing window).")  # noqa: E501
# The SMPP link's state in words (appliance.sms.capacity.smpp_link).
SMPP_STATES = {"in service": N_("connected"), "recently in service": N_("connected a moment ago"),
               "not connected": N_("not connected yet, counted"), "out of service": N_("out of service, not counted")}
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
        rows = list(model.select().order_by(model.box, model.port))
    except peewee.DatabaseError:  # smsd's table not migrated yet
        return []
    several = len({m.box for m in rows}) > 1  # every box has a gsm0: then BOX/gsm0
    return [dict(port=f"{m.box}/{m.port}" if several else m.port, state=m.state, sim_state=m.sim_state,
                 operator=m.operator or m.carrier, registration=m.registration, signal_dbm=m.signal_dbm,
                 bars=signal_bars(m.signal_dbm), sent_today=m.sent_today, alarm=m.alarm, updated_at=m.updated_at)
            for m in rows]


def box_rows(config):
    """Every box on the database with its heartbeat (one box alone: no table shown)."""
    try:
        return cluster.listing(config["box.heartbeat_timeout"])
    except peewee.DatabaseError:  # not migrated yet
        return []


def modem_views(ctx, modems):
    """The modems table's rows as the reader sees them (texts in words), the same for the
    page and the JSON static/dashboard.js refreshes the table from."""
    return [{"port": m["port"], "state": m["state"], "state_text": ctx._(m["state"]),
             "sim": words.sim_words(ctx._, m["sim_state"]) or "-", "operator": m["operator"] or "-",
             "registration": words.registration_words(ctx._, m["registration"]),
             "signal": "" if m["signal_dbm"] is None else str(m["signal_dbm"]), "bars": m["bars"],
             "sent_today": str(m["sent_today"]),
             "updated": ctx.when(m["updated_at"], "%H:%M:%S") if m["updated_at"] else ""} for m in modems]


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


def alarms(ctx, modems, boxes=()):
    found = [ctx._(SILENT_BOX).format(name=b["name"], seconds=int(b["seconds_since_beat"]))
             for b in boxes if not b["alive"]]
    for m in modems:
        if m["alarm"]:
            found.append(ctx._("Modem {port}: {alarm}").format(port=m["port"], alarm=m["alarm"]))
        elif m["sim_state"] and m["sim_state"] != "READY":
            found.append(ctx._("Modem {port}: SIM {state}").format(port=m["port"],
                                                                   state=words.sim_words(ctx._, m["sim_state"])))
    if not modems:
        found.append(ctx._("No modem has reported yet: is the SMS service running?"))
    unknown = capped_count(Message.select(Message.id).where(Message.state == "unknown"))
    if unknown:
        found.append(ctx._("{n} message(s) in state unknown need a decision (sent or not?).").format(n=unknown))
    return found + lockout_alarms(ctx)


def lockout_alarms(ctx, now=None):
    """The IVR's lockouts in force: policies after failed phone verifications (each
    also opened an alert ticket) and staff PINs after wrong PINs."""
    now = now or clock.now()
    found = []
    policies = PolicyLockout.select().where(PolicyLockout.locked_until > now).count()
    if policies:
        found.append(ctx._(POLICY_LOCKOUT).format(n=policies))
    staff = Staff.select().where(Staff.pin_locked_until > now).count()
    if staff:
        found.append(ctx._("IVR lockout: {n} staff PIN(s) locked after wrong PINs.").format(n=staff))
    return found


def health(ctx):
    """[{key, label, state ok|warn|fail, text}]: each daemon, the AMI, the disk."""
    running = set(running_daemons(ctx.config.data_dir))
    rows = [{"key": name, "label": ctx._(RESTART_LABELS.get(name, name)),
             "state": "ok" if name in running else "fail",
             "text": ctx._("is running") if name in running else ctx._("is not running")}
            for name in sorted(plugins("appliance.daemons"))]
    ami = ctx.config["voice.ami"]
    reachable = doctor.answers(ami, timeout=AMI_TIMEOUT)
    rows.append({"key": "ami", "label": ctx._("Asterisk (manager interface)"), "state": "ok" if reachable else "fail",
                 "text": (ctx._("reachable at {address}") if reachable else ctx._("not reachable at {address}"))
                 .format(address=ami)})
    free_mb = shutil.disk_usage(ctx.config.data_dir).free // 2**20
    rows.append({"key": "disk", "label": ctx._("Disk of the data directory"),
                 "state": "ok" if free_mb >= doctor.MIN_FREE_MB else "warn",
                 "text": ctx._("{free} MB free").format(free=free_mb)})
    return rows


def state(ctx):
    """Everything the page shows that changes: rendered once, then polled as JSON."""
    today = clock.today()
    modems = modem_rows()
    boxes = box_rows(ctx.config)
    queue = capped_count(Message.select(Message.id).where(Message.state.in_(("queued", "sending"))))
    new_inbox = capped_count(InboundMessage.select(InboundMessage.id).where(InboundMessage.state == "new"))
    counts = today_counts(today)
    rows = health(ctx)
    found = alarms(ctx, modems, boxes) + [ctx._("{what}: {text}").format(what=r["label"], text=r["text"])
                                   for r in rows if r["state"] == "warn" and r["key"] == "disk"]
    return {"modems": modems, "boxes": boxes if len(boxes) > 1 else [], "queue": queue, "today": counts, "calls": calls_today(today),
            "new_inbox": new_inbox, "alarms": found, "health": rows}


def shown_numbers(values):
    """The stat boxes' texts, by data-field (the same for the page and the JSON)."""
    def capped(n):
        return f"{QUEUE_CAP}+" if n > QUEUE_CAP else str(n)
    today = values["today"]
    numbers = {"queue": capped(values["queue"]), "sent": str(today["sent"] + today["delivered"]),
               "delivered": str(today["delivered"]), "failed": str(today["failed"]),
               "new_inbox": capped(values["new_inbox"])}
    if values["calls"] is not None:
        numbers["calls"] = str(values["calls"])
    return numbers


def capacity_text(ctx):
    """Today's sending capacity in words (appliance.sms.capacity; the forecast is `appliance sms capacity`)."""
    report = capacity.outlook(ctx.config, days=1)
    today = report["days"][0]
    text = ctx._(CAPACITY).format(sims=len(report["sims"]), day=today["modem_day"], window=today["modem_window"],
                                  seconds=f"{float(report['seconds_per_part']):g}", queued=report["queued"])
    link = report["smpp"]
    if link["enabled"] and link["state"] != "off":
        text += ("" if ctx.lang == "zh" else " ") + ctx._(CAPACITY_SMPP).format(
            rate=f"{float(link['rate']):g}", state=ctx._(SMPP_STATES[link["state"]]),
            day=today["smpp_day"], window=today["smpp_window"])
    if report["queued"] > today["day"]:
        text += ("" if ctx.lang == "zh" else " ") + ctx._(CAPACITY_SHORT).format(short=report["queued"] - today["day"])
    return text


FORECAST_AT = N_("The next notice runs, as the services daemon worked them out at {time} (the run's own planner):")
NO_FORECAST = N_("No forecast yet: the services daemon works it out after each notice run, else hourly.")


def forecast_rows(ctx):
    """The stored forecast of the next notice runs (appliance/services/forecast.py), one row a
    day: what it will queue per class (SMS and parts) and what it holds; never worked out here."""
    try:
        days = forecast.stored(clock.today())
    except peewee.DatabaseError:  # not migrated yet
        return [], ""
    rows = []
    for f in days:
        held = f.get("held") or {}
        rows.append({"date": f["date"].isoformat(),
                     "service": f"{f['service']} ({f['service_parts']})",
                     "greetings": f"{f['greetings']} ({f['greeting_parts']})",
                     "held": str(held.get("notices", 0)),
                     "not_sent": str(sum(g["not_sent"] for g in held.get("greetings", [])))})
    note = ctx._(FORECAST_AT).format(time=ctx.when(days[0]["computed_at"], "%m-%d %H:%M")) if days \
        else ctx._(NO_FORECAST)
    return rows, note


@page("/", "view", nav=("Dashboard", 10))
def dashboard(ctx):
    values = state(ctx)
    values["modems"] = modem_views(ctx, values["modems"])
    return ctx.render("dashboard", title=ctx._("Dashboard"), numbers=shown_numbers(values),
                      capacity=capacity_text(ctx), forecast=forecast_rows(ctx),
                      updated=ctx.when(clock.now(), "%H:%M:%S"), **values)


@page("/dashboard.json", "view")
def dashboard_json(ctx):
    values = state(ctx)
    return {"numbers": shown_numbers(values), "alarms": values["alarms"], "health": values["health"],
            "modems": modem_views(ctx, values["modems"]), "no_modems": ctx._("No modems."),
            "no_alarms": ctx._("No alarms."), "updated": ctx.when(clock.now(), "%H:%M:%S")}
