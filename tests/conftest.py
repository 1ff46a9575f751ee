"""Shared fixtures: a configuration on a fresh data dir and a migrated database.

Area-specific fixtures live in tests/<area>/conftest.py.
"""
import glob
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from peer_support import free_port
from systemd_peer import Systemd

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir


@pytest.fixture
def config(tmp_path):
    """Defaults, with data_dir in a fresh temporary directory."""
    return Config({"data_dir": str(tmp_path / "data")})


@pytest.fixture
def database(config):
    """A migrated, empty SQLite database bound to every model."""
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    yield db
    db.close()


@pytest.fixture
def run_cli(tmp_path):
    """Run `appliance ARGS…` as a real process; returns CompletedProcess (text)."""
    def run(*args, config_path=None, input=None, timeout=120, env=None):
        argv = [sys.executable, "-m", "appliance.cli"]
        if config_path:
            argv += ["--config", str(config_path)]
        return subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                              input=input, timeout=timeout, env=env)
    return run


@pytest.fixture
def config_file(tmp_path):
    """A minimal TOML config pointing data_dir into tmp_path; returns its path."""
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    return path


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session (Debian's postgresql binaries, run as postgres)."""
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
    names = itertools.count(1)

    def new_database():
        name = f"appliance{next(names)}"
        subprocess.run(as_pg + [f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "app", name],
                       check=True, capture_output=True)
        return f"postgresql://app@127.0.0.1:{port}/{name}"

    yield new_database
    subprocess.run(as_pg + [f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url(postgres_server):
    """The URL of an empty PostgreSQL database of this test module's own."""
    return postgres_server()


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    """The test once on SQLite and once on a fresh database of a real PostgreSQL server (several
    boxes share one). Folders whose tests share one PostgreSQL database define their own."""
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    url = request.getfixturevalue("postgres_server")()  # a fresh database for each test
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": url}))
    dbmod.migrate(db)
    yield db
    db.close()


@pytest.fixture(autouse=True)
def box_zone_utc():
    """The box's zone is UTC unless a test sets another (tests/appliance/test_time_zones.py
    runs the rules in other zones): then a naive `now=` a test passes reads the same as an
    instant and as a wall-clock time. Restored after every test so no zone leaks."""
    from appliance import clock
    clock.set_zone("UTC")
    yield
    clock.set_zone("UTC")


@pytest.fixture(autouse=True)
def no_log_handler_leaks():
    """cli.main run in-process (appliance.logs.setup_logging) puts a handler on the root logger
    writing to the test's captured stderr, which pytest closes after the test: every later log
    line then printed a 'Logging error' traceback. Such handlers go after the test, and the
    levels setup_logging sets are put back (pytest's own capture handlers are left to pytest)."""
    import logging
    root = logging.getLogger()
    before = set(map(id, root.handlers))
    levels = [(logging.getLogger(n), logging.getLogger(n).level) for n in ("", "peewee", "peewee.migrations")]
    yield
    for handler in list(root.handlers):
        if id(handler) not in before and type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    for logger, level in levels:
        logger.setLevel(level)


@pytest.fixture(autouse=True)
def no_box_name_leaks():
    """cli.main run in-process sets this process's box name (identity.use): forgotten after every
    test, so a later test's box is the host name unless it configures one."""
    from appliance.cluster import identity
    identity._this_box = None
    yield
    identity._this_box = None


@pytest.fixture
def zones():
    """zones(os_zone, box_zone): run as if the OS clock were in os_zone (TZ + tzset)
    and the box configured for box_zone; both restored after the test."""
    import time

    from appliance import clock
    saved = os.environ.get("TZ")

    def set_zones(os_zone, box_zone):
        os.environ["TZ"] = os_zone
        time.tzset()
        clock.set_zone(box_zone)

    yield set_zones
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()
    clock.set_zone("UTC")


@pytest.fixture
def systemd(tmp_path, monkeypatch):
    """A notify socket standing in for systemd, with a 2 s watchdog."""
    peer = Systemd(tmp_path, monkeypatch, watchdog_s=2.0)
    yield peer
    peer.close()
