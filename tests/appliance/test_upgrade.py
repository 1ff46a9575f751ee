"""A database made by an earlier firmware opens and migrates cleanly with this one.

data/db_before_layout.sql is a dump of a database written by the code before
the tables moved into the packages' models.py (commit 1fb543e). Moving a model
between modules must not change its table: every model's table and columns
must be found in the upgraded database, with the rows it had.
"""
import sqlite3
from pathlib import Path

import pytest
from schema_support import every_model, models_modules

from appliance import db as dbmod, models as core_models, phonebook
from appliance.config import Config
from appliance.ivr import models as ivr_models
from appliance.sms import models as sms_models
from appliance.tickets import models as ticket_models

DUMP = Path(__file__).with_name("data") / "db_before_layout.sql"


def open_at(tmp_path, name):
    config = Config({"data_dir": str(tmp_path / name), "database.url": f"sqlite:///{tmp_path / name}.db"})
    return dbmod.open_and_migrate(config)


@pytest.fixture
def upgraded(tmp_path):
    old = sqlite3.connect(tmp_path / "old.db")
    old.executescript(DUMP.read_text(encoding="utf-8"))
    old.close()
    db = open_at(tmp_path, "old")
    yield db
    db.close()


def columns(db, table):
    return {c.name for c in db.get_columns(table)}


def test_every_model_finds_its_table_and_columns(upgraded):
    assert dbmod.pending_migrations(upgraded) == []
    for model in every_model():
        table = model._meta.table_name
        assert upgraded.table_exists(table), f"{model.__name__}: no table {table}"
        missing = {f.column_name for f in model._meta.sorted_fields} - columns(upgraded, table)
        assert not missing, f"{model.__name__}: columns {missing} missing from {table}"
        model.select().count()  # and the model can read it


def test_the_rows_are_still_there(upgraded):
    assert core_models.Customer.select().count() == 12
    assert sms_models.Message.get().text == "您好，保费将于12月1日到期。"
    assert sms_models.InboundMessage.get().text == "CX"
    assert ivr_models.Call.get().outcome == "completed"
    ticket = ticket_models.Ticket.get()
    assert (ticket.text, ticket.status) == ("理赔太慢", "new")  # open became new (0015)
    assert ivr_models.MenuNode.select().count() > 1
    assert core_models.ApiToken.get().name == "core-system"
    # The phone index written by the old code still finds callers.
    customer = core_models.Customer.select().where(core_models.Customer.mobile.is_null(False)).first()
    assert phonebook.customer_by_number(customer.mobile).id == customer.id


def test_upgraded_schema_equals_a_new_one(upgraded, tmp_path):
    fresh = open_at(tmp_path, "fresh")
    tables = set(fresh.get_tables())
    assert set(upgraded.get_tables()) == tables
    for table in tables:
        assert columns(upgraded, table) == columns(fresh, table), table
    fresh.close()
    dbmod.database.initialize(upgraded)


def test_no_model_lost_its_table_name():
    """The tables' names come from the class names; a rename is a migration."""
    names = {m._meta.table_name for m in every_model()}
    old = {line.split('"')[1] for line in DUMP.read_text(encoding="utf-8").splitlines()
           if line.startswith("CREATE TABLE")}
    assert {m.__name__ for m in models_modules()} >= {
        "appliance.models", "appliance.sms.models", "appliance.services.models", "appliance.ivr.models"}
    assert old - {"schema_migration"} <= names  # new tables may come; none may go
