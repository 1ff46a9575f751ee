"""`appliance doctor`: tell branch IT what is wrong, in one line per check.

The box's checks live in appliance/system/checks/ (daemons, modems and SIMs, clock, last
backup), a few core ones here; modem/, agi/ and web/ add theirs through the
`appliance.doctor` entry points: check(config) -> list of (status, what, detail)
with status 'ok', 'warn' or 'fail'. say() gives a line in the box's language.
"""
import shutil

from appliance.cluster.boxes import doctor_checks as cluster_checks
from appliance.daemon import running_daemons
from appliance.errors import N_
from appliance.plugins import plugins
from appliance.system.checks import (backups, daemons, database, in_language, listeners, modems, said, storage,
                                     time_sync)
from appliance.voice.days import calendar_check

PROMPT_TOOLS = ("espeak-ng", "sox")


def core_checks(config):
    results = storage.data_dir(config)
    if results[0][0] == "fail":
        return results
    results.extend(storage.disk(config))
    lines, database_ok = database.check(config)
    results.extend(lines)
    if database_ok:
        results.extend(modems.check(config))
        results.extend(cluster_checks(config))  # the database server and the other boxes' heartbeats
        results.append(calendar_check())  # the calling windows' holidays: does the library know this year?
    known = list(plugins("appliance.daemons"))
    results.extend(daemons.check(config, known))
    results.extend(listeners.check(config, known, running_daemons(config.data_dir)))
    results.extend(time_sync.check(config))
    results.extend(backups.check(config))
    for tool in PROMPT_TOOLS:
        results.append(("ok", tool, said(N_("installed"))) if shutil.which(tool) else
                       ("warn", tool, said(N_("missing: prompts cannot be built (apt-get install espeak-ng sox)"))))
    return results


answers = listeners.answers  # agi's dialer check and the dashboard ask them too
MIN_FREE_MB = storage.MIN_FREE_MB


def say(line, gettext):
    """(status, what, detail) with what and detail in the language of `gettext`."""
    status, what, detail = line
    return status, in_language(what, gettext), in_language(detail, gettext)


def box_gettext(language):
    """The gettext of the admin page's catalogue for `language` (web, through the
    appliance.texts entry point), or the English as it is without it."""
    for entry in plugins("appliance.texts").values():
        return entry.load()(language)
    return lambda text: text


def run_checks(config, plugin_checks):
    results = core_checks(config)
    for name, check in plugin_checks.items():
        try:
            results.extend(check(config))
        except Exception as exc:  # a broken check must not hide the others
            results.append(("fail", name, f"check failed: {type(exc).__name__}: {exc}"))
    return results
