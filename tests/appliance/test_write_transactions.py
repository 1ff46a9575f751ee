"""Every writer named in issue 11 begins its transaction IMMEDIATE on SQLite: a
deferred one that reads first and then writes gets "database is locked" at once
when another writer went between (NOTES-libraries.md)."""
import pytest

from appliance import db as dbmod
from appliance import groups, importer
from appliance.ivr import menus
from appliance.models import Customer
from appliance.services import optout
from appliance.sms import billing


def begins(work):
    """The BEGIN statements `work` sent to SQLite, in order."""
    statements = []
    connection = dbmod.database.connection()
    connection.set_trace_callback(statements.append)
    try:
        work()
    finally:
        connection.set_trace_callback(None)
    return [s for s in statements if s.upper().startswith("BEGIN")]


@pytest.mark.parametrize("name", ["upsert_record", "customer_save", "optout_add", "optout_remove",
                                  "group_add_members", "default_menu", "charge_parts"])
def test_writers_begin_immediate(database, config, name):
    def customer():
        importer.upsert_record("customers", {"customer_no": "C1", "name": "张伟", "mobile": "13800138000"})
        return Customer.get(Customer.customer_no == "C1")
    work = {
        "upsert_record": lambda: importer.upsert_record("customers", {"customer_no": "C9", "name": "李娜"}),
        "customer_save": lambda: Customer(customer_no="C8", name="王芳").save(),
        "optout_add": lambda: optout.add("13800138001"),
        "optout_remove": lambda: optout.remove("13800138001"),
        "group_add_members": lambda: groups.add_members(groups.create("vip", "customer"), [customer().customer_no]),
        "default_menu": menus.ensure_default_menu,
        "charge_parts": lambda: billing.charge_parts(config),
    }[name]
    statements = begins(work)
    assert statements and all(s.upper() == "BEGIN IMMEDIATE" for s in statements), statements
