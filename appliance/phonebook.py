"""An index of every customer phone number (mobile and other phones).

Why a table: Customer.other_phones is a comma-separated text field, and
"which customer has this number" over it is a LIKE '%…%' scan of the whole
customer table, once per incoming call and per inbound SMS. Here each number
is a row with an index, kept in step by Customer.save() in its transaction.
"""
from peewee import CharField, ForeignKeyField

from appliance.db import BaseModel
from appliance.models import Customer


class CustomerPhone(BaseModel):
    customer = ForeignKeyField(Customer, on_delete="CASCADE", backref="phone_rows")
    number = CharField(index=True)  # E.164

    class Meta:
        table_name = "customer_phone"
        indexes = ((("customer", "number"), True),)


def numbers_of(customer):
    """The E.164 numbers a customer can be reached at or call from, mobile first."""
    numbers = [customer.mobile] if customer.mobile else []
    for number in (customer.other_phones or "").split(","):
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def sync(customer):
    """Make the index rows match the customer's numbers. Customer.save() calls it
    inside the transaction of the save itself."""
    CustomerPhone.delete().where(CustomerPhone.customer == customer.id).execute()
    rows = [{"customer": customer.id, "number": n} for n in numbers_of(customer)]
    if rows:
        CustomerPhone.insert_many(rows).execute()


def customer_by_number(number):
    """The customer with this E.164 number (mobile preferred over an other phone), or None."""
    if not number:
        return None
    return (Customer.select().join(CustomerPhone)
            .where(CustomerPhone.number == number)
            .order_by((Customer.mobile != number), Customer.id).first())

