"""Backup and restore of an appliance: one .tar.gz with a consistent database
snapshot, the files in data_dir (prompts, recordings, certificates) and the
configuration file.

The snapshot is an online copy, so daemons may keep running while a backup is
taken: SQLite's backup API (data/appliance.db), or on PostgreSQL a
`pg_dump --format=custom` of the configured database (postgres/appliance.pgdump).
Restore checks the archive before it touches anything, refuses while any daemon
of the box runs (their locks in data_dir/run, see appliance.daemon) and keeps a
complete copy of the database it replaces next to it (appliance.db.before-restore-STAMP,
or a pg_dump of the PostgreSQL database, appliance.pgdump.before-restore-STAMP).

Several boxes may share one PostgreSQL database, and only this box's daemons can be
seen: a PostgreSQL restore replaces the database for every box using it, so it is
refused unless the caller says it knows (all_boxes, `--yes-all-boxes`). It runs
`pg_restore --clean --if-exists --single-transaction`: one that fails leaves the
database as it was. The password in database.url reaches pg_dump/pg_restore only in
their environment (PGPASSWORD), never on a command line or in a message.
"""
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from appliance import clock
from appliance.daemon import all_stopped
from appliance.errors import N_, InputError
from appliance.plugins import plugins
from appliance.system.archives import extract_all

