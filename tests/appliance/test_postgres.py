"""The same models and migrations on PostgreSQL (a real server started for the test)."""
import datetime
import os
import subprocess
import tarfile
import threading

import pytest
from peer_support import wait_for

from appliance import db as dbmod, demo_data
from appliance.config import Config, load_config
from appliance.daemon import running_lock
from appliance.models import Customer, Policy


def test_migrations_and_demo_data_on_postgres(postgres_url, tmp_path):
    config = Config({"data_dir": str(tmp_path), "database.url": postgres_url})
    db = dbmod.open_database(config)
    assert dbmod.migrate(db)
    assert dbmod.migrate(db) == []
    demo_data.seed(customers=30, now=datetime.datetime(2026, 11, 22, 10, 0))
    assert Customer.select().count() == 30
    import peewee
    with pytest.raises(peewee.IntegrityError):
        with db.atomic():
            Policy.update(status="sleeping").execute()  # the CHECK constraint holds on PostgreSQL too
    db.close()


# Backup and restore on PostgreSQL: pg_dump into the archive, pg_restore in one transaction.

def pg_config(tmp_path, url):
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[database]\nurl = "{url}"\n')
    return path


def count_rows(url, table="message"):
    import psycopg2
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")
            return cur.fetchone()[0]
    finally:
        conn.close()


def rows_in_dump(dump, table="message"):
    """How many rows of `table` a pg_dump --format=custom file holds."""
    script = subprocess.run(["pg_restore", "--data-only", f"--table={table}", "--file=-", str(dump)],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    start = next(i for i, line in enumerate(script) if line.startswith(f"COPY public.{table} "))
    return script.index("\\.", start) - start - 1


@pytest.fixture
def pg_box(postgres_server, run_cli, tmp_path):
    """(config path, database URL) of a migrated box on a fresh PostgreSQL database of its own."""
    url = postgres_server()
    path = pg_config(tmp_path, url)
    out = run_cli("init", config_path=path)
    assert out.returncode == 0, out.stderr
    return path, url


def write_messages_during(path, action):
    """Queue messages (one per transaction) before, during and after action(); returns
    (committed before action, its result, committed in all)."""
    from appliance.sms.outbox import queue_message
    database = dbmod.open_database(load_config(str(path)))
    committed, stop = [], threading.Event()

    def write():
        while not stop.is_set():
            queue_message("+8613800138000", f"第{len(committed) + 1}条")
            committed.append(1)
        database.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: len(committed) >= 20, 30, "20 messages queued")
        before = len(committed)
        result = action()
        wait_for(lambda: len(committed) >= before + 20, 30, "20 more messages queued")
    finally:
        stop.set()
        writer.join(30)
    return before, result, len(committed)


def test_postgres_backup_while_rows_are_written_then_restore(pg_box, run_cli, tmp_path):
    path, url = pg_box
    (tmp_path / "data" / "prompts").mkdir()
    (tmp_path / "data" / "prompts" / "welcome.wav").write_bytes(b"RIFF....")
    before, out, total = write_messages_during(
        path, lambda: run_cli("backup", "--output", tmp_path / "b.tar.gz", config_path=path))
    assert out.returncode == 0, out.stderr
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        assert {"postgres/appliance.pgdump", "data/prompts/welcome.wav"} <= set(tar.getnames())
        tar.extract("postgres/appliance.pgdump", tmp_path / "x", filter="data")
    in_backup = rows_in_dump(tmp_path / "x" / "postgres" / "appliance.pgdump")
    assert before <= in_backup < total  # a consistent snapshot holding every row committed before it
    assert count_rows(url) == total
    (tmp_path / "data" / "prompts" / "welcome.wav").unlink()

    out = run_cli("restore", tmp_path / "b.tar.gz", config_path=path)  # other boxes may share it
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "every box using it" in out.stderr and "--yes-all-boxes" in out.stderr
    with running_lock(tmp_path / "data", "smsd"):  # a daemon of this box runs
        out = run_cli("restore", "--yes-all-boxes", tmp_path / "b.tar.gz", config_path=path)
    assert out.returncode == 2 and "smsd running on this box" in out.stderr, out.stderr
    assert count_rows(url) == total  # nothing touched

    out = run_cli("restore", "--yes-all-boxes", tmp_path / "b.tar.gz", config_path=path)
    assert out.returncode == 0, out.stderr
    assert "for every box that uses it" in out.stdout
    kept = out.stdout.strip().rsplit("previous database kept at ", 1)[1]
    assert kept.startswith(str(tmp_path / "data" / "appliance.pgdump.before-restore-"))
    assert count_rows(url) == in_backup  # rows as at backup time
    assert (tmp_path / "data" / "prompts" / "welcome.wav").read_bytes() == b"RIFF...."

    subprocess.run(["pg_restore", "--clean", "--if-exists", "--single-transaction", f"--dbname={url}", kept],
                   check=True, capture_output=True)
    assert count_rows(url) == total  # the kept dump is a complete copy of what was replaced


