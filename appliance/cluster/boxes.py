"""Each box's heartbeat in the shared database, and what the others read from it.

A box's smsd beats its `box` row every few seconds (beat). A box silent for longer than
`box.heartbeat_timeout` is dead to the others (dead_boxes): they take over what it held — its
`sending` parts become `unknown` (appliance.sms.delivery.recover_dead_boxes), and its queued
work, which no box owns, is sent by whoever is alive. Clocks: every box stamps its beat with
its own clock and the others compare with theirs, so the timeout must be well above the boxes'
clock skew (NTP keeps it to milliseconds; the default is a minute).
"""
import datetime
from importlib import metadata

import peewee

from appliance import clock, db as dbmod
from appliance.cluster.identity import box_name
from appliance.cluster.models import Box
from appliance.errors import N_, InputError
from appliance.system.checks import said


def version():
    try:
        return metadata.version("insurance-branch-appliance")
    except metadata.PackageNotFoundError:
        return ""


def beat(name, now=None, starting=False):
    """Record that box `name` is alive (inside or outside a write transaction)."""
    now = now or clock.now()
    update = {Box.last_beat: now, Box.version: version()}
    if starting:
        update[Box.started_at] = now
    with dbmod.write_transaction():
        Box.insert(name=name, started_at=now, last_beat=now, version=version()).on_conflict(
            conflict_target=[Box.name], update=update).execute()


def beat_interval(timeout_seconds):
    """How often a box beats: a quarter of the timeout, so one late beat never looks like death."""
    return datetime.timedelta(seconds=max(0.2, min(10.0, timeout_seconds / 4)))


def dead_boxes(timeout_seconds, besides="", now=None):
    """Names of the boxes silent for longer than the lease (but `besides`, this box)."""
    cutoff = (now or clock.now()) - datetime.timedelta(seconds=timeout_seconds)
    return [name for (name,) in Box.select(Box.name).where(Box.last_beat < cutoff, Box.name != besides).tuples()]


def listing(timeout_seconds, now=None):
    """Every box known, with `alive` and how many seconds ago it last beat."""
    now = now or clock.now()
    rows = []
    for box in Box.select().order_by(Box.name):
        ago = (now - box.last_beat).total_seconds()
        rows.append({"name": box.name, "alive": ago <= timeout_seconds, "seconds_since_beat": round(ago, 1),
                     "last_beat": box.last_beat, "started_at": box.started_at, "version": box.version})
    return rows


def doctor_checks(config):
    """`appliance doctor`: the database server answering (its version), and every other
    box's heartbeat, one line each. (status, what, detail) lines as appliance.doctor
    expects, said in the box's language (appliance.system.checks)."""
    db = dbmod.database.obj
    what = said(N_("database server"))
    try:
        if isinstance(db, peewee.SqliteDatabase):
            version = db.execute_sql("SELECT sqlite_version()").fetchone()[0]
            server = ("ok", what, said(N_("SQLite {version} (one box; several boxes need PostgreSQL)"),
                                       version=version))
        else:
            version = db.execute_sql("SHOW server_version").fetchone()[0]
            server = ("ok", what, said(N_("PostgreSQL {version}"), version=version))
    except peewee.DatabaseError as exc:
        return [("fail", what, str(exc).strip().splitlines()[0][:160])]
    try:
        others = [b for b in listing(config["box.heartbeat_timeout"]) if b["name"] != box_name(config)]
    except peewee.DatabaseError:  # not migrated yet: the migrations line says so
        return [server]
    if not others:
        return [server, ("ok", said(N_("other boxes")), said(N_("none on this database")))]
    return [server] + [_box_line(b) for b in others]


def _box_line(box):
    what = said(N_("box {name}"), name=box["name"])
    seconds = int(box["seconds_since_beat"])
    if box["alive"]:
        return ("ok", what, said(N_("alive (last heartbeat {seconds} s ago)"), seconds=seconds))
    return ("warn", what, said(N_("SILENT for {seconds} s: its messages in flight are marked unknown and the other boxes send its queued ones; see whether its smsd runs (appliance doctor on that box)"), seconds=seconds))  # noqa: E501


def forget(name, timeout_seconds, now=None):
    """Remove a box taken out of service: its heartbeat row and its modems' health rows, so
    it is no longer shown silent. Refused for a box still beating, and for one whose parts
    in flight are not resolved yet (the others mark them `unknown` once it is silent)."""
    from appliance.sms.models import MessagePart, ModemStatus
    now = now or clock.now()
    with dbmod.write_transaction():
        box = Box.get_or_none(Box.name == name)
        if box is None:
            raise InputError.of(N_("{field}: no box named {name!r} on this database"), field="box", name=name)
        if (now - box.last_beat).total_seconds() <= timeout_seconds:
            raise InputError.of(N_("{field}: {name} is alive (it beat {seconds:.0f} s ago); stop its smsd first"),
                                field="box", name=name, seconds=(now - box.last_beat).total_seconds())
        if MessagePart.select().where(MessagePart.state == "sending", MessagePart.claimed_by == name).exists():
            raise InputError.of(N_("{field}: {name} still has parts in flight; the other boxes mark them unknown within seconds: try again"),
                                field="box", name=name)
        modems = ModemStatus.delete().where(ModemStatus.box == name).execute()
        box.delete_instance()
    return modems
