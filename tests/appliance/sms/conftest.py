"""The SMS tables on SQLite and (when its server binaries are installed) PostgreSQL."""
import pytest

from appliance import db as dbmod
from appliance.config import Config


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    url = request.getfixturevalue("postgres_url")
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": url}))
    dbmod.migrate(db)
    yield db
    for table in ("message_part", "message", "inbound_part", "inbound_message", "modem_status"):
        db.execute_sql(f"DELETE FROM {table}")
    db.close()
