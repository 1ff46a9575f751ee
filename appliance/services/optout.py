"""Opt-out (退订: no marketing) and do-not-disturb (nothing but service notices).

A customer who texts 退订/TD/T lands on the opt-out list and gets
Customer.opt_out set; an admin can put any number on either list.
"""
from appliance import phones
from appliance.db import write_transaction
from appliance.errors import N_, InputError
from appliance.models import Customer
from appliance.services.models import OPTOUT_KINDS, OptOut

# Which lists block which message categories; service notices always go.
BLOCKED_BY = {"marketing": ("optout", "dnd"), "internal": ("dnd",), "service": ()}


def add(number, kind="optout", reason="", source="cli"):
    """Put a number on a list; returns True when it was not there yet."""
    number = phones.normalize(number, "number")
    _check_kind(kind)
    with write_transaction():
        _, created = OptOut.get_or_create(number=number, kind=kind,
                                          defaults={"reason": reason, "source": source})
        if kind == "optout":
            Customer.update(opt_out=True).where(Customer.mobile == number).execute()
    return created


def remove(number, kind="optout"):
    """Take a number off a list (an opt-in again); returns True when it was there."""
    number = phones.normalize(number, "number")
    _check_kind(kind)
    with write_transaction():
        removed = OptOut.delete().where(OptOut.number == number, OptOut.kind == kind).execute()
        if kind == "optout":
            Customer.update(opt_out=False).where(Customer.mobile == number).execute()
    return bool(removed)


def _check_kind(kind):
    if kind not in OPTOUT_KINDS:
        raise InputError.of(N_("{field}: must be one of {choices}, got {kind!r}"),
                            field="kind", choices=', '.join(OPTOUT_KINDS), kind=kind)


def blocked_numbers(category):
    """Every number a message of `category` must not go to (one query per list)."""
    kinds = BLOCKED_BY[category]
    if not kinds:
        return frozenset()
    numbers = {n for (n,) in OptOut.select(OptOut.number).where(OptOut.kind.in_(kinds)).tuples()}
    if "optout" in kinds:
        numbers.update(n for (n,) in Customer.select(Customer.mobile)
                       .where(Customer.opt_out == True, Customer.mobile.is_null(False)).tuples())  # noqa: E712
    return numbers


def allowed(number, category):
    """May a message of `category` go to `number`?"""
    kinds = BLOCKED_BY[category]
    if not kinds:
        return True
    if OptOut.select().where(OptOut.number == number, OptOut.kind.in_(kinds)).exists():
        return False
    if "optout" in kinds and Customer.select().where(Customer.mobile == number,
                                                     Customer.opt_out == True).exists():  # noqa: E712
        return False
    return True


def listing(kind=None):
    query = OptOut.select().order_by(OptOut.created_at, OptOut.id)
    if kind:
        _check_kind(kind)
        query = query.where(OptOut.kind == kind)
    return [{"number": o.number, "kind": o.kind, "reason": o.reason, "source": o.source,
             "created_at": o.created_at} for o in query]
