"""Who is this number? The one lookup of a phone number to a customer or a
staff member, for callers, SMS senders and replies alike.

Customers are found through the customer_phone index (mobile and other phones,
one indexed row each, kept by Customer.save()): Customer.other_phones is a
comma-separated text field, and "which customer has this number" over it
would be a LIKE '%…%' scan of the whole customer table per call and per SMS.
"""
from appliance import phones
from appliance.models import Customer, CustomerPhone, Staff


def customers_by_number(number, registered_mobile=False):
    """Customers reachable at this E.164 number, those whose mobile it is first.
    registered_mobile: only those whose registered mobile it is — what policy data
    sent by SMS requires (another phone on file may be a relative's)."""
    if not number:
        return []
    if registered_mobile:
        return list(Customer.select().where(Customer.mobile == number).order_by(Customer.id))
    return list(Customer.select().join(CustomerPhone)
                .where(CustomerPhone.number == number)
                .order_by((Customer.mobile != number), Customer.id))


def customer_by_number(number):
    """The customer with this E.164 number (mobile preferred over an other phone), or None."""
    found = customers_by_number(number)
    return found[0] if found else None


def staff_by_number(number, active_only=False):
    """The staff member whose mobile this E.164 number is, or None."""
    if not number:
        return None
    query = Staff.select().where(Staff.mobile == number)
    if active_only:
        query = query.where(Staff.status == "active")
    return query.order_by(Staff.id).first()


def who(number):
    """(customer, staff) for a number as it came (caller ID or sender); either may be None."""
    e164 = phones.e164_or_none(number)
    if e164 is None:
        return None, None
    return customer_by_number(e164), staff_by_number(e164)
