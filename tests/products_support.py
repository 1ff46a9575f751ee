"""The known rate table of the products' tests (domain, CLI, API, pages, IVR): a 20-year
term life main product, a per-unit accident rider capped by the main's sum insured and a
premium waiver rider capped by the main's premium, with premiums worked out by hand below."""
from appliance.products import catalogue, rate_import

# 险种代码,性别,年龄,保险期间,缴费期间,保额下限,费率 — as a rate sheet gives them.
RATES_CSV = """险种代码,性别,年龄,保险期间,缴费期间,保额下限,费率
TL20,男,30,20年,20年,0,1.85
TL20,男,30,20年,20年,500000,1.70
TL20,女,30,20年,20年,0,1.21
TL20,男,31,20年,20年,0,1.97
TL20,女,31,20年,20年,0,1.30
TL20,男,30,20年,10年,0,3.40
ADD,,30,1,趸交,0,12.50
ADD,,31,1,趸交,0,12.50
WP,,30,20,20,0,35.00
WP,,31,20,20,0,36.20
"""
# By hand:
#   TL20, man of 30, 200,000 yuan, 20 years paid over 20: 200000 × 1.85 / 1000 = 370.00
#   …500,000 yuan: the 500,000 band's rate, 500000 × 1.70 / 1000 = 850.00
#   woman of 31, 1,250 yuan: 1250 × 1.30 / 1000 = 1.625 -> 1.63 (half up, not 1.62)
#   ADD: 3 units of 10,000 yuan × 12.50 = 37.50; at most 0.5 × 200,000 = 100,000 yuan = 10 units
#   WP: at most 20 × the main premium 370.00 = 7,400 yuan; 7400 × 35.00 / 1000 = 259.00
#   total 370.00 + 37.50 + 259.00 = 666.50


def seed_products(tmp_path, ivr=True):
    """The products, their rules and (imported from RATES_CSV) their rate tables."""
    catalogue.save_product("TL20", "安康定期寿险", ivr_key="1" if ivr else "")
    catalogue.save_product("TL10", "十年定期寿险")
    catalogue.save_product("ADD", "附加意外伤害保险", kind="rider", rate_basis="per_unit", unit_amount="10000")
    catalogue.save_product("WP", "附加投保人豁免保费", kind="rider")
    catalogue.set_rider_rule("ADD", "TL20", "main_sum", "0.5")
    catalogue.set_rider_rule("WP", "TL20", "main_premium", "20")
    path = tmp_path / "rates.csv"
    path.write_text(RATES_CSV, encoding="utf-8")
    return rate_import.import_rates(path)
