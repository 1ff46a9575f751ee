"""Where a voice campaign's numbers come from: a contact group, customers by id, a file
(CSV/XLSX of numbers or of customers) or a pasted list. One place for the command line,
the API and the admin page, so the three take the same input the same way.

Each source gives Callees (a number, and the customer when one is known); errors are
InputErrors naming the field the input came in (group, customer_ids, file, numbers).
"""
import re
from typing import NamedTuple

from appliance import groups, importer
from appliance.errors import N_, InputError, NotFound, Refused
from appliance.models import Customer
from appliance.voice import campaigns

# A pasted list: numbers separated by commas, semicolons (also the full-width ones
# Chinese input methods type), slashes or any white space.
SEPARATORS = re.compile(r"[,;，；、/\s]+")
# A file's number column, by its header (English and the Chinese headers branches use).
NUMBER_HEADERS = ("number", "mobile", "phone", "telephone", "tel", "号码", "电话", "手机", "手机号", "手机号码",
                  "电话号码", "联系电话")
CUSTOMER_HEADERS = ("customer_no", "客户号", "客户编号")
NO_COLUMN = N_("{field}: no column of numbers (number, mobile, 手机号) or customers (customer_no, 客户号) in its first line")
MAX_NUMBERS = 100_000  # one campaign; a bigger one is split by whoever makes it


class Callee(NamedTuple):
    number: str
    customer_id: int = None


def clean(number):
    """A number as written, less the dashes, dots, brackets and spaces people group digits with."""
    return re.sub(r"[-.() \u3000]", "", str(number or ""))


def from_text(text, field="numbers"):
    """Callees from a pasted list (as typed, duplicates kept: create_campaign drops them)."""
    return _bounded([Callee(clean(n)) for n in SEPARATORS.split(text or "") if n], field)


def from_list(numbers, field="numbers"):
    return _bounded([Callee(clean(n)) for n in numbers if clean(n)], field)


def from_group(name_or_id, field="group"):
    """Everyone in a contact group who has a mobile."""
    try:
        group = groups.get_group(name_or_id)
    except InputError as exc:
        exc.field = field
        raise
    found = [Callee(r.number, r.customer_id) for r in groups.recipients(group)]
    if not found:
        raise Refused.of(N_("{field}: group {group} has no one with a mobile"), field=field, group=group.name)
    return _bounded(found, field)


def from_customers(ids, field="customer_ids"):
    """Customers by id, in the order given; an unknown id or one without a mobile is refused."""
    ids = list(dict.fromkeys(ids))
    mobiles = dict(Customer.select(Customer.id, Customer.mobile).where(Customer.id.in_(ids)).tuples()) if ids else {}
    for customer_id in ids:
        if customer_id not in mobiles:
            raise NotFound.of(N_("{field}: no customer {customer}"), field=field, customer=customer_id)
        if not mobiles[customer_id]:
            raise Refused.of(N_("{field}: customer {customer} has no mobile"), field=field, customer=customer_id)
    return _bounded([Callee(mobiles[i], i) for i in ids], field)


def from_file(path, field="file"):
    """Callees from a CSV or XLSX file: a column of numbers (headed number, mobile, 手机号…, or
    no header at all) or of customer numbers (customer_no, 客户号)."""
    header, rows = importer.read_table(path)
    names = [str(h or "").strip().lower() for h in header]
    if _is_number(names[0] if names else ""):  # no header: the first line is a number too
        return _bounded([Callee(clean(header[0]))] + [Callee(_cell(c, 0)) for _, c in rows if _cell(c, 0)], field)
    column = next((i for i, n in enumerate(names) if n in NUMBER_HEADERS), None)
    if column is not None:
        return _bounded([Callee(_cell(c, column)) for _, c in rows if _cell(c, column)], field)
    column = next((i for i, n in enumerate(names) if n in CUSTOMER_HEADERS), None)
    if column is None:
        raise InputError.of(NO_COLUMN, field=field)
    keys = [(line, _cell(c, column, raw=True)) for line, c in rows if _cell(c, column, raw=True)]
    found = dict(Customer.select(Customer.customer_no, Customer.id).where(
        Customer.customer_no.in_([k for _, k in keys])).tuples()) if keys else {}
    mobiles = dict(Customer.select(Customer.id, Customer.mobile).where(Customer.id.in_(list(found.values()))).tuples())
    callees = []
    for line, key in keys:
        if key not in found:
            raise InputError.of(N_("{field}: line {line}: no customer {key!r}"), field=field, line=line, key=key)
        if mobiles.get(found[key]):
            callees.append(Callee(mobiles[found[key]], found[key]))
    return _bounded(callees, field)


def _cell(cells, column, raw=False):
    value = cells[column] if column < len(cells) else None
    if isinstance(value, float) and value.is_integer():  # a number typed into Excel: 13800138000.0
        value = int(value)
    return "" if value is None else str(value).strip() if raw else clean(value)


def _is_number(text):
    return bool(re.fullmatch(r"\+?[0-9][0-9 -]{2,}", text))


def _bounded(callees, field):
    """The callees, checked before anything is shown or created: there are some, not too
    many, and each one diallable (the field named is the source's: numbers, file, group)."""
    if not callees:
        raise InputError.of(N_("{field}: no numbers"), field=field)
    bad = next((c.number for c in callees if not campaigns.diallable(c.number)), None)
    if bad is not None:
        raise InputError.of(N_("{field}: not a phone number: {number!r}"), field=field, number=bad)
    if len(callees) > MAX_NUMBERS:
        raise InputError.of(N_("{field}: {count} numbers, at most {most} in one campaign"), field=field,
                            count=len(callees), most=MAX_NUMBERS)
    return callees
