"""Shared fixtures: a configuration on a fresh data dir and a migrated database.

Area-specific fixtures live in tests/<area>/conftest.py.
"""
import subprocess
import sys

import pytest

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
