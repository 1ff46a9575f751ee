"""Backup and restore of an embedded (SQLite) appliance: one .tar.gz with a
consistent database snapshot, the files in data_dir (prompts, recordings,
certificates) and the configuration file.

The snapshot uses SQLite's online backup API, so daemons may keep running while
a backup is taken. Restore checks the archive before it touches anything,
refuses while any daemon of the box runs (their locks in data_dir/run, see
appliance.daemon) and keeps a complete copy of the database it replaces.
"""
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from appliance import clock
from appliance.daemon import all_stopped
from appliance.errors import InputError
from appliance.plugins import plugins

DB_NAME = "appliance.db"
SKIP = {DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"}
SKIP_DIRS = {"backups", "run"}  # earlier backups; the daemons' locks


def _sqlite_path(config):
    url = config.database_url
    if not url.startswith("sqlite:///"):
        raise InputError("database.url: backup and restore handle the embedded SQLite database; "
                         "back up PostgreSQL with pg_dump", field="database.url")
    return Path(url[len("sqlite:///"):])


def backup(config, output=None):
    """Write a backup archive; returns its path."""
    db_path = _sqlite_path(config)
    if not db_path.exists():
        raise InputError(f"database {db_path} does not exist; nothing to back up")
    stamp = clock.format(clock.now(), "%Y%m%d-%H%M%S")  # file names: the box's time
    output = Path(output or config.data_dir / "backups" / f"appliance-{stamp}.tar.gz")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / DB_NAME
        src = sqlite3.connect(db_path)
        dst = sqlite3.connect(snapshot)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        partial = output.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(snapshot, arcname=f"data/{DB_NAME}")
            for path in sorted(config.data_dir.rglob("*")):
                rel = path.relative_to(config.data_dir)
                if (path.is_file() and rel.parts[0] not in SKIP_DIRS and path.name not in SKIP
                        and not path.name.startswith((DB_NAME + ".before-restore", ".write-test"))):
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


def restore(config, archive):
    """Restore data_dir from an archive; returns the path the old database was kept at.
    Refuses (InputError) while a daemon of this box runs; none can start meanwhile."""
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
        members = [m for m in tar.getmembers() if m.name.startswith("data/") and m.isfile()
                   and m.name.split("/")[1] not in SKIP_DIRS]
        if f"data/{DB_NAME}" not in {m.name for m in members}:
            raise InputError(f"backup: {archive} holds no database")
        tar.extractall(tmp, members=members, filter="data")
        staged = Path(tmp) / "data"
        _check_snapshot(staged / DB_NAME)
        kept = None
        if db_path.exists():
            kept = db_path.with_name(f"{DB_NAME}.before-restore-{clock.format(clock.now(), '%Y%m%d-%H%M%S')}")
            _copy_database(db_path, kept)
        for suffix in ("-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        for path in sorted(staged.rglob("*")):
            if path.is_file():
                target = config.data_dir / path.relative_to(staged)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)  # same filesystem: each file appears whole
    return kept

