"""Products and premiums on a real server: the API's quote to the fen and its JSON errors
naming the field, the page's quote form and its refusals in Chinese (values kept), and a
rate file with errors listed by line and column, nothing imported."""
import re

import pytest
from products_support import seed_products

from appliance.products.models import ProductRate


@pytest.fixture
def products(web_db, tmp_path):
    return seed_products(tmp_path)


def flash(html):
    match = re.search(r'<p class="flash (\w+)"[^>]*>([^<]*)</p>', html)
    return match.groups() if match else None


QUOTE = {"product": "TL20", "age": 30, "gender": "M", "sum_insured": "200000", "pay_years": 20,
         "riders": [{"product": "ADD", "units": 3}, {"product": "WP", "sum_insured": "7400"}]}


def test_api_quote_to_the_fen(client, api_token, products):
    resp = client.api("POST", "/api/v1/products/quote", api_token, QUOTE)
    assert resp.status == 200, resp.text
    assert resp.json["total"] == "666.50"
    assert [(l["code"], l["premium"], l["limit"]) for l in resp.json["lines"]] == [
        ("TL20", "370.00", None), ("ADD", "37.50", "100000.00"), ("WP", "259.00", "7400.00")]
    listed = client.api("GET", "/api/v1/products", api_token)
    assert {p["code"]: p["rates"] for p in listed.json} == {"ADD": 2, "TL10": 0, "TL20": 6, "WP": 2}


@pytest.mark.parametrize("change, status, field", [
    ({"riders": [{"product": "ADD", "units": 11}]}, 409, "riders[0].units"),
    ({"age": 45}, 409, "age"),
    ({"product": "ADD", "units": 1, "riders": []}, 409, "product"),
    ({"product": "NOPE"}, 404, "product"),
    ({"sum_insured": "lots"}, 400, "sum_insured"),
    ({"sum_insured": 1.5}, 400, "sum_insured"),  # a float: JSON Schema refuses it, amounts are strings
    ({"gender": ""}, 400, "gender"),
    ({"colour": "red"}, 400, "colour"),
])
def test_api_errors_are_json_naming_the_field(client, api_token, products, change, status, field):
    resp = client.api("POST", "/api/v1/products/quote", api_token, {**QUOTE, **change})
    assert resp.status == status, resp.text
    assert resp.json["error"]["field"] == field


def test_page_quote_and_refusal_in_chinese(admin_client, products):
    html = admin_client.page("/products").text
    assert "保费试算" in html and "安康定期寿险" in html
    form = {"product": "TL20", "age": "30", "gender": "M", "sum_insured": "200000", "pay_years": "20",
            "rider_ADD": "3", "rider_WP": "7400"}
    resp = admin_client.post("/products/quote", form)
    assert resp.status == 200
    assert re.search(r'id="quote-total"><strong>666.50</strong>', resp.text)
    refused = admin_client.post("/products/quote", {**form, "rider_ADD": "11"})
    assert refused.status == 409
    assert flash(refused.text) == ("error", "输入有误: 附加意外伤害保险 · 份数：按此主险最多 10 份（100000.00 元）")
    assert 'value="11"' in refused.text  # what was typed stays


def test_rate_file_errors_by_line_and_column_nothing_imported(admin_client, products, tmp_path):
    admin_client.page("/products")
    before = ProductRate.select().count()
    body, ctype = multipart(admin_client.csrf, "bad.csv",
                            "险种代码,年龄,费率\nTL20,30,1.00\nTL20,abc,1.00\nNOPE,30,1.00\n".encode())
    resp = admin_client.request("POST", "/products/rates", body, {"Content-Type": ctype})
    assert resp.status == 400
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(\w+) \(([^)]*)\)</td><td>([^<]*)</td></tr>', resp.text)
    assert rows == [("3", "B", "年龄", "“abc”不是 0 到 120 之间的年龄"),
                    ("4", "A", "险种代码", "没有险种 NOPE（请先添加）")]
    assert ProductRate.select().count() == before


def multipart(csrf, name, data):
    boundary = "----products-test"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'.encode(),
             f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
             f'Content-Type: text/csv\r\n\r\n'.encode() + data + b"\r\n", f"--{boundary}--\r\n".encode()]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_admins_add_products_and_rider_rules_refusals_in_chinese(admin_client, web_db):
    from appliance.models import AuditLog, Product
    from appliance.products.models import RiderRule
    admin_client.page("/products")
    resp = admin_client.post("/products", {"code": "TL20", "name": "安康定期寿险", "kind": "main",
                                           "rate_basis": "per_thousand", "unit_amount": "1000", "ivr_key": "1"})
    assert resp.status == 303
    assert flash(admin_client.page("/products").text) == ("ok", "已保存险种 TL20。")
    assert admin_client.post("/products", {"code": "ADD", "name": "附加意外", "kind": "rider",
                                           "rate_basis": "per_unit", "unit_amount": "10000"}).status == 303
    admin_client.page("/products")  # its message shown
    taken = admin_client.post("/products", {"code": "TL30", "name": "三十年定期", "kind": "main",
                                            "rate_basis": "per_thousand", "unit_amount": "1000", "ivr_key": "1"})
    assert taken.status == 400 and flash(taken.text) == ("error", "输入有误: 电话按键（1-8，留空：不在电话中提供）：按键 1 已被其他险种使用")
    assert 'value="三十年定期"' in taken.text and not Product.select().where(Product.code == "TL30").exists()
    assert admin_client.post("/products/riders", {"rider": "ADD", "main": "TL20", "limit_basis": "main_sum",
                                                  "limit_ratio": "0.5"}).status == 303
    admin_client.page("/products")
    backwards = admin_client.post("/products/riders", {"rider": "TL20", "main": "ADD", "limit_basis": "main_sum",
                                                       "limit_ratio": "1"})
    assert backwards.status == 400 and "TL20 是主险，不是附加险" in flash(backwards.text)[1]
    assert [(r.rider.code, r.main.code, str(r.limit_ratio)) for r in RiderRule.select()] == [("ADD", "TL20", "0.5")]
    html = admin_client.page("/products").text
    assert "TL20 ≤ 0.5 倍主险保额" in html and "每份 10000.00 元" in html
    assert {a.action for a in AuditLog.select()} >= {"product.create", "product.rider_rule"}


def test_operators_quote_but_do_not_change_the_catalogue(server, products):
    from web_support import Client, make_user
    make_user("op", "operator")
    client = Client(server)
    client.sign_in("op")
    html = client.page("/products").text
    assert 'id="quote-form"' in html and 'id="product-form"' not in html and 'id="rates-form"' in html
    assert client.post("/products/quote", {"product": "TL10", "age": "30", "sum_insured": "1000"}).status == 409
    assert client.post("/products", {"code": "X", "name": "X"}).status == 403
