"""Stored times become instants: naive UTC (appliance/clock.py).

Until now every timestamp was written as the operating system's local time
(the clock had no zone set). This converts each DATETIME column of every table
from the OS zone it was written in to UTC, DST-aware, through the OS's own
rules (mktime). On a box whose OS zone is UTC, as the image sets it, the values
are already UTC and nothing is touched.

Converting a million-row message table takes a while, and smsd and the web may
be reading meanwhile, so it is not one transaction (atomic = False): rows go in
batches in short write transactions (a few milliseconds each), in key order,
and the last key done is committed with each batch in `clock_migration`, so a
run interrupted by a power cut resumes where it stopped instead of shifting
some rows twice. DATE columns (birthdays, due dates) are days, not instants,
and stay as they are. Written by hand.
"""
import datetime
import time

atomic = False

BATCH = 500
PROGRESS = "clock_migration"


def os_zone_is_utc():
    """Is the OS zone UTC all year (no offset now, no DST rule)?"""
    return time.localtime().tm_gmtoff == 0 and not time.daylight


def to_utc(value):
    """A naive OS-local datetime (or its SQLite text) as naive UTC, same type back."""
    if value is None:
        return None
    text = isinstance(value, str)
    moment = datetime.datetime.fromisoformat(value) if text else value
    moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)  # naive: the OS zone
    return str(moment) if text else moment


def instant_columns(db, table):
    return [c.name for c in db.get_columns(table)
            if c.data_type.lower() in ("datetime", "timestamp", "timestamp without time zone")]


def up(migrator, db):
    if os_zone_is_utc():
        return
    db.execute_sql(f"CREATE TABLE IF NOT EXISTS {PROGRESS} (table_name VARCHAR(255) PRIMARY KEY, "
                   "last_key VARCHAR(255), done INTEGER NOT NULL DEFAULT 0)")
    for table in sorted(db.get_tables()):
        if table in (PROGRESS, "schema_migration"):  # the runner's own history: not ours
            continue
        columns = instant_columns(db, table)
        keys = db.get_primary_keys(table)
        if columns and len(keys) == 1:
            convert_table(db, table, keys[0], columns)


def _progress(db, table):
    param = db.param
    row = db.execute_sql(f"SELECT last_key, done FROM {PROGRESS} WHERE table_name = {param}",
                         (table,)).fetchone()
    if row is None:
        db.execute_sql(f"INSERT INTO {PROGRESS} (table_name, last_key, done) VALUES ({param}, NULL, 0)",
                       (table,))
        return None, False
    return row[0], bool(row[1])


def _q(name):
    return f'"{name}"'


def convert_table(db, table, key, columns):
    param = db.param
    integer_key = any(c.name == key and "int" in c.data_type.lower() for c in db.get_columns(table))
    name = table
    with db.atomic():
        last, done = _progress(db, table)
    if done:
        return
    if last is not None and integer_key:
        last = int(last)
    select = ", ".join(_q(c) for c in [key] + columns)
    assign = ", ".join(f"{_q(c)} = {param}" for c in columns)
    table, key = _q(table), _q(key)
    while True:
        with db.atomic():  # one short transaction per batch, progress committed with it
            where = f"WHERE {key} > {param} " if last is not None else ""
            rows = db.execute_sql(f"SELECT {select} FROM {table} {where}ORDER BY {key} LIMIT {BATCH}",
                                  (last,) if last is not None else ()).fetchall()
            if rows:
                db.cursor().executemany(f"UPDATE {table} SET {assign} WHERE {key} = {param}",
                                        [tuple(to_utc(v) for v in row[1:]) + (row[0],) for row in rows])
                last = rows[-1][0]
            db.execute_sql(f"UPDATE {PROGRESS} SET last_key = {param}, done = {param} WHERE table_name = {param}",
                           (None if last is None else str(last), int(len(rows) < BATCH), name))
        if len(rows) < BATCH:
            return


def down(migrator, db):
    pass  # the OS zone they came from is not recorded; going back keeps UTC
