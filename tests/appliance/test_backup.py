"""Backup, restore and doctor, through the real command line."""
import json
import sqlite3
import tarfile


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
