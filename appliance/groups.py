"""Contact groups of customers or staff: by a rule (region, product,
department, branch) or hand-picked; and the recipients a group resolves to."""
from dataclasses import dataclass, field
from types import SimpleNamespace

from appliance import phones
from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.models import (
    GROUP_KINDS,
    GROUP_RULES,
    ContactGroup,
    Customer,
    GroupMember,
    Policy,
    Product,
    Staff,
)

RULES_BY_KIND = {"customer": ("", "region", "product"), "staff": ("", "department", "branch")}


@dataclass
class Recipient:
    number: str
    language: str = "zh"
    customer_id: int = None
    staff_id: int = None
    variables: dict = field(default_factory=dict)


def salutation(name, gender):
    """张先生 / 李女士, the same rule as Customer.salutation, without loading a model."""
    return Customer.salutation.fget(SimpleNamespace(name=name, gender=gender))


def get_group(name_or_id):
    group = ContactGroup.get_or_none((ContactGroup.name == str(name_or_id)) |
                                     (ContactGroup.id == _int_or_zero(name_or_id)))
    if group is None:
        raise NotFound.of(N_("{field}: no group {name_or_id!r}"), field="group", name_or_id=name_or_id)
    return group


def _int_or_zero(value):
    """The group id a name may be, or 0 (no group has it): also for one past 64 bits,
    which SQLite cannot compare (OverflowError)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if -2 ** 63 <= number < 2 ** 63 else 0


def create(name, kind, rule="", rule_value="", description=""):
    if not (name or "").strip():
        raise InputError.of(N_("{field}: empty"), field="name")
    if kind not in GROUP_KINDS:
        raise InputError.of(N_("{field}: must be customer or staff, got {kind!r}"), field="kind", kind=kind)
    if rule not in GROUP_RULES or rule not in RULES_BY_KIND[kind]:
        allowed = ", ".join(r for r in RULES_BY_KIND[kind] if r)
        raise InputError.of(N_("{field}: a {kind} group's rule is one of {allowed}, got {rule!r}"),
                            field="rule", kind=kind, allowed=allowed, rule=rule)
    if rule and not rule_value:
        raise InputError.of(N_("{field}: needed with a rule"), field="rule_value")
    if ContactGroup.select().where(ContactGroup.name == name).exists():
        raise InputError.of(N_("{field}: a group named {name} exists"), field="name", name=repr(name))
    return ContactGroup.create(name=name, kind=kind, rule=rule, rule_value=rule_value,
                               description=description)


def add_members(group, keys):
    """Add hand-picked members by customer_no / badge_no / mobile; returns how many were new.
    All-or-nothing: an unknown key names itself and nothing is added."""
    if group.rule:
        raise InputError.of(N_("{field}: {name!r} is defined by a rule; members cannot be added"),
                            field="group", name=group.name)
    found = [_member_for(group.kind, key) for key in keys]
    added = 0
    with write_transaction():
        for person in found:
            column = {"customer": GroupMember.customer, "staff": GroupMember.staff}[group.kind]
            if not GroupMember.select().where(GroupMember.group == group, column == person).exists():
                GroupMember.create(group=group, **{group.kind: person})
                added += 1
    return added


def remove_members(group, keys):
    removed = 0
    for key in keys:
        person = _member_for(group.kind, key)
        column = {"customer": GroupMember.customer, "staff": GroupMember.staff}[group.kind]
        removed += GroupMember.delete().where(GroupMember.group == group, column == person).execute()
    return removed


def _member_for(kind, key):
    key = str(key).strip()
    model, natural = (Customer, Customer.customer_no) if kind == "customer" else (Staff, Staff.badge_no)
    person = model.get_or_none(natural == key)
    if person is None:
        try:
            number = phones.normalize(key, "member")
        except InputError:
            number = None
        person = model.get_or_none(model.mobile == number) if number else None
    if person is None:
        raise NotFound.of(N_("{field}: no {kind} with number or mobile {key!r}"), field="member", kind=kind, key=key)
    return person


def recipients(group, with_email=False):
    """Everyone in the group who has a mobile, as Recipients (one query). `with_email`:
    customers with only an e-mail address too (number None), for e-mail campaigns."""
    if group.kind == "customer":
        reachable = Customer.mobile.is_null(False)
        if with_email:
            reachable |= Customer.email.is_null(False)
        query = Customer.select(Customer.id, Customer.name, Customer.gender, Customer.mobile,
                                Customer.language).where(reachable)
        if group.rule == "region":
            query = query.where(Customer.region == group.rule_value)
        elif group.rule == "product":
            holders = (Policy.select(Policy.holder).join(Product)
                       .where(Product.code == group.rule_value, Policy.status == "in_force"))
            query = query.where(Customer.id.in_(holders))
        else:
            query = query.where(Customer.id.in_(GroupMember.select(GroupMember.customer)
                                                .where(GroupMember.group == group)))
        return [Recipient(number, language or "zh", customer_id=cid,
                          variables={"name": name, "salutation": salutation(name, gender)})
                for cid, name, gender, number, language in query.order_by(Customer.id).tuples()]
    query = Staff.select(Staff.id, Staff.name, Staff.mobile, Staff.badge_no).where(
        Staff.mobile.is_null(False), Staff.status == "active")
    if group.rule == "department":
        query = query.where(Staff.department == group.rule_value)
    elif group.rule == "branch":
        query = query.where(Staff.branch == group.rule_value)
    else:
        query = query.where(Staff.id.in_(GroupMember.select(GroupMember.staff)
                                         .where(GroupMember.group == group)))
    return [Recipient(number, "zh", staff_id=sid,
                      variables={"name": name, "salutation": name, "badge_no": badge})
            for sid, name, number, badge in query.order_by(Staff.id).tuples()]


def listing():
    rows = []
    for group in ContactGroup.select().order_by(ContactGroup.name):
        rows.append({"id": group.id, "name": group.name, "kind": group.kind, "rule": group.rule,
                     "rule_value": group.rule_value, "description": group.description,
                     "members": len(recipients(group))})
    return rows
