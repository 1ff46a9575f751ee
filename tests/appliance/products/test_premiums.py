"""The premium trial calculation on a known rate table (tests/products_support.py), each
figure worked out by hand: bands, rounding half up to the fen, rider limits and refusals."""
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from products_support import seed_products

from appliance import db as dbmod
from appliance.errors import InputError, NotFound, Refused
from appliance.products import premiums


@pytest.fixture
def products(database, tmp_path):
    return seed_products(tmp_path)


def test_main_cover_priced_per_thousand_from_its_band(products):
    assert premiums.quote("TL20", age=30, gender="M", sum_insured="200000", pay_years=20).total == Decimal("370.00")
    big = premiums.quote("TL20", age=30, gender="男", sum_insured=500000, pay_years=20)
    assert (big.main.rate, big.total) == (Decimal("1.7000"), Decimal("850.00"))


def test_premium_rounds_half_up_to_the_fen(products):
    quote = premiums.quote("TL20", age=31, gender="F", sum_insured="1250")  # only 20 years paid over 20 at 31
    assert (quote.term, quote.pay_years) == (20, 20)
    assert quote.total == Decimal("1.63") and isinstance(quote.total, Decimal)


def test_riders_priced_with_the_main_and_within_their_limits(products):
    quote = premiums.quote("TL20", age=30, gender="M", sum_insured="200000", pay_years=20,
                           riders=[{"product": "ADD", "units": 3}, {"product": "WP", "sum_insured": "7400"}])
    assert [(l.code, l.premium) for l in quote.lines] == [
        ("TL20", Decimal("370.00")), ("ADD", Decimal("37.50")), ("WP", Decimal("259.00"))]
    assert quote.lines[1].sum_insured == Decimal("30000.00") and quote.lines[1].limit == Decimal("100000.00")
    assert quote.lines[2].limit == Decimal("7400.00")
    assert quote.total == Decimal("666.50")
    assert quote.as_dict()["total"] == "666.50"


@pytest.mark.parametrize("rider, field, words", [
    ({"product": "ADD", "units": 11}, "riders[0].units", "at most 10 units (100000.00 yuan)"),
    ({"product": "ADD", "sum_insured": "110000"}, "riders[0].units", "at most 10 units"),
    ({"product": "WP", "sum_insured": "7400.01"}, "riders[0].sum_insured", "at most 7400.00 yuan"),
])
def test_rider_over_its_limit_is_refused(products, rider, field, words):
    with pytest.raises(Refused) as caught:
        premiums.quote("TL20", age=30, gender="M", sum_insured="200000", pay_years=20, riders=[rider])
    assert caught.value.field == field and words in str(caught.value)


def test_rider_without_its_main_product_is_refused(products):
    with pytest.raises(Refused) as alone:
        premiums.quote("ADD", age=30, units=1)
    assert alone.value.field == "product" and "sold only with its main product" in str(alone.value)
    with pytest.raises(Refused) as other:  # TL10 has no rule for ADD
        premiums.quote("TL10", age=30, sum_insured="1000", riders=[{"product": "ADD", "units": 1}])
    assert other.value.field in ("product", "riders[0].product")


def test_rider_with_a_main_it_has_no_rule_for(products, tmp_path):
    from appliance.products import catalogue, rate_import
    path = tmp_path / "tl10.csv"
    path.write_text("险种代码,年龄,费率\nTL10,30,2.00\n", encoding="utf-8")
    rate_import.import_rates(path)
    with pytest.raises(Refused) as caught:
        premiums.quote("TL10", age=30, sum_insured="1000", riders=[{"product": "ADD", "units": 1}])
    assert caught.value.field == "riders[0].product" and "ADD is not sold with TL10" in str(caught.value)
    assert premiums.quote("TL10", age=30, sum_insured="1000").total == Decimal("2.00")
    catalogue.set_rider_rule("ADD", "TL10", "main_sum", "1")
    assert premiums.quote("TL10", age=30, sum_insured="10000", riders=[{"product": "ADD", "units": 1}]
                          ).total == Decimal("32.50")


@pytest.mark.parametrize("kwargs, field, error", [
    (dict(age=45, gender="M", sum_insured="1000", pay_years=20), "age", Refused),
    (dict(age=30, sum_insured="1000", pay_years=20), "gender", InputError),
    (dict(age=30, gender="M", sum_insured="1000"), "pay_years", InputError),  # 10 or 20: which?
    (dict(age=30, gender="M", sum_insured="1000", pay_years=15), "pay_years", Refused),
    (dict(age=30, gender="M", sum_insured="-5", pay_years=20), "sum_insured", InputError),
    (dict(age=30, gender="M", sum_insured="1e3x", pay_years=20), "sum_insured", InputError),
    (dict(age=30, gender="M", sum_insured="0.001", pay_years=20), "sum_insured", InputError),
    (dict(age="abc", gender="M", sum_insured="1000", pay_years=20), "age", InputError),
    (dict(age=30, gender="X", sum_insured="1000", pay_years=20), "gender", InputError),
])
def test_bad_or_unpriced_requests_name_the_field(products, kwargs, field, error):
    with pytest.raises(error) as caught:
        premiums.quote("TL20", **kwargs)
    assert caught.value.field == field and caught.value.msgid  # the pages translate it


def test_age_out_of_the_table_says_what_it_covers(products):
    with pytest.raises(Refused) as caught:
        premiums.quote("TL20", age=45, gender="M", sum_insured="1000", pay_years=20)
    assert "no rate for age 45 (its table covers 30 to 31)" in str(caught.value)


def test_unknown_product(products):
    with pytest.raises(NotFound) as caught:
        premiums.quote("NOPE", age=30, sum_insured="1000")
    assert caught.value.field == "product"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(yuan=st.integers(1, 10 ** 9), fen=st.integers(0, 99))
def test_premium_is_exact_and_grows_with_the_sum(products, yuan, fen):
    """Invariants: the premium is rate × sum / 1000 rounded half up to the fen (no float
    anywhere), and a larger sum never costs less within one band."""
    total = Decimal(yuan) + Decimal(fen) / 100
    quote = premiums.quote("TL20", age=31, gender="F", sum_insured=str(total))
    exact = total * Decimal("1.30") / 1000
    assert quote.total == exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert abs(quote.total - exact) <= Decimal("0.005")
    more = premiums.quote("TL20", age=31, gender="F", sum_insured=str(total + 1))
    assert more.total >= quote.total


def test_the_demo_products_quote(database, config):
    """`appliance demo`'s products (appliance/products/demo.py): 35-year-old woman, 300,000 yuan
    over 20 years: (0.80 + 0.09 × 17) × 0.85 = 1.9805 per 1,000 -> 594.15; 5 accident units 75.00."""
    from types import SimpleNamespace
    from appliance.products import demo
    notes = []
    demo.hook(SimpleNamespace(overrides={"data_dir": str(config.data_dir)}, note=notes.append))
    dbmod.open_database(config)  # the hook closed its own
    quote = premiums.quote("DQ20", age=35, gender="F", sum_insured="300000", pay_years=20,
                           riders=[{"product": "YW01", "units": 5}])
    assert [l.premium for l in quote.lines] == [Decimal("594.15"), Decimal("75.00")]
    assert "DQ20" in notes[0]
