"""The premium trial calculation (保费试算): a main cover and its riders priced from the
products' rate tables, exactly (Decimal), each line rounded half up to the fen.

    premium = rate × sum insured / 1,000        (rate_basis per_thousand)
    premium = rate × units                      (per_unit; units = sum insured / unit_amount)

A rider is priced with the main cover's age, gender, term and payment period (or the
only term / period its own table has) and is refused unless a rider rule lets it go
with that main product and its sum insured is within the rule's limit (limit_ratio
times the main cover's sum insured or premium). Every refusal is an InputError naming
the field (`riders[0].sum_insured`…) with a msgid the pages translate; nothing is
written here.
"""
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from appliance.errors import N_, InputError, NotFound, Refused
from appliance.models import Product
from appliance.products.models import ProductRate, RiderRule

FEN = Decimal("0.01")
RATE = Decimal("0.0001")  # the rate column keeps 4 decimals
THOUSAND = Decimal(1000)
MAX_SUM = Decimal(10) ** 12  # the amount columns keep 14 digits, 2 after the point
GENDER_WORDS = {"M": "M", "F": "F", "男": "M", "女": "F", "m": "M", "f": "F", "": ""}


@dataclass
class Line:
    """One priced cover of a quote."""
    code: str
    name: str
    kind: str
    sum_insured: Decimal
    units: int | None
    rate: Decimal
    rate_basis: str
    premium: Decimal
    limit: Decimal | None = None  # a rider's largest sum insured with this main cover


@dataclass
class Quote:
    age: int
    gender: str
    term: int
    pay_years: int
    lines: list = field(default_factory=list)

    @property
    def main(self):
        return self.lines[0]

    @property
    def total(self):
        return sum((line.premium for line in self.lines), Decimal("0.00"))

    def as_dict(self):
        """JSON-ready: amounts as strings, so no client reads them as floats."""
        def plain(line):
            out = asdict(line)
            for name in ("sum_insured", "rate", "premium", "limit"):
                out[name] = None if out[name] is None else str(out[name])
            return out
        return {"age": self.age, "gender": self.gender, "term": self.term, "pay_years": self.pay_years,
                "lines": [plain(line) for line in self.lines], "total": str(self.total)}


# --- reading the request -----------------------------------------------------------------

def amount(value, name):
    """A sum insured in yuan from text or a number (never a float's binary digits)."""
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip().replace(",", "").replace("元", "")) if value not in (None, "") else None
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite() or result <= 0:
        raise InputError.of(N_("{field}: must be an amount in yuan above 0"), field=name)
    if result >= MAX_SUM or result != result.quantize(FEN):
        raise InputError.of(N_("{field}: must be an amount in yuan above 0"), field=name)
    return result.quantize(FEN)


def whole(value, name, low=0, high=10 ** 6):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InputError.of(N_("{field}: must be a whole number"), field=name) from None
    if not low <= number <= high:
        raise InputError.of(N_("{field}: must be from {low} to {high}"), field=name, low=low, high=high)
    return number


def product_by_code(code, name="product"):
    code = str(code or "").strip()
    if not code:
        raise InputError.of(N_("{field}: required"), field=name)
    product = Product.get_or_none(Product.code == code)
    if product is None:
        raise NotFound.of(N_("{field}: no product {code}"), field=name, code=code)
    return product


# --- the calculation ---------------------------------------------------------------------------

def quote(product, *, age, sum_insured=None, units=None, gender="", term=None, pay_years=None, riders=()):
    """Price a main cover and its riders. `product` a code or Product; `riders` a list of
    {"product": code, "sum_insured": …} or {"product": code, "units": …}. Returns a Quote."""
    main = product if isinstance(product, Product) else product_by_code(product)
    if main.kind != "main":
        raise Refused.of(N_("{field}: {code} is a rider, sold only with its main product"), field="product",
                         code=main.code)
    age = whole(age, "age", 0, 120)
    if str(gender).strip() not in GENDER_WORDS:
        raise InputError.of(N_("{field}: must be M or F"), field="gender")
    gender = GENDER_WORDS[str(gender).strip()]
    rows = _rows(main)
    at_age = _at_age(main, rows, age, gender)  # the choices left to this caller
    term = _pick(at_age, "term", term, "term")
    pay_years = _pick([r for r in at_age if r.term == term], "pay_years", pay_years, "pay_years")
    result = Quote(age, gender, term, pay_years)
    result.lines.append(_price(main, rows, result, sum_insured, units, "", None))
    seen = set()
    for index, rider in enumerate(riders or ()):
        where = f"riders[{index}]"
        if not isinstance(rider, dict):
            raise InputError.of(N_("{field}: must be an object with product and sum_insured or units"), field=where)
        product = product_by_code(rider.get("product"), f"{where}.product")
        if product.code in seen:
            raise InputError.of(N_("{field}: {code} is given twice"), field=f"{where}.product", code=product.code)
        seen.add(product.code)
        result.lines.append(_rider_line(main, product, result, rider, where))
    return result


def _rows(product):
    rows = list(ProductRate.select().where(ProductRate.product == product))
    if not rows:
        raise Refused.of(N_("{field}: {code} has no rate table yet"), field="product", code=product.code)
    return rows


def _at_age(product, rows, age, gender):
    ages = sorted({r.age for r in rows})
    if age not in ages:
        raise Refused.of(N_("{field}: {code} has no rate for age {age} (its table covers {low} to {high})"),
                         field="age", code=product.code, age=age, low=ages[0], high=ages[-1])
    rows = [r for r in rows if r.age == age]
    if not gender and {r.gender for r in rows} - {""}:  # asked before term and period: they may differ by it
        raise InputError.of(N_("{field}: required (the rates differ for men and women)"), field="gender")
    return [r for r in rows if r.gender in ("", gender)]


