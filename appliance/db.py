"""The database: one peewee proxy every model binds to, opened from a URL.

SQLite (the embedded default) runs in WAL mode with a busy timeout, foreign keys
on and synchronous=FULL, because a committed state change must survive a power
cut before the modem or the phone line acts on it. The same models run on
PostgreSQL given a postgresql:// URL.
"""
import functools
import logging
import random
import time
from pathlib import Path

import peewee
from playhouse.db_url import connect as url_connect
from playhouse.migrations import Runner

from appliance.config import ensure_data_dir
from appliance.errors import ApplianceError, ConfigError

log = logging.getLogger(__name__)

database = peewee.DatabaseProxy()
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


def sqlite_pragmas(busy_timeout_ms):
    return {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": busy_timeout_ms,
        "synchronous": "full",
    }


def open_database(config):
    """Open the configured database and bind the models to it."""
    url = config.database_url
    try:
        if url.startswith("sqlite:///"):
            db = peewee.SqliteDatabase(url[len("sqlite:///"):],
                                       pragmas=sqlite_pragmas(config["database.busy_timeout_ms"]),
                                       timeout=config["database.busy_timeout_ms"] / 1000)
        else:
            db = url_connect(url)
        db.connect(reuse_if_open=True)
    except (peewee.OperationalError, RuntimeError, ValueError, ImportError) as exc:
        raise ConfigError(f"cannot open database.url: {exc}", field="database.url") from None
    database.initialize(db)
    return db


def open_and_migrate(config):
    """Open the configured database and apply pending migrations (idempotent):
    what every command and daemon does before it touches a table."""
    ensure_data_dir(config)
    db = open_database(config)
    migrate(db)
    return db


def migrate(db=None):
    """Apply pending numbered migrations; returns their names. Idempotent."""
    runner = Runner(db or database.obj, str(MIGRATIONS_DIR))
    applied = runner.up()
    for name in applied:
        log.info("applied migration %s", name)
    return applied


def pending_migrations(db=None):
    runner = Runner(db or database.obj, str(MIGRATIONS_DIR))
    return [m.name for m in runner.status() if not m.applied]


def write_transaction(db=None):
    """A transaction that takes the write lock at once on SQLite (BEGIN IMMEDIATE),
    so a read-then-update claim cannot be overtaken by another writer."""
    db = db or database.obj
    if isinstance(db, peewee.SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


# --- a busy database ---------------------------------------------------------------

RETRY_WAITS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8)  # seconds; about 1.6 s in all before giving up


class Busy(ApplianceError):
    """The database stayed busy (another writer held the lock) through every retry."""

    http_status = 503


def is_busy(exc):
    """Is this SQLite's "database is locked/busy" or a PostgreSQL serialization
    failure or deadlock: an error that the same work, tried again, may not meet?"""
    if isinstance(exc, Busy):
        return True
    if not isinstance(exc, (peewee.OperationalError, peewee.InternalError)):
        return False
    code = getattr(getattr(exc, "orig", None), "pgcode", None) or getattr(exc, "pgcode", None)
    if code in ("40001", "40P01", "55P03"):
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def retrying(work, *args, waits=RETRY_WAITS, **kwargs):
    """work(*args, **kwargs), tried again after a short wait while the database is
    busy (its transaction rolled back whole, so trying again is safe). Raises Busy
    when every try met a busy database. Every writer of every daemon goes through
    this (or write_transaction's callers through retry_writes)."""
    for wait in (*waits, None):
        try:
            return work(*args, **kwargs)
        except Exception as exc:
            if not is_busy(exc) or database.obj is not None and database.in_transaction():
                raise  # an outer transaction must roll back whole: its caller retries
            if wait is None:
                raise Busy("database: busy (another writer held it); try again") from None
            log.debug("database busy; trying again in %.2f s", wait)
            pause(wait * (0.5 + random.random()))


def pause(seconds):
    """The wait between tries (tests replace it to act at that moment)."""
    time.sleep(seconds)


def retry_writes(function):
    """Decorator: the function's work is retried while the database is busy."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return retrying(function, *args, **kwargs)
    return wrapper
