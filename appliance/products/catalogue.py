"""The product catalogue's changes: a product's premium settings (kind, rate basis, unit,
IVR key) and the rider rules. Each change is one short write transaction with its audit
entry; bad input is an InputError naming the field, nothing changed."""
from decimal import Decimal, InvalidOperation

from peewee import fn

from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, InputError
from appliance.models import PRODUCT_KINDS, RATE_BASES, Product, audit
from appliance.products.models import LIMIT_BASES, ProductRate, RiderRule
from appliance.products.premiums import FEN, amount, product_by_code

RATIO = Decimal("0.0001")
IVR_KEYS = "12345678"  # 9 repeats and * goes back on every IVR list


def _choice(value, choices, name):
    if value not in choices:
        raise InputError.of(N_("{field}: must be one of {choices}"), field=name, choices=", ".join(choices))
    return value


@retry_writes
def save_product(code, name, *, kind="main", rate_basis="per_thousand", unit_amount="1000", ivr_key="",
                 actor="cli", source=""):
    """Create or change a product's premium settings; returns (product, created)."""
    code, name, ivr_key = str(code or "").strip(), str(name or "").strip(), str(ivr_key or "").strip()
    if not code:
        raise InputError.of(N_("{field}: required"), field="code")
    if not name:
        raise InputError.of(N_("{field}: required"), field="name")
    _choice(kind, PRODUCT_KINDS, "kind")
    _choice(rate_basis, RATE_BASES, "rate_basis")
    unit = amount(unit_amount, "unit_amount")
    if ivr_key and (ivr_key not in IVR_KEYS or len(ivr_key) != 1):
        raise InputError.of(N_("{field}: must be one key from 1 to 8, or empty"), field="ivr_key")
    if ivr_key and kind != "main":
        raise InputError.of(N_("{field}: only a main product is offered on the phone"), field="ivr_key")
    with write_transaction():
        if ivr_key and Product.select().where(Product.ivr_key == ivr_key, Product.code != code).exists():
            raise InputError.of(N_("{field}: key {key} is already another product's"), field="ivr_key", key=ivr_key)
        product = Product.get_or_none(Product.code == code)
        created = product is None
        product = product or Product(code=code)
        product.name, product.kind, product.rate_basis = name, kind, rate_basis
        product.unit_amount, product.ivr_key = unit, ivr_key
        product.save()
        audit(actor, f"product.{'create' if created else 'update'}", f"product:{code}",
              f"{kind} {rate_basis} unit {unit} key {ivr_key or '-'}", source)
    return product, created


@retry_writes
def set_rider_rule(rider_code, main_code, limit_basis, limit_ratio, *, actor="cli", source=""):
    """Let a rider be sold with a main product, its sum insured at most ratio × the main's
    sum insured (main_sum) or premium (main_premium)."""
    rider = product_by_code(rider_code, "rider")
    main = product_by_code(main_code, "main")
    if rider.kind != "rider":
        raise InputError.of(N_("{field}: {code} is a main product, not a rider"), field="rider", code=rider.code)
    if main.kind != "main":
        raise InputError.of(N_("{field}: {code} is a rider, sold only with its main product"), field="main",
                            code=main.code)
    _choice(limit_basis, LIMIT_BASES, "limit_basis")
    ratio = _ratio(limit_ratio)
    with write_transaction():
        rule = RiderRule.get_or_none(RiderRule.rider == rider, RiderRule.main == main) or \
            RiderRule(rider=rider, main=main)
        rule.limit_basis, rule.limit_ratio = limit_basis, ratio
        rule.save()
        audit(actor, "product.rider_rule", f"product:{rider.code}", f"with {main.code}: {limit_basis} × {ratio}",
              source)
    return rule


def _ratio(value):
    try:
        ratio = Decimal(str(value).strip())
    except InvalidOperation:
        ratio = None
    if ratio is None or not ratio.is_finite() or not 0 < ratio <= 1000 or ratio != ratio.quantize(RATIO):
        raise InputError.of(N_("{field}: must be a number above 0 with at most 4 decimals"), field="limit_ratio")
    return ratio.quantize(RATIO)


def listing():
    """Every product with its table's size and its rider rules, by code."""
    counts = {p: n for p, n in ProductRate.select(ProductRate.product, fn.COUNT(ProductRate.id).alias("n"))
              .group_by(ProductRate.product).tuples()}
    rules = {}
    for rule in RiderRule.select(RiderRule, Product).join(Product, on=RiderRule.main):
        rules.setdefault(rule.rider_id, []).append({"main": rule.main.code, "limit_basis": rule.limit_basis,
                                                    "limit_ratio": format(Decimal(rule.limit_ratio).normalize(), "f")})
    return [{"code": p.code, "name": p.name, "kind": p.kind, "rate_basis": p.rate_basis,
             "unit_amount": str(Decimal(p.unit_amount).quantize(FEN)), "ivr_key": p.ivr_key, "rates": counts.get(p.id, 0),
             "sold_with": rules.get(p.id, [])}
            for p in Product.select().order_by(Product.code)]


def phone_products():
    """The main products a caller may pick on the IVR: {key: product}, those with a rate table."""
    priced = ProductRate.select(ProductRate.product).distinct()
    return {p.ivr_key: p for p in Product.select().where(Product.ivr_key != "", Product.kind == "main",
                                                          Product.id.in_(priced)).order_by(Product.ivr_key)}
