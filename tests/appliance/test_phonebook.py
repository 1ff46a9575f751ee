"""The customer phone index: incoming calls and SMS find a customer by any of
their numbers without scanning the customer table."""
import pytest

from appliance import db as dbmod
from appliance.ivr import queries
from appliance.phonebook import customer_by_number
from appliance.models import CustomerPhone
from appliance.errors import InputError
from appliance.sms.inbox import match_sender
from appliance.models import Customer


def test_a_caller_is_found_by_mobile_or_other_phone(database):
    zhang = Customer.create(name="张伟", mobile="13800138000", other_phones="13900139000, 010-62345678")
    li = Customer.create(name="李娜", mobile="13700137000")
    assert queries.match_caller("13900139000")[0].id == zhang.id
    assert queries.match_caller("+861062345678")[0].id == zhang.id
    assert match_sender("+8613700137000")[0].id == li.id
    assert queries.match_caller("13600136000") == (None, None)


def test_a_mobile_beats_someone_elses_other_phone(database):
    Customer.create(name="王芳", mobile="13500135000", other_phones="13800138000")
    owner = Customer.create(name="张伟", mobile="13800138000")
    assert customer_by_number("+8613800138000").id == owner.id


def test_editing_numbers_moves_the_index(database):
    zhang = Customer.create(name="张伟", mobile="13800138000", other_phones="13900139000")
    zhang.mobile, zhang.other_phones = "13600136000", ""
    zhang.save()
    assert customer_by_number("+8613800138000") is None
    assert customer_by_number("+8613900139000") is None
    assert customer_by_number("+8613600136000").id == zhang.id
    assert CustomerPhone.select().count() == 1


def test_a_refused_save_leaves_the_index_as_it_was(database):
    zhang = Customer.create(name="张伟", mobile="13800138000")
    zhang.other_phones = "not a phone"
    with pytest.raises(InputError, match="other_phones"):
        zhang.save()
    assert [r.number for r in CustomerPhone.select()] == ["+8613800138000"]


def test_deleting_a_customer_drops_their_numbers(database):
    zhang = Customer.create(name="张伟", mobile="13800138000")
    zhang.delete_instance()
    assert CustomerPhone.select().count() == 0


def test_the_migration_fills_the_index_from_existing_customers(database):
    Customer.create(name="张伟", mobile="13800138000", other_phones="13900139000")
    db = dbmod.database.obj
    # Back to before 0009 (as an upgraded box is), then forward again.
    db.execute_sql("DROP TABLE customer_phone")
    db.execute_sql("DELETE FROM schema_migration WHERE name = '0009_customer_phones'")
    assert "0009_customer_phones" in dbmod.migrate()
    assert sorted(r.number for r in CustomerPhone.select()) == ["+8613800138000", "+8613900139000"]
