"""`appliance doctor`: tell branch IT what is wrong, in one line per check.

Core checks live here; modem/, agi/ and web/ add theirs through the
`appliance.doctor` entry points: check(config) -> list of (status, what, detail)
with status 'ok', 'warn' or 'fail'.
"""
import shutil
import socket

from appliance import db as dbmod
from appliance.config import ensure_data_dir
from appliance.daemon import running_daemons
from appliance.errors import ApplianceError
from appliance.plugins import plugins
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
        results.append(modem_check(config))
        results.append(calendar_check())  # the calling windows' holidays: does the library know this year?
    except ApplianceError as exc:
        results.append(("fail", "database", str(exc)))
    results.extend(daemon_checks(config))
    for tool in ("espeak-ng", "sox"):
        results.append(("ok" if shutil.which(tool) else "warn", tool,
                         "installed" if shutil.which(tool) else "missing: prompts cannot be built"))
    return results


def modem_check(config):
    """The ports found, and the modems smsd took out of the pool, with its alarm."""
    from peewee import DatabaseError

    from appliance.sms.models import ModemStatus
    ports = config.modem_ports()
    if not ports:
        return ("warn", "modem ports", f"nothing matches {', '.join(config['modems.ports'])}")
    try:
        out = [m for m in ModemStatus.select().order_by(ModemStatus.port) if m.state in ("removed", "absent")]
    except DatabaseError:  # a database not migrated yet: the migrations line says so
        out = []
    found = f"{len(ports)} found"
    if not out:
        return ("ok", "modem ports", f"{found}: {', '.join(ports)}")
    removed = "; ".join(f"{m.port} {m.state}" + (f" ({m.alarm})" if m.alarm else "") for m in out)
    return ("fail" if len(out) >= len(ports) else "warn", "modem ports", f"{found}, out of the pool: {removed}")


def daemon_checks(config):
    """Which daemons of this box run (their locks), and whether the FastAGI and
    web ports answer: a daemon that runs but does not answer is a failure."""
    known = list(plugins("appliance.daemons"))
    running = running_daemons(config.data_dir)
    stopped = [name for name in known if name not in running]
    detail = f"running: {', '.join(running) or 'none'}" + (f"; not running: {', '.join(stopped)}" if stopped else "")
    results = [("warn" if stopped else "ok", "daemons", detail)]
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


def run_checks(config, plugin_checks):
    results = core_checks(config)
    for name, check in plugin_checks.items():
        try:
            results.extend(check(config))
        except Exception as exc:  # a broken check must not hide the others
            results.append(("fail", name, f"check failed: {type(exc).__name__}: {exc}"))
    return results