DB_NAME = "appliance.db"
PG_DUMP_NAME = "appliance.pgdump"  # a pg_dump --format=custom file
PG_MEMBER = f"postgres/{PG_DUMP_NAME}"
SKIP = {DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"}
SKIP_DIRS = {"backups", "run"}  # earlier backups; the daemons' locks
KEPT = (DB_NAME + ".before-restore", PG_DUMP_NAME + ".before-restore")  # copies restore kept


def _stamp():
    return clock.format(clock.now(), "%Y%m%d-%H%M%S")  # file names: the box's time


def _sqlite_path(config):
    """The SQLite database file, or None when database.url is PostgreSQL."""
    url = config.database_url
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if _is_postgres(url):
        return None
    raise InputError.of(N_("{field}: backup and restore handle SQLite and PostgreSQL databases"), field="database.url")


def _is_postgres(url):
    return urlsplit(url).scheme.split("+")[0] in ("postgres", "postgresql", "postgresext")


def _pg_target(url):
    """(libpq URI without the password, environment with PGPASSWORD when the URL has one)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostport = netloc.rsplit("@", 1)
        user, sep, password = userinfo.partition(":")
        if sep:
            env["PGPASSWORD"] = unquote(password)
        netloc = f"{user}@{hostport}" if user else hostport
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), env


def _pg_run(tool, args, url, what):
    """Run pg_dump or pg_restore (against the database at `url` unless None); InputError
    naming the tool and its first error line when it is missing or fails."""
    exe = shutil.which(tool)
    if not exe:
        raise InputError(f"{what}: {tool} not found (install the PostgreSQL client tools, "
                         f"Debian package postgresql-client, matching the server's version)")
    argv, env = [exe, *args], None
    if url is not None:
        dbname, env = _pg_target(url)
        argv.append(f"--dbname={dbname}")
    proc = subprocess.run(argv, check=False, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        first = next((line for line in lines if "error" in line.lower() or "fatal" in line.lower()),
                     lines[0] if lines else f"exit code {proc.returncode}")
        raise InputError(f"{what}: {tool} failed: {first}")


def _pg_dump(config, path, what):
    """A consistent online copy of the whole configured PostgreSQL database."""
    _pg_run("pg_dump", ["--format=custom", f"--file={path}"], config.database_url, what)


def _data_files(config):
    """(path, name in data_dir) of each file a backup holds besides the database."""
    for path in sorted(config.data_dir.rglob("*")):
        rel = path.relative_to(config.data_dir)
        if (path.is_file() and rel.parts[0] not in SKIP_DIRS and path.name not in SKIP
                and not path.name.startswith((*KEPT, ".write-test"))):
            yield path, rel


def backup(config, output=None):
    """Write a backup archive; returns its path."""
    db_path = _sqlite_path(config)
    if db_path is not None and not db_path.exists():
        raise InputError(f"database {db_path} does not exist; nothing to back up")
    output = Path(output or config.data_dir / "backups" / f"appliance-{_stamp()}.tar.gz")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if db_path is None:
            snapshot, member = Path(tmp) / PG_DUMP_NAME, PG_MEMBER
            _pg_dump(config, snapshot, "backup")
        else:
            snapshot, member = Path(tmp) / DB_NAME, f"data/{DB_NAME}"
            src = sqlite3.connect(db_path)
            dst = sqlite3.connect(snapshot)
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
        partial = output.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(snapshot, arcname=member)
            for path, rel in _data_files(config):
                tar.add(path, arcname=f"data/{rel}")
            if config.path:
                tar.add(config.path, arcname="config/appliance.toml")
        partial.rename(output)  # a half-written archive never looks like a backup
    return output


def _check_snapshot(path):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"backup: the database in the archive is unreadable ({exc})") from None
    if result != "ok":
        raise InputError(f"backup: the database in the archive is damaged ({result})")


def _copy_database(db_path, kept):
    """A complete copy of the database, what its WAL holds included: through the
    backup API, or (a database too damaged to read) the file and its WAL side by side."""
    try:
        src = sqlite3.connect(db_path)
        dst = sqlite3.connect(kept)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
    except sqlite3.DatabaseError:
        shutil.copy2(db_path, kept)
        wal = Path(str(db_path) + "-wal")
        if wal.exists():
            shutil.copy2(wal, str(kept) + "-wal")


def restore(config, archive, all_boxes=False):
    """Restore data_dir and the database from an archive; returns the path the old
    database was kept at. Refuses (InputError) while a daemon of this box runs; none can
    start meanwhile. On PostgreSQL, which other boxes may share, only given all_boxes."""
    db_path = _sqlite_path(config)
    archive = Path(archive)
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise InputError(f"backup: {archive} is not a backup archive ({exc})") from None
    with (tar, all_stopped(config.data_dir, plugins("appliance.daemons")) as running,
          tempfile.TemporaryDirectory(dir=config.data_dir) as tmp):
        if running:
            raise InputError(f"restore: {', '.join(running)} running on this box; stop "
                             f"{'it' if len(running) == 1 else 'them'} first (systemctl stop appliance.target)",
                             field="daemons")
        try:
            names = {m.name for m in tar.getmembers() if m.isfile()}
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise InputError(f"backup: {archive} is not a backup archive ({exc})") from None
        if db_path is None:
            if PG_MEMBER not in names:
                raise InputError(f"backup: {archive} holds no PostgreSQL dump"
                                 + (" (it holds an SQLite database)" if f"data/{DB_NAME}" in names else ""))
            if not all_boxes:
                raise InputError.of(N_("restore: database.url is PostgreSQL, which other boxes may share: restore replaces that database for every box using it (stop their daemons too); run again with --yes-all-boxes"),
                                    field="yes_all_boxes")
        elif f"data/{DB_NAME}" not in names:
            raise InputError(f"backup: {archive} holds no database"
                             + (" (it holds a PostgreSQL dump)" if PG_MEMBER in names else ""))
        members = [m for m in tar.getmembers() if m.name.startswith("data/") and m.isfile()
                   and m.name.split("/")[1] not in SKIP_DIRS]
        if db_path is None:
            members.append(tar.getmember(PG_MEMBER))
        try:
            extract_all(tar, tmp, members)
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise InputError(f"backup: {archive} is damaged ({exc})") from None
        staged = Path(tmp) / "data"
        if db_path is None:
            kept = _restore_postgres(config, Path(tmp) / PG_MEMBER)
        else:
            kept = _restore_sqlite(db_path, staged)
        for path in sorted(staged.rglob("*")):
            if path.is_file():
                target = config.data_dir / path.relative_to(staged)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)  # same filesystem: each file appears whole
    return kept


def _restore_sqlite(db_path, staged):
    _check_snapshot(staged / DB_NAME)
    kept = None
    if db_path.exists():
        kept = db_path.with_name(f"{DB_NAME}.before-restore-{_stamp()}")
        _copy_database(db_path, kept)
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    return kept  # the snapshot moves in with the other files


def _restore_postgres(config, dump):
    """Keep a pg_dump of the database, then replace it with `dump` in one transaction."""
    _pg_run("pg_restore", ["--list", str(dump)], None, "backup: the PostgreSQL dump in the archive")
    kept = config.data_dir / f"{PG_DUMP_NAME}.before-restore-{_stamp()}"
    partial = kept.with_name(kept.name + ".partial")
    try:
        _pg_dump(config, partial, "restore: keeping the current database (nothing changed)")
    except InputError:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(kept)
    _pg_run("pg_restore", ["--clean", "--if-exists", "--single-transaction", "--exit-on-error", str(dump)],
            config.database_url, "restore (nothing changed)")
    return kept
