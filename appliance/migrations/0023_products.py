# Products and premium rules (issue 17): a product's rate basis, unit and IVR key; its rate
# table; the rules that let a rider be sold with a main product; and the quotes callers
# applied with by phone (each with its ticket). Adds columns and new tables only.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('product', 'rate_basis', CharField(
            default='per_thousand', constraints=[Check("rate_basis IN ('per_thousand', 'per_unit')")])),
        migrator.add_column('product', 'unit_amount', DecimalField(
            max_digits=16, decimal_places=2, default=1000, constraints=[Check("unit_amount > 0")])),
        migrator.add_column('product', 'ivr_key', CharField(default='')),
    )

    class Product(Model):
        class Meta:
            database = db
            table_name = 'product'

    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    genders = [Check("gender IN ('M', 'F', '')")]

    class ProductRate(Model):
        product = ForeignKeyField(Product, on_delete='CASCADE')
        gender = CharField(max_length=1, default='', constraints=genders)
        age = IntegerField(constraints=[Check("age >= 0 AND age <= 120")])
        term = IntegerField(default=0, constraints=[Check("term >= 0")])
        pay_years = IntegerField(default=1, constraints=[Check("pay_years >= 1")])
        sum_min = DecimalField(max_digits=16, decimal_places=2, default=0, constraints=[Check("sum_min >= 0")])
        rate = DecimalField(max_digits=14, decimal_places=4, constraints=[Check("rate >= 0")])

        class Meta:
            database = db
            table_name = 'product_rate'
            indexes = ((('product', 'gender', 'age', 'term', 'pay_years', 'sum_min'), True),)

    class RiderRule(Model):
        rider = ForeignKeyField(Product, on_delete='CASCADE')
        main = ForeignKeyField(Product, on_delete='CASCADE', backref='offers')
        limit_basis = CharField(default='main_sum', constraints=[Check("limit_basis IN ('main_sum', 'main_premium')")])
        limit_ratio = DecimalField(max_digits=10, decimal_places=4, constraints=[Check("limit_ratio > 0")])

        class Meta:
            database = db
            table_name = 'rider_rule'
            indexes = ((('rider', 'main'), True),)

    class PremiumQuote(Model):
        product = ForeignKeyField(Product, on_delete='RESTRICT')
        caller = CharField(default='')
        age = IntegerField()
        gender = CharField(max_length=1, default='')
        term = IntegerField()
        pay_years = IntegerField()
        sum_insured = DecimalField(max_digits=16, decimal_places=2)
        premium = DecimalField(max_digits=14, decimal_places=2)
        detail = TextField(default='')
        ticket = ForeignKeyField(Ticket, null=True, on_delete='SET NULL')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'premium_quote'

    db.create_tables([ProductRate, RiderRule, PremiumQuote])


def down(migrator, db):
    for table in ('premium_quote', 'rider_rule', 'product_rate'):
        migrator.migrate(migrator.drop_table(table))
    migrator.migrate(migrator.drop_column('product', 'ivr_key'), migrator.drop_column('product', 'unit_amount'),
                     migrator.drop_column('product', 'rate_basis'))
