"""Backup, restore and doctor, through the real command line."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import threading

import pytest
from peer_support import wait_for

from appliance.daemon import running_daemons


def count_customers(tmp_path):
    conn = sqlite3.connect(tmp_path / "data" / "appliance.db")
    n = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    conn.close()
    return n


def test_backup_then_restore_brings_data_back(run_cli, config_file, tmp_path):
    assert run_cli("customer", "add", "--name", "张伟", "--mobile", "13800138000",
                   config_path=config_file).returncode == 0
    (tmp_path / "data" / "prompts").mkdir()
    (tmp_path / "data" / "prompts" / "welcome.wav").write_bytes(b"RIFF....")
    out = run_cli("backup", "--output", tmp_path / "b.tar.gz", config_path=config_file)
    assert out.returncode == 0, out.stderr
    names = tarfile.open(tmp_path / "b.tar.gz").getnames()
    assert {"data/appliance.db", "data/prompts/welcome.wav", "config/appliance.toml"} <= set(names)

    run_cli("customer", "add", "--name", "李娜", "--mobile", "13900139000", config_path=config_file)
    (tmp_path / "data" / "prompts" / "welcome.wav").unlink()
    assert count_customers(tmp_path) == 2

    out = run_cli("restore", tmp_path / "b.tar.gz", config_path=config_file)
    assert out.returncode == 0, out.stderr
    assert "previous database kept at" in out.stdout
    assert count_customers(tmp_path) == 1
    assert (tmp_path / "data" / "prompts" / "welcome.wav").read_bytes() == b"RIFF...."


def test_restore_refuses_a_bad_archive_and_changes_nothing(run_cli, config_file, tmp_path):
    run_cli("customer", "add", "--name", "张伟", "--mobile", "13800138000", config_path=config_file)
    junk = tmp_path / "junk.tar.gz"
    with tarfile.open(junk, "w:gz") as tar:
        bad = tmp_path / "appliance.db"
        bad.write_bytes(b"this is not sqlite" * 100)
        tar.add(bad, arcname="data/appliance.db")
    out = run_cli("restore", junk, config_path=config_file)
    assert out.returncode == 2 and "backup:" in out.stderr and out.stderr.count("\n") == 1
    assert count_customers(tmp_path) == 1
    out = run_cli("restore", config_file, config_path=config_file)
    assert out.returncode == 2 and "is not a backup archive" in out.stderr


def test_doctor_reports_each_check(run_cli, config_file):
    out = run_cli("doctor", "--json", config_path=config_file)
    results = {r["check"]: r for r in json.loads(out.stdout)}
    assert results["data_dir"]["status"] == "ok"
    assert results["database integrity"]["status"] == "ok"
    assert results["modem ports"]["status"] == "warn"  # no /dev/gsm here
    assert out.returncode == 0


def test_doctor_fails_on_unwritable_data_dir(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('data_dir = "/proc/version/x"\n')
    out = run_cli("doctor", config_path=path)
    assert out.returncode == 1 and out.stdout.startswith("FAIL  data_dir:")


@pytest.fixture
def smsd(config_file, tmp_path):
    """`appliance run smsd` as a real process (no modems: what it is asked to send stays queued)."""
    config_file.write_text(f'data_dir = "{tmp_path / "data"}"\n[modems]\nports = ["{tmp_path / "none" / "gsm*"}"]\n')
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(config_file), "run", "smsd"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    # Its lock is taken before it opens the database: wait for its migrations too.
    wait_for(lambda: proc.poll() is not None or (running_daemons(tmp_path / "data") == ["smsd"]
                                                 and migrated(tmp_path / "data" / "appliance.db")),
             60, "smsd running")
    assert proc.poll() is None, proc.stderr.read()
    yield proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def migrated(path):
    """Every numbered migration is recorded in the database at `path`."""
    from appliance.db import MIGRATIONS_DIR
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            applied = conn.execute("SELECT count(*) FROM schema_migration").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # no file or no table yet
        return False
    return applied == len(list(MIGRATIONS_DIR.glob("[0-9]*.py")))


def count_messages(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n = conn.execute("SELECT count(*) FROM message").fetchone()[0]
    conn.close()
    return n


def test_online_backup_and_a_restore_that_refuses_while_smsd_runs(smsd, run_cli, config_file, tmp_path):
    from appliance import db as dbmod
    from appliance.config import load_config
    from appliance.sms.outbox import queue_message
    database = dbmod.open_database(load_config(str(config_file)))
    committed, stop = [], threading.Event()

    def write():  # one message per transaction, as long as the test wants
        database.execute_sql("PRAGMA wal_autocheckpoint=0")  # what it writes stays in the WAL
        while not stop.is_set():
            queue_message("+8613800138000", f"第{len(committed) + 1}条")
            committed.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: len(committed) >= 20, 30, "20 messages queued")
        before = len(committed)
        out = run_cli("backup", "--output", tmp_path / "b.tar.gz", config_path=config_file)
        assert out.returncode == 0, out.stderr
        wait_for(lambda: len(committed) >= before + 20, 30, "20 more messages queued while smsd runs")
    finally:
        stop.set()
        writer.join(30)
    database.close()
    total = len(committed)
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        tar.extract("data/appliance.db", tmp_path / "x", filter="data")
    in_backup = count_messages(tmp_path / "x" / "data" / "appliance.db")
    assert before <= in_backup < total  # a consistent snapshot holding every message committed before it

    out = run_cli("restore", tmp_path / "b.tar.gz", config_path=config_file)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "smsd running on this box" in out.stderr
    assert count_messages(tmp_path / "data" / "appliance.db") == total  # nothing touched

    os.killpg(smsd.pid, signal.SIGKILL)  # a crash: what the WAL holds is not yet in the main file
    smsd.wait(30)
    out = run_cli("restore", tmp_path / "b.tar.gz", config_path=config_file)
    assert out.returncode == 0, out.stderr
    kept = out.stdout.strip().rsplit("previous database kept at ", 1)[1]
    assert count_messages(kept) == total  # the copy of what was replaced is complete
    assert count_messages(tmp_path / "data" / "appliance.db") == in_backup


def test_doctor_names_a_removed_modem_with_its_alarm(run_cli, tmp_path):
    from appliance import db as dbmod
    from appliance.config import load_config
    from appliance.sms.models import ModemStatus
    modems = tmp_path / "modems"
    modems.mkdir()
    for n in range(4):
        (modems / f"gsm{n}").touch()
    path = tmp_path / "c.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[modems]\nports = ["{modems / "gsm*"}"]\n')
    assert run_cli("init", config_path=path).returncode == 0
    database = dbmod.open_and_migrate(load_config(str(path)))
    for n in range(4):
        ModemStatus.create(port=f"gsm{n}", state="ok")
    ModemStatus.update(state="removed", alarm="no answer to AT for 3 tries").where(ModemStatus.port == "gsm2").execute()
    database.close()
    out = run_cli("doctor", "--json", config_path=path)
    modem = {r["check"]: r for r in json.loads(out.stdout)}["modem ports"]
    assert modem["status"] == "warn" and "4 found" in modem["detail"]
    assert "gsm2 removed (no answer to AT for 3 tries)" in modem["detail"]


def test_doctor_says_which_daemons_run_and_which_ports_answer(smsd, run_cli, config_file, tmp_path):
    import socket
    with socket.socket() as web:
        web.bind(("127.0.0.1", 0))
        web.listen()
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            agi_port = free.getsockname()[1]  # bound, not listening: nothing answers
            with open(config_file, "a") as fh:
                fh.write(f'[web]\nlisten = "127.0.0.1:{web.getsockname()[1]}"\n'
                         f'[agi]\nlisten = "127.0.0.1:{agi_port}"\n')
            out = run_cli("doctor", "--json", config_path=config_file)
    results = {r["check"]: r for r in json.loads(out.stdout)}
    assert results["daemons"]["status"] == "warn"
    assert results["daemons"]["detail"] == "not under systemd: running: smsd; not running: agi, dialer, mailer, services, smpp, web"
    assert results["web.listen"]["status"] == "ok"
    assert results["agi.listen"] == {"status": "warn", "check": "agi.listen",
                                     "detail": f"nothing answers on 127.0.0.1:{agi_port} (agi not running)"}
