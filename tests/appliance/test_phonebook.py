"""The customer phone index: incoming calls and SMS find a customer by any of
their numbers without scanning the customer table."""
import pytest

from appliance import db as dbmod, phonebook, phones
from appliance.errors import InputError
from appliance.models import Customer, CustomerPhone, Staff
from appliance.phonebook import customer_by_number


def test_a_caller_is_found_by_mobile_or_other_phone(database):
    zhang = Customer.create(name="张伟", mobile="13800138000", other_phones="13900139000, 010-62345678")
    li = Customer.create(name="李娜", mobile="13700137000")
    assert phonebook.who("13900139000")[0].id == zhang.id
    assert phonebook.who("+861062345678")[0].id == zhang.id
    assert phonebook.who("+8613700137000")[0].id == li.id
    assert phonebook.who("13600136000") == (None, None)
    assert phonebook.who("unknown") == (None, None)


def test_staff_are_found_by_mobile_and_sms_replies_only_reach_active_staff(database):
    agent = Staff.create(badge_no="35010001", name="周杰", mobile="13600136000", status="suspended")
    assert phonebook.who("8613600136000") == (None, agent)
    assert phonebook.staff_by_number("+8613600136000", active_only=True) is None


def test_one_normaliser_for_every_number_the_box_meets():
    assert phones.normalize("13800138000") == phones.normalize("0086 13800138000") == "+8613800138000"
    assert phones.normalize("010-62345678") == "+861062345678"
    with pytest.raises(InputError, match="to_number: '12345' is not a valid phone number"):
        phones.normalize("12345", "to_number")
    with pytest.raises(InputError, match="to_number: '12000000000'"):
        phones.normalize("12000000000", "to_number")  # the cached mobile fast path refuses what phonenumbers refuses
    assert phones.e164_or_none("unknown") is None and phones.e164_or_none("8613800138000") == "+8613800138000"
    assert phones.as_received("10086") == "10086" and phones.as_received("ChinaMobile") == "ChinaMobile"
    assert phones.as_received(" 13800138000 ") == "+8613800138000"


def test_carrier_lookup():
    assert phones.carrier_name("+8613800138000") == "China Mobile"
    assert phones.carrier_name("+8613000130000") == "China Unicom"
    assert phones.carrier_name("+8618900189000") == "China Telecom"
    assert phones.carrier_name("unknown") == phones.carrier_name("+861062345678") == ""


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
