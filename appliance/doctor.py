"""`appliance doctor`: tell branch IT what is wrong, in one line per check.

The box's checks live in appliance/system/checks/ (daemons, modems and SIMs, clock, last
backup), a few core ones here; modem/, agi/ and web/ add theirs through the
`appliance.doctor` entry points: check(config) -> list of (status, what, detail)
with status 'ok', 'warn' or 'fail'. say() gives a line in the box's language.
"""
import shutil
import socket

from appliance import db as dbmod
from appliance.config import ensure_data_dir
from appliance.daemon import running_daemons
from appliance.errors import ApplianceError
from appliance.plugins import plugins
from appliance.system.checks import backups, daemons, in_language, modems, time_sync
from appliance.voice.days import calendar_check

MIN_FREE_MB = 500
LISTENERS = {"agi": "agi.listen", "web": "web.listen"}  # daemon -> the setting it listens on


def core_checks(config):
    results = []
    try:
        ensure_data_dir(config)
        results.append(("ok", "data_dir", f"{config.data_dir} is writable"))
    except ApplianceError as exc:
        return [("fail", "data_dir", str(exc))]
    free_mb = shutil.disk_usage(config.data_dir).free // 2**20
    results.append(("ok" if free_mb >= MIN_FREE_MB else "warn", "disk",
                    f"{free_mb} MB free in {config.data_dir}"))
    try:
        database = dbmod.open_database(config)
        pending = dbmod.pending_migrations(database)
        results.append(("ok", "database", config.database_url.split("@")[-1]))
        results.append(("warn" if pending else "ok", "migrations",
                        f"pending: {', '.join(pending)} (run appliance init)" if pending else "up to date"))
        if database.__class__.__name__ == "SqliteDatabase":
            check = database.execute_sql("PRAGMA quick_check").fetchone()[0]
            results.append(("ok" if check == "ok" else "fail", "database integrity", check))
        results.extend(modems.check(config))
        results.append(calendar_check())  # the calling windows' holidays: does the library know this year?
    except ApplianceError as exc:
        results.append(("fail", "database", str(exc)))
    results.extend(daemon_checks(config))
    results.extend(time_sync.check(config))
    results.extend(backups.check(config))
    for tool in ("espeak-ng", "sox"):
        results.append(("ok" if shutil.which(tool) else "warn", tool,
                         "installed" if shutil.which(tool) else "missing: prompts cannot be built"))
    return results


def daemon_checks(config):
    """Which daemons of this box run (their locks), and whether the FastAGI and
    web ports answer: a daemon that runs but does not answer is a failure."""
    known = list(plugins("appliance.daemons"))
    running = running_daemons(config.data_dir)
    results = daemons.check(config, known)
    for daemon, key in LISTENERS.items():
        if daemon not in known:
            continue
        listen = config[key]
        if answers(listen):
            results.append(("ok", key, f"{listen} answers"))
        else:
            why = "" if daemon in running else f" ({daemon} not running)"
            results.append(("fail" if daemon in running else "warn", key, f"nothing answers on {listen}{why}"))
    return results


def answers(listen, timeout=2.0):
    """Does something accept TCP connections at host:port? (0.0.0.0 is asked on 127.0.0.1)"""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


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
