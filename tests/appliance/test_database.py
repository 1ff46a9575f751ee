"""Migrations from an empty database, idempotency, and the SQLite settings."""
import peewee
from playhouse.schema_diff import diff_models
from schema_support import every_model

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir


def test_migrations_build_the_schema_the_models_describe(database):
    assert dbmod.pending_migrations(database) == []
    drift = diff_models(database, every_model())
    assert not drift, f"models and migrations differ: {drift}"


def test_migrate_is_idempotent(database):
    assert dbmod.migrate(database) == []
    assert dbmod.migrate(database) == []


def test_migrations_apply_in_order_from_empty(config):
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    applied = dbmod.migrate(db)
    numbers = [int(name.split("_")[0]) for name in applied]
    assert numbers == sorted(numbers) and numbers[0] == 1
    assert {"customer", "policy", "message", "message_part"} <= set(db.get_tables())


def test_sqlite_is_wal_with_foreign_keys_and_busy_timeout(database):
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000
    assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_init_command_creates_and_is_idempotent(run_cli, config_file, tmp_path):
    first = run_cli("init", config_path=config_file)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "data" / "appliance.db").exists()
    second = run_cli("init", config_path=config_file)
    assert second.returncode == 0 and "(0 migration(s) applied)" in second.stdout


def test_bad_database_url_is_one_line(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n[database]\nurl = "nosuchdb://x/y"\n')
    out = run_cli("init", config_path=path)
    assert out.returncode == 2 and "database.url" in out.stderr and "Traceback" not in out.stderr


def test_write_transaction_takes_the_lock_at_once(database, config):
    other = peewee.SqliteDatabase(str(config.data_dir / "appliance.db"), timeout=0.1)
    with dbmod.write_transaction(database):
        database.execute_sql("SELECT 1")
        try:
            other.execute_sql("BEGIN IMMEDIATE")
            locked = False
        except peewee.OperationalError:
            locked = True
    assert locked, "a second writer got in while the claim transaction was open"
    other.close()


def test_postgres_url_is_accepted_by_the_loader():
    c = Config({"database.url": "postgresql://app:secret@db.local/appliance"})
    assert c.database_url.startswith("postgresql://")
