"""The modems smsd sees, their SIMs and signal, from the database's modem state (smsd
writes it; the doctor never opens a serial port a daemon holds)."""
from peewee import DatabaseError

from appliance.errors import N_
from appliance.system.checks import said

WEAK_DBM = -105  # below this a submit often times out; -113 is no signal at all


def check(config):
    from appliance.cluster.identity import box_name
    from appliance.sms.models import ModemStatus
    ports = config.modem_ports()
    what = said(N_("modem ports"))
    if not ports:
        return [("warn", what, said(N_("no port matches {globs}: plug the modems in, or set modems.ports"),
                                    globs=", ".join(config["modems.ports"])))]
    try:
        # The SMPP bearer's row (port 'smpp') is no modem: appliance.sms.smpp_doctor has its own line.
        rows = list(ModemStatus.select().where(ModemStatus.box.in_((box_name(config), "")), ModemStatus.port != "smpp")
                    .order_by(ModemStatus.port))
    except DatabaseError:  # a database not migrated yet: the migrations line says so
        rows = []
    lines = [_pool(ports, rows, what)]
    for row in rows:
        if row.state in ("removed", "absent"):
            continue
        lines.extend(_sim_and_signal(row))
    return lines


def _pool(ports, rows, what):
    out = [r for r in rows if r.state in ("removed", "absent")]
    if not out:
        return ("ok", what, said(N_("{count} found: {ports}"), count=len(ports), ports=", ".join(ports)))
    removed = "; ".join(f"{m.port} {m.state}" + (f" ({m.alarm})" if m.alarm else "") for m in out)
    return ("fail" if len(out) >= len(ports) else "warn", what,
            said(N_("{count} found, out of the pool: {removed}; see appliance modem list"),
                 count=len(ports), removed=removed))


def _sim_and_signal(row):
    lines = []
    sim = said(N_("SIM in {port}"), port=row.port)
    if row.sim_state and row.sim_state != "READY":
        todo = {"SIM PIN": N_("{state}: set modems.pin"), "SIM PUK": N_("{state}: the SIM is blocked; unblock it in a phone"),
                "NOT INSERTED": N_("{state}: insert a SIM")}.get(row.sim_state, N_("{state}: check the SIM"))
        lines.append(("fail", sim, said(todo, state=row.sim_state)))
    elif row.registration in ("denied", "searching", "not registered"):
        lines.append(("warn", sim, said(N_("not registered ({registration}): check the SIM's service with its carrier"),
                                        registration=row.registration)))
    if row.signal_dbm is not None and row.signal_dbm < WEAK_DBM:
        lines.append(("warn", said(N_("signal in {port}"), port=row.port),
                      said(N_("{dbm} dBm is weak: move the antenna or the box"), dbm=row.signal_dbm)))
    return lines
