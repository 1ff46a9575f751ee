"""The same models and migrations on PostgreSQL (a real server started for the test)."""
import datetime

import pytest

from appliance import db as dbmod, demo_data
from appliance.config import Config
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
