"""Importing rate tables: Chinese headers, CSV and XLSX, all or nothing, every error by
line and column (with the msgid the pages translate), a product's table replaced whole."""
from decimal import Decimal

import pytest
from openpyxl import Workbook
from products_support import seed_products

from appliance.errors import InputError
from appliance.importer import ImportFailed
from appliance.models import AuditLog
from appliance.products import rate_import
from appliance.products.models import ProductRate


@pytest.fixture
def products(database, tmp_path):
    return seed_products(tmp_path)


def rates_of(code):
    return sorted((r.gender, r.age, r.term, r.pay_years, r.sum_min, r.rate) for r in
                  ProductRate.select().join(ProductRate.product.rel_model).where(
                      ProductRate.product.rel_model.code == code))


def test_the_sheet_is_read_with_its_chinese_words(products):
    assert products["products"] == {"TL20": 6, "ADD": 2, "WP": 2}
    assert ("M", 30, 20, 20, Decimal("500000.00"), Decimal("1.7000")) in rates_of("TL20")
    assert ("", 30, 1, 1, Decimal("0.00"), Decimal("12.5000")) in rates_of("ADD")  # 趸交: single premium
    assert AuditLog.select().where(AuditLog.action == "import.rates").count() == 1


def test_errors_name_line_and_column_and_nothing_is_written(products, tmp_path):
    before = rates_of("TL20")
    path = tmp_path / "bad.csv"
    path.write_text("险种代码,性别,年龄,保险期间,缴费期间,费率\n"
                    "TL20,男,30,20,20,9.99\n"      # line 2: fine on its own
                    "TL20,男,abc,20,20,1.00\n"     # line 3: age
                    "NOPE,女,30,20,20,1.00\n"      # line 4: no such product
                    "TL20,男,30,20,20,2.00\n"      # line 5: the same cell as line 2
                    "TL20,X,31,终身,20,1.2.3\n",   # line 6: gender and rate
                    encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        rate_import.import_rates(path)
    got = [(e.line, e.column, e.header, e.msgid) for e in caught.value.errors]
    assert got == [(3, "C", "年龄", "'{text}' is not an age from 0 to 120"),
                   (4, "A", "险种代码", "no product {code} (add it first)"),
                   (5, "F", "费率", "the same cell as line {line}"),
                   (6, "B", "性别", "'{text}' is not 男, 女, M or F"),
                   (6, "F", "费率", "'{text}' is not an amount")]
    assert str(caught.value).startswith("bad.csv: line 3, column C (年龄): 'abc' is not an age")
    assert rates_of("TL20") == before  # all or nothing


def test_a_missing_column_is_named(products, tmp_path):
    path = tmp_path / "nocol.csv"
    path.write_text("险种代码,年龄\nTL20,30\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        rate_import.import_rates(path)
    assert caught.value.field == "rate" and "no column" in str(caught.value)


def test_xlsx_replaces_the_products_table_whole(products, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["产品代码", "投保年龄", "交费期间", "保障期限", "每千元保费", "性别"])
    sheet.append(["TL20", 40, "20年", "20年", 4.25, "女"])  # number cells, as Excel keeps them
    path = tmp_path / "rates.xlsx"
    book.save(path)
    report = rate_import.import_rates(path)
    assert report == {"file": "rates.xlsx", "products": {"TL20": 1}, "rows": 1}
    assert rates_of("TL20") == [("F", 40, 20, 20, Decimal("0.00"), Decimal("4.2500"))]
    assert len(rates_of("ADD")) == 2  # not in the file: kept
