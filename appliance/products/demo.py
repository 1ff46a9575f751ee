"""The products' part of `appliance demo`: a term life product offered on the phone (key 1
under menu 5 → 2) with two riders and a rate table to try the premium trial calculation on."""
from decimal import Decimal

from appliance import db as dbmod
from appliance.config import Config
from appliance.db import write_transaction
from appliance.models import Product
from appliance.products import catalogue
from appliance.products.models import ProductRate

AGES = range(18, 61)
PAY_YEARS = {20: Decimal("1.00"), 10: Decimal("1.80")}  # paid over 10 years: a larger yearly premium
GENDER = {"M": Decimal("1.00"), "F": Decimal("0.85")}


def rate_rows(main, accident, waiver):
    """A plausible sheet: rates per 1,000 rising with age, women lower, a flat accident unit."""
    rows = []
    for age in AGES:
        base = Decimal("0.80") + Decimal("0.09") * (age - 18)
        for pay_years, factor in PAY_YEARS.items():
            for gender, weight in GENDER.items():
                rows.append(dict(product=main, gender=gender, age=age, term=20, pay_years=pay_years,
                                 rate=(base * factor * weight).quantize(Decimal("0.0001"))))
            rows.append(dict(product=waiver, gender="", age=age, term=20, pay_years=pay_years,
                             rate=(Decimal("12.00") + Decimal("0.40") * (age - 18)) * factor))
        rows.append(dict(product=accident, gender="", age=age, term=1, pay_years=1, rate=Decimal("15.00")))
    return rows


def hook(demo):
    database = dbmod.open_database(Config(dict(demo.overrides)))
    try:
        dbmod.migrate(database)
        if not Product.select().where(Product.code == "DQ20").exists():
            seed()
    finally:
        database.close()
    demo.note("Products: the 险种与费率 page, `appliance products quote DQ20 --age 35 --gender F --sum 300000 "
              "--pay-years 20 --rider-units YW01=5`, or call the IVR: 5, 2, then 1 for 安心定期寿险")


def seed():
    main, _ = catalogue.save_product("DQ20", "安心定期寿险", ivr_key="1", actor="demo")
    accident, _ = catalogue.save_product("YW01", "附加意外伤害保险（每份一万元）", kind="rider", rate_basis="per_unit",
                                         unit_amount="10000", actor="demo")
    waiver, _ = catalogue.save_product("HM01", "附加投保人豁免保险费", kind="rider", actor="demo")
    catalogue.set_rider_rule("YW01", "DQ20", "main_sum", "1", actor="demo")
    catalogue.set_rider_rule("HM01", "DQ20", "main_premium", "20", actor="demo")
    with write_transaction():
        ProductRate.insert_many(rate_rows(main, accident, waiver)).execute()
