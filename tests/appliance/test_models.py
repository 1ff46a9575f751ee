"""Model constraints: enforced by the code and by the schema itself."""
import datetime
from decimal import Decimal

import peewee
import pytest

from appliance.errors import InputError
from appliance.models import (
    AuditLog,
    ContactGroup,
    Customer,
    GroupMember,
    Payment,
    Policy,
    Product,
    Staff,
    audit,
)


@pytest.fixture
def product(database):
    return Product.create(code="A101", name="安康终身寿险")


@pytest.fixture
def holder(database):
    return Customer.create(name="张伟", mobile="13800138000", id_number="11010519491231002X")


def test_customer_derives_birth_date_and_gender_from_id(holder):
    holder = Customer.get_by_id(holder.id)
    assert holder.birth_date == datetime.date(1949, 12, 31)
    assert holder.gender == "F" and holder.salutation == "张女士"
    assert holder.mobile == "+8613800138000"


def test_salutation_handles_compound_surnames_and_unknown_gender(database):
    assert Customer(name="欧阳娜娜", gender="F").salutation == "欧阳女士"
    assert Customer(name="李明", gender="M").salutation == "李先生"
    assert Customer(name="王芳").salutation == "王芳"


def test_customer_birth_date_must_match_id(database):
    with pytest.raises(InputError, match="birth_date: 1950-01-01 differs"):
        Customer.create(name="李四", id_number="11010519491231002X", birth_date=datetime.date(1950, 1, 1))
    assert Customer.select().count() == 0


@pytest.mark.parametrize("fields, words", [
    (dict(name="李四", id_number="110105194912310021"), "id_number: ID number fails its checksum"),
    (dict(name="李四", mobile="12345"), "mobile: '12345' is not a valid phone number"),
    (dict(name="  "), "name: empty"),
    (dict(name="李四", gender="X"), "gender: must be M or F"),
])
def test_customer_bad_input_names_the_field(database, fields, words):
    with pytest.raises(InputError, match=words):
        Customer.create(**fields)
    assert Customer.select().count() == 0


def test_id_number_is_unique(holder):
    with pytest.raises(peewee.IntegrityError):
        Customer.create(name="张伟二", id_number="11010519491231002X")


def test_schema_refuses_bad_enum_values_even_bypassing_the_code(database, product, holder):
    with pytest.raises(peewee.IntegrityError):
        Staff.insert(badge_no="1", name="x", status="retired").execute()
    with pytest.raises(peewee.IntegrityError):
        Policy.insert(policy_no="1", product=product, holder=holder, premium=1, status="sleeping").execute()
    with pytest.raises(peewee.IntegrityError):
        Policy.insert(policy_no="2", product=product, holder=holder, premium=-5).execute()


def test_staff_status_checked_in_code(database):
    with pytest.raises(InputError, match="status: must be one of active, suspended, left"):
        Staff.create(badge_no="35010001", name="王建国", status="fired")
    with pytest.raises(InputError, match="badge_no: empty"):
        Staff.create(badge_no="", name="王建国")


def test_foreign_keys_are_enforced(database, product, holder):
    policy = Policy.create(policy_no="886010000001", product=product, holder=holder, premium=Decimal("1200.00"))
    Payment.create(policy=policy, amount=Decimal("1200.00"), paid_on=datetime.date(2026, 1, 1))
    with pytest.raises(peewee.IntegrityError):
        holder.delete_instance()  # the holder of a policy cannot vanish
    policy.delete_instance()      # payments go with their policy
    assert Payment.select().count() == 0
    with pytest.raises(peewee.IntegrityError):
        Policy.insert(policy_no="x", product=999, holder=holder, premium=1).execute()


def test_group_member_is_a_customer_or_a_staff_member_not_both(database, holder):
    staff = Staff.create(badge_no="35010001", name="王建国")
    group = ContactGroup.create(name="VIP", kind="customer")
    GroupMember.create(group=group, customer=holder)
    with pytest.raises(peewee.IntegrityError):
        GroupMember.create(group=group, customer=holder, staff=staff)
    with pytest.raises(peewee.IntegrityError):
        GroupMember.create(group=group)


def test_money_keeps_two_decimals(database, product, holder):
    Policy.create(policy_no="886010000009", product=product, holder=holder, premium=Decimal("3650.50"))
    assert Policy.get(Policy.policy_no == "886010000009").premium == Decimal("3650.50")


def test_audit_records_who_what_where(database):
    audit("admin", "customer.update", "customer:7", "mobile changed", "192.0.2.1")
    row = AuditLog.get()
    assert (row.actor, row.action, row.target, row.source) == ("admin", "customer.update", "customer:7", "192.0.2.1")
