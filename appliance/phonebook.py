"""An index of every customer phone number (mobile and other phones).

Why a table: Customer.other_phones is a comma-separated text field, and
"which customer has this number" over it is a LIKE '%…%' scan of the whole
customer table, once per incoming call and per inbound SMS. Here each number
is a row with an index, kept in step by Customer.save() in its transaction.
"""

from appliance.models import Customer
from appliance.models import CustomerPhone


def customer_by_number(number):
    """The customer with this E.164 number (mobile preferred over an other phone), or None."""
    if not number:
        return None
    return (Customer.select().join(CustomerPhone)
            .where(CustomerPhone.number == number)
            .order_by((Customer.mobile != number), Customer.id).first())

