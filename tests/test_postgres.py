"""The same models and migrations on PostgreSQL (a real server started for the test)."""
import datetime
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from appliance import db as dbmod
from appliance import demo_data
from appliance.config import Config
from appliance.models import Customer, Policy


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins or os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("PostgreSQL server binaries (Debian package postgresql) not installed, or not root")
    bindir = os.path.dirname(bins[-1])
    # Not under pytest's tmp dir: that is private to root and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="appliance-pg-"))
    os.chmod(root, 0o777)
    data, port = root / "data", free_port()
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_pg + [f"{bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "app", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run(as_pg + [f"{bindir}/pg_ctl", "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    subprocess.run(as_pg + [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "app", "appliance"],
                   check=True, capture_output=True)
    yield f"postgresql://app@127.0.0.1:{port}/appliance"
    subprocess.run(as_pg + [f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def test_migrations_and_demo_data_on_postgres(postgres_url, tmp_path):
    config = Config({"data_dir": str(tmp_path), "database.url": postgres_url})
    db = dbmod.open_database(config)
    assert dbmod.migrate(db)
    assert dbmod.migrate(db) == []
    demo_data.seed(customers=30, today=datetime.date(2026, 11, 22))
    assert Customer.select().count() == 30
    import peewee
    with pytest.raises(peewee.IntegrityError):
        with db.atomic():
            Policy.update(status="sleeping").execute()  # the CHECK constraint holds on PostgreSQL too
    db.close()
