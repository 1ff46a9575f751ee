"""The customer phone index (appliance/customer_phones.py), filled from the
customers already there. Written by hand: a frozen table plus a backfill."""
from peewee import CharField, ForeignKeyField, Model


def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class CustomerPhone(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        number = CharField(index=True)

        class Meta:
            database = db
            table_name = 'customer_phone'
            indexes = ((('customer', 'number'), True),)
    db.create_tables([CustomerPhone])

    rows = []
    for customer_id, mobile, others in db.execute_sql(
            "SELECT id, mobile, other_phones FROM customer").fetchall():
        numbers = [mobile] if mobile else []
        numbers += [n for n in (others or "").split(",") if n and n not in numbers]
        rows += [{"customer": customer_id, "number": n} for n in numbers]
    for start in range(0, len(rows), 500):
        CustomerPhone.insert_many(rows[start:start + 500]).execute()


def down(migrator, db):
    db.execute_sql("DROP TABLE customer_phone")
