"""IVR fixtures: prompts built once per session, demo data seeded once and
copied per test, a real FastAGI server on a free port, and `dial` to play a
whole call against it as Asterisk would (agi/asterisk_peer.py)."""
import shutil

import pytest

from agi import prompts
from agi.asterisk_peer import FakeAsterisk
from agi.server import FastAGIServer, prepare
from appliance import db as dbmod, demo_data
from appliance.config import Config


@pytest.fixture(scope="session")
def built_prompts(tmp_path_factory):
    """Every default prompt, built once (espeak-ng + sox, ~3 s)."""
    root = tmp_path_factory.mktemp("prompts-build")
    prompts.build(Config({"data_dir": str(root)}))
    return root / "prompts"


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory):
    """A migrated database file with demo data, made once; tests get copies."""
    root = tmp_path_factory.mktemp("seeded")
    config = Config({"data_dir": str(root)})
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    demo_data.seed(customers=40)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return root / "appliance.db"


@pytest.fixture
def ivr_config(tmp_path, built_prompts):
    data = tmp_path / "data"
    data.mkdir()
    (data / "prompts").symlink_to(built_prompts)
    return Config({"data_dir": str(data),
                   "agi.business_hours": "00:00-23:59", "agi.business_days": "1-7"})


def open_copy(config, seeded_db):
    shutil.copy(seeded_db, config.data_dir / "appliance.db")
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    return db


@pytest.fixture
def ivr_db(ivr_config, seeded_db):
    db = open_copy(ivr_config, seeded_db)
    yield db
    db.close()


@pytest.fixture
def start_server(ivr_db):
    servers = []

    def start(config, address=("127.0.0.1", 0)):
        prepare(config)
        server = FastAGIServer(config, address=address)
        server.start()
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop(grace=2)


@pytest.fixture
def agi_server(start_server, ivr_config):
    return start_server(ivr_config)


@pytest.fixture
def dial(agi_server):
    """dial(steps, callerid=…) -> the finished FakeAsterisk (heard, commands, …)."""
    def call(steps, **kwargs):
        kwargs.setdefault("callerid", "unknown")
        return FakeAsterisk(agi_server.address, steps, **kwargs).run()
    return call