def _pick(rows, column, wanted, name):
    """The term or payment period asked for, or the table's only one when none was."""
    have = sorted({getattr(r, column) for r in rows})
    if wanted in (None, ""):
        if len(have) == 1:
            return have[0]
        raise InputError.of(N_("{field}: required, one of {choices}"), field=name,
                            choices=", ".join(map(str, have)))
    value = whole(wanted, name)
    if value not in have:
        raise Refused.of(N_("{field}: must be one of {choices}"), field=name, choices=", ".join(map(str, have)))
    return value


def _rider_line(main, rider, quote_so_far, request, where):
    if rider.kind != "rider":
        raise Refused.of(N_("{field}: {code} is a main product, not a rider"), field=f"{where}.product",
                         code=rider.code)
    rule = RiderRule.get_or_none(RiderRule.rider == rider, RiderRule.main == main)
    if rule is None:
        raise Refused.of(N_("{field}: {code} is not sold with {main}"), field=f"{where}.product", code=rider.code,
                         main=main.code)
    base = quote_so_far.main.sum_insured if rule.limit_basis == "main_sum" else quote_so_far.main.premium
    limit = (base * Decimal(rule.limit_ratio).quantize(RATE)).quantize(FEN, rounding=ROUND_DOWN)
    rows = _rows(rider)
    term = _follow({r.term for r in rows}, quote_so_far.term)
    rows = [r for r in rows if r.term == term]
    pay_years = _follow({r.pay_years for r in rows}, quote_so_far.pay_years)
    if not [r for r in rows if r.pay_years == pay_years]:
        raise Refused.of(N_("{field}: {code} has no rate for a term of {term} years paid over {pay_years}"),
                         field=f"{where}.product", code=rider.code, term=quote_so_far.term,
                         pay_years=quote_so_far.pay_years)
    terms_of = Quote(quote_so_far.age, quote_so_far.gender, term, pay_years)
    line = _price(rider, rows, terms_of, request.get("sum_insured"), request.get("units"), f"{where}.", limit)
    line.limit = limit
    return line


def _follow(have, main_value):
    """A rider's term (or period): the main cover's when its table has it, else its only one
    (a one-year accident rider on a 20-year main cover)."""
    return main_value if main_value in have or len(have) != 1 else next(iter(have))


def _price(product, rows, terms, sum_insured, units, prefix, limit):
    """One cover's line: its sum insured (or units), the matching rate, the premium."""
    sum_insured, units = _cover(product, sum_insured, units, prefix)
    if limit is not None and sum_insured > limit:
        most = int(limit // product.unit_amount) if product.rate_basis == "per_unit" else None
        if most is not None:
            raise Refused.of(N_("{field}: at most {units} units ({limit} yuan) with this main cover"),
                             field=f"{prefix}units", units=most, limit=limit)
        raise Refused.of(N_("{field}: at most {limit} yuan with this main cover"), field=f"{prefix}sum_insured",
                         limit=limit)
    rate = _rate(product, rows, terms, sum_insured, prefix)
    if product.rate_basis == "per_unit":
        premium = rate * units
    else:
        premium = rate * sum_insured / THOUSAND
    premium = premium.quantize(FEN, rounding=ROUND_HALF_UP)
    return Line(product.code, product.name, product.kind, sum_insured, units, rate, product.rate_basis, premium)


def _cover(product, sum_insured, units, prefix):
    """(sum insured, units): per-unit products take either; the sum must be whole units."""
    unit = Decimal(product.unit_amount)
    if product.rate_basis != "per_unit":
        if sum_insured in (None, ""):
            raise InputError.of(N_("{field}: required"), field=f"{prefix}sum_insured")
        return amount(sum_insured, f"{prefix}sum_insured"), None
    if units not in (None, ""):
        units = whole(units, f"{prefix}units", 1, 10 ** 6)
        return (unit * units).quantize(FEN), units
    if sum_insured in (None, ""):
        raise InputError.of(N_("{field}: required"), field=f"{prefix}sum_insured")
    total = amount(sum_insured, f"{prefix}sum_insured")
    if total % unit:
        raise InputError.of(N_("{field}: must be whole units of {unit} yuan"), field=f"{prefix}sum_insured",
                            unit=unit)
    return total, int(total // unit)


def _rate(product, rows, terms, sum_insured, prefix):
    """The row for this age, gender, term, period and the highest band at or below the sum."""
    mine = [r for r in rows if r.term == terms.term and r.pay_years == terms.pay_years]
    genders = {r.gender for r in mine}
    if terms.gender == "" and genders - {""}:
        raise InputError.of(N_("{field}: required (the rates differ for men and women)"), field="gender")
    mine = [r for r in mine if r.gender in ("", terms.gender)]
    ages = sorted({r.age for r in mine})
    if terms.age not in ages:
        raise Refused.of(N_("{field}: {code} has no rate for age {age} (its table covers {low} to {high})"),
                         field="age", code=product.code, age=terms.age, low=ages[0] if ages else "-",
                         high=ages[-1] if ages else "-")
    bands = [r for r in mine if r.age == terms.age and r.sum_min <= sum_insured]
    if not bands:
        lowest = min(r.sum_min for r in mine if r.age == terms.age)
        raise Refused.of(N_("{field}: at least {limit} yuan"), field=f"{prefix}sum_insured", limit=lowest)
    return Decimal(max(bands, key=lambda r: r.sum_min).rate).quantize(RATE)  # SQLite keeps a DECIMAL as a number
