"""`appliance doctor`: tell branch IT what is wrong, in one line per check.

Core checks live here; modem/, agi/ and web/ add theirs through the
`appliance.doctor` entry points: check(config) -> list of (status, what, detail)
with status 'ok', 'warn' or 'fail'.
"""
import shutil

from appliance import db as dbmod
from appliance.config import ensure_data_dir
from appliance.errors import ApplianceError

MIN_FREE_MB = 500


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
    except ApplianceError as exc:
        results.append(("fail", "database", str(exc)))
    ports = config.modem_ports()
    results.append(("ok" if ports else "warn", "modem ports",
                    f"{len(ports)} found: {', '.join(ports)}" if ports
                    else f"nothing matches {', '.join(config['modems.ports'])}"))
    for tool in ("espeak-ng", "sox"):
        results.append(("ok" if shutil.which(tool) else "warn", tool,
                         "installed" if shutil.which(tool) else "missing: prompts cannot be built"))
    return results


def run_checks(config, plugin_checks):
    results = core_checks(config)
    for name, check in plugin_checks.items():
        try:
            results.extend(check(config))
        except Exception as exc:  # a broken check must not hide the others
            results.append(("fail", name, f"check failed: {type(exc).__name__}: {exc}"))
    return results