def test_postgres_restore_that_fails_leaves_the_database_as_it_was(pg_box, run_cli, tmp_path):
    path, url = pg_box
    _, out, total = write_messages_during(
        path, lambda: run_cli("backup", "--output", tmp_path / "b.tar.gz", config_path=path))
    assert out.returncode == 0, out.stderr
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        tar.extract("postgres/appliance.pgdump", tmp_path / "x", filter="data")
    dump = tmp_path / "x" / "postgres" / "appliance.pgdump"
    data = dump.read_bytes()
    (tmp_path / "data" / "prompts").mkdir()
    (tmp_path / "data" / "prompts" / "welcome.wav").write_bytes(b"RIFF....")

    def restore_damaged(damaged):
        dump.write_bytes(damaged)
        with tarfile.open(tmp_path / "bad.tar.gz", "w:gz") as tar:
            tar.add(dump, arcname="postgres/appliance.pgdump")
            tar.addfile(tarfile.TarInfo("data/prompts/welcome.wav"))  # an empty one
        return run_cli("restore", "--yes-all-boxes", tmp_path / "bad.tar.gz", config_path=path)

    out = restore_damaged(data[:len(data) * 3 // 4])  # a half-copied file: refused before anything
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "backup: the PostgreSQL dump in the archive: pg_restore failed: pg_restore: error:" in out.stderr
    assert not list((tmp_path / "data").glob("appliance.pgdump.before-restore-*"))

    # Its last bytes: the checksum ending the last table's compressed data (then a 5-byte
    # end-of-data mark). The table of contents reads well; pg_restore fails once it has
    # dropped and recreated every table and loaded most of them.
    out = restore_damaged(data[:-6] + bytes([data[-6] ^ 0xFF]) + data[-5:])
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "restore (nothing changed): pg_restore failed: pg_restore: error:" in out.stderr
    assert count_rows(url) == total  # the failed restore was rolled back: every table as it was
    assert count_rows(url, "schema_migration") > 0 and count_rows(url, "customer") == 0
    assert (tmp_path / "data" / "prompts" / "welcome.wav").read_bytes() == b"RIFF...."  # files too
    assert len(list((tmp_path / "data").glob("appliance.pgdump.before-restore-*"))) == 1


def test_postgres_password_only_in_the_environment_and_tool_errors(pg_box, run_cli, tmp_path):
    path, url = pg_box
    url = url.replace("app@", "app:s3cret-pw@")  # the test server trusts: the password is ignored
    path.write_text(path.read_text().replace(pg_box[1], url))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pg_dump"
    fake.write_text(f'#!/bin/sh\necho "$*" > {tmp_path / "argv"}\necho "$PGPASSWORD" > {tmp_path / "env"}\n'
                    'exec /usr/bin/pg_dump "$@"\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    out = run_cli("backup", "--output", tmp_path / "b.tar.gz", config_path=path, env=env)
    assert out.returncode == 0, out.stderr
    argv = (tmp_path / "argv").read_text()
    assert "--format=custom" in argv and "app@127.0.0.1" in argv and "s3cret" not in argv
    assert (tmp_path / "env").read_text().strip() == "s3cret-pw"

    fake.write_text('#!/bin/sh\necho "pg_dump: error: query failed: ERROR:  boom" >&2\n'
                    'echo "pg_dump: detail: more" >&2\nexit 1\n')
    out = run_cli("backup", "--output", tmp_path / "c.tar.gz", config_path=path, env=env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert out.stderr == "appliance: error: backup: pg_dump failed: pg_dump: error: query failed: ERROR:  boom\n"
    assert not (tmp_path / "c.tar.gz").exists()

    out = run_cli("backup", config_path=path, env=dict(os.environ, PATH=str(tmp_path / "nothing")))
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "backup: pg_dump not found" in out.stderr
    out = run_cli("restore", "--yes-all-boxes", tmp_path / "b.tar.gz", config_path=path,
                  env=dict(os.environ, PATH=str(tmp_path / "nothing")))
    assert out.returncode == 2 and "pg_restore not found" in out.stderr, out.stderr
    assert "s3cret" not in out.stderr
