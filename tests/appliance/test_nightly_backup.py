"""`appliance backup nightly` and its retention (backup.keep)."""
import datetime
import sqlite3
import tarfile

from appliance import db as dbmod
from appliance.config import Config
from appliance.system.nightly_backup import last_backup, run_nightly


def make_config(tmp_path, keep):
    config = Config({"data_dir": str(tmp_path / "data"), "backup.keep": keep})
    dbmod.open_and_migrate(config)
    return config


def test_nightly_runs_past_retention_keep_the_newest(tmp_path):
    config = make_config(tmp_path, keep=2)
    folder = tmp_path / "data" / "backups"
    folder.mkdir()
    by_hand = folder / "appliance-20260101-120000.tar.gz"
    by_hand.write_bytes(b"taken by hand")
    (folder / "nightly-20260101-023000.partial").write_bytes(b"a run killed mid-write")
    night = datetime.datetime(2026, 3, 1, 18, 30)
    written = []
    for n in range(4):
        archive, removed = run_nightly(config, now=night + datetime.timedelta(days=n))
        written.append(archive)
        assert len(removed) == (1 if n >= 2 else 0)
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([by_hand.name, written[2].name, written[3].name])
    with tarfile.open(written[3]) as tar:  # a complete backup, database included
        tar.extract("data/appliance.db", tmp_path / "x", filter="data")
    assert sqlite3.connect(tmp_path / "x" / "data" / "appliance.db").execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert last_backup(config)[0] in (written[3], by_hand)


def test_the_cli_prints_the_archive_and_what_it_removed(run_cli, tmp_path):
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[backup]\nkeep = 1\n')
    assert run_cli("init", config_path=path).returncode == 0
    old = tmp_path / "data" / "backups" / "nightly-20200101-023000.tar.gz"
    old.parent.mkdir()
    old.write_bytes(b"x")
    out = run_cli("backup", "nightly", config_path=path)
    assert out.returncode == 0, out.stderr
    assert "nightly-" in out.stdout and "removed 1 older nightly backup(s)" in out.stdout
    assert not old.exists() and len(list(old.parent.glob("nightly-*.tar.gz"))) == 1
