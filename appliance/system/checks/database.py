"""The database: reachable (SQLite file or PostgreSQL server), migrated, and whole
(SQLite's PRAGMA quick_check; PostgreSQL checks its own pages)."""
from peewee import DatabaseError

from appliance import db as dbmod
from appliance.errors import N_, ApplianceError
from appliance.system.checks import said


def check(config):
    """(lines, database or None): later checks read the database only when it answered."""
    where = config.database_url.split("@")[-1]  # never the password
    try:
        database = dbmod.open_database(config)
        pending = dbmod.pending_migrations(database)
    except (ApplianceError, DatabaseError) as exc:
        return [("fail", said(N_("database")), said(N_("{where} does not answer ({why}): check database.url and that the server runs"), where=where,
                                                    why=str(exc).strip().splitlines()[0][:160]))], None
    lines = [("ok", said(N_("database")), where)]
    if pending:
        lines.append(("warn", said(N_("migrations")), said(N_("pending: {names} (run appliance init)"),
                                                           names=", ".join(pending))))
    else:
        lines.append(("ok", said(N_("migrations")), said(N_("up to date"))))
    if database.__class__.__name__ == "SqliteDatabase":
        result = database.execute_sql("PRAGMA quick_check").fetchone()[0]
        if result == "ok":
            lines.append(("ok", said(N_("database integrity")), "ok"))
        else:
            lines.append(("fail", said(N_("database integrity")),
                          said(N_("{result}: stop the daemons and restore the last backup (appliance restore)"),
                               result=result)))
    return lines, database
