"""How old is the newest backup? The nightly timer makes one a day."""
from appliance import clock
from appliance.errors import N_
from appliance.system.checks import said
from appliance.system.nightly_backup import last_backup

MAX_AGE_HOURS = 48  # a night missed is a warning, not yet a failure


def check(config, now=None):
    what = said(N_("last backup"))
    newest = last_backup(config)
    if newest is None:
        return [("warn", what, said(N_("none yet: run appliance backup, or wait for the nightly timer (systemctl list-timers appliance-backup.timer)")))]
    path, taken = newest
    hours = max(0, int(((now or clock.now()) - taken).total_seconds() // 3600))
    if hours > MAX_AGE_HOURS:
        return [("warn", what, said(N_("{name}, {hours} hours old: see systemctl status appliance-backup.service"),
                                    name=path.name, hours=hours))]
    return [("ok", what, said(N_("{name}, {hours} hours old"), name=path.name, hours=hours))]
