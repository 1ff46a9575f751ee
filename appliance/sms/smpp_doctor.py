"""`appliance doctor`'s SMPP line (entry point appliance.doctor `smpp`): is the bearer's
link bound, and if not, why (what the daemon last wrote in its row of the modem table)."""
import datetime

import peewee

from appliance import clock
from appliance.cluster.identity import box_name
from appliance.errors import N_
from appliance.sms.models import ModemStatus
from appliance.system.checks import said

# The daemon writes its row every 2 s while it runs: older than this, it is not running.
STALE = datetime.timedelta(seconds=30)


def doctor_check(config, now=None):
    what = said(N_("SMPP link"))
    if not config["smpp.enabled"]:
        return [("ok", what, said(N_("off (smpp.enabled): SMS go through the modems only")))]
    try:
        row = ModemStatus.get_or_none(ModemStatus.box == box_name(config), ModemStatus.port == "smpp")
    except peewee.DatabaseError:  # a database not migrated yet: the migrations line says so
        row = None
    now = now or clock.now()
    if row is None or now - row.updated_at > STALE:
        return [("fail", what, said(N_("the smpp daemon is not running: systemctl status appliance-smpp")))]
    if row.state != "ok":
        return [("fail", what, said(N_("not bound to {host}:{port}: {why}"), host=config["smpp.host"],
                                    port=config["smpp.port"], why=row.alarm))]
    return [("ok", what, said(N_("bound to {host}:{port} as {system_id}; {n} part(s) sent today"),
                              host=config["smpp.host"], port=config["smpp.port"],
                              system_id=config["smpp.system_id"], n=row.sent_today))]
