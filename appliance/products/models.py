"""The premium rules' tables: a product's rate table and the rules that let a rider be
sold with a main product.

A rate row prices one cell of a Chinese rate sheet: gender ('' when the sheet does not
tell men from women), age at entry, term in years (0: whole life, 终身), payment period
in years (1: single premium, 趸交) and the lowest sum insured the row applies from
(sheets with a lower rate for larger covers; 0 for the others). The rate is per 1,000
yuan of sum insured or per unit, as the product's rate_basis says (appliance/models.py).

A rider is sold only with a main product it has a rule for; the rule caps its sum
insured at `limit_ratio` times the main cover's sum insured or premium (limit_basis).
A quote asked for by phone is kept (PremiumQuote) with the ticket it became.
"""
from peewee import CharField, DateTimeField, DecimalField, ForeignKeyField, IntegerField, TextField

from appliance import clock
from appliance.db import BaseModel
from appliance.models import GENDERS, Check, Product, one_of
from appliance.tickets.models import Ticket

LIMIT_BASES = ("main_sum", "main_premium")


class ProductRate(BaseModel):
    product = ForeignKeyField(Product, backref="rates", on_delete="CASCADE")
    gender = CharField(max_length=1, default="", constraints=[one_of("gender", GENDERS)])
    age = IntegerField(constraints=[Check("age >= 0 AND age <= 120")])
    term = IntegerField(default=0, constraints=[Check("term >= 0")])
    pay_years = IntegerField(default=1, constraints=[Check("pay_years >= 1")])
    sum_min = DecimalField(max_digits=16, decimal_places=2, default=0, constraints=[Check("sum_min >= 0")])
    rate = DecimalField(max_digits=14, decimal_places=4, constraints=[Check("rate >= 0")])

    class Meta:
        table_name = "product_rate"
        indexes = ((("product", "gender", "age", "term", "pay_years", "sum_min"), True),)


class RiderRule(BaseModel):
    rider = ForeignKeyField(Product, backref="rider_rules", on_delete="CASCADE")
    main = ForeignKeyField(Product, backref="rider_offers", on_delete="CASCADE")
    limit_basis = CharField(default="main_sum", constraints=[one_of("limit_basis", LIMIT_BASES)])
    limit_ratio = DecimalField(max_digits=10, decimal_places=4, constraints=[Check("limit_ratio > 0")])

    class Meta:
        table_name = "rider_rule"
        indexes = ((("rider", "main"), True),)


class PremiumQuote(BaseModel):
    """A quote a caller asked for on the IVR and applied with: the ticket carries it."""
    product = ForeignKeyField(Product, on_delete="RESTRICT")
    caller = CharField(default="")              # E.164 when it parses
    age = IntegerField()
    gender = CharField(max_length=1, default="")
    term = IntegerField()
    pay_years = IntegerField()
    sum_insured = DecimalField(max_digits=16, decimal_places=2)
    premium = DecimalField(max_digits=14, decimal_places=2)
    detail = TextField(default="")              # JSON: the quote's lines
    ticket = ForeignKeyField(Ticket, null=True, backref="quotes", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "premium_quote"
