"""The cluster tables on SQLite and (when its server binaries are installed) PostgreSQL."""
import pytest

from appliance import db as dbmod
from appliance.config import Config


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    yield request.getfixturevalue("pg_database")


@pytest.fixture
def pg_database(postgres_url, tmp_path):
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": postgres_url}))
    dbmod.migrate(db)
    yield db
    for table in ("message_part", "message", "modem_status", "box"):
        db.execute_sql(f"DELETE FROM {table}")
    db.close()
