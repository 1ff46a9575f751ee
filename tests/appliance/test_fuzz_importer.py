"""The importer on random and mutated files: CSV bytes in UTF-8, GB18030,
UTF-16 or nothing decodable, over-long fields, NaN/Infinity/1e999999 amounts,
XLSX files from openpyxl, damaged by byte mutation or without a sheet. Reading
and checking a file raises only InputError (naming file, line or column);
importing it is all or nothing (a refused file leaves the data as it was) and
what is stored can be spoken by the IVR. Used to be UnboundLocalError (UTF-16),
csv.Error (a field over 131,072 characters), IndexError (no sheet), openpyxl's
errors from a damaged sheet. A bounded run on every test run; HYPOTHESIS_LONG=1
for the long one (tests/fuzz_support.py)."""
import io
import re
import zipfile

import pytest
from fuzz_support import examples, fuzz
from hypothesis import example, given, strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from agi import speech
from appliance import importer
from appliance.config import Config, ensure_data_dir
from appliance import db as dbmod
from appliance.errors import InputError
from appliance.models import Customer, Policy, Product

HEADERS = {
    "customers": ["客户号", "姓名", "手机号码", "身份证号", "出生日期", "语言", "备注", "customer_no"],
    "policies": ["保单号", "险种代码", "投保人客户号", "保费", "保额", "生效日期", "缴费频率", "业务员工号"],
}
CELLS = ["C1", "C2", "P1", "P2", "张伟", "13800138000", "138-0013-8000", "13800138000.0", "12345",
         "11010519491231002X", "1949-12-31", "2026/1/2", "20260230", "中文", "en", "年交", "100", "12.5",
         "1,234.56", "¥99", "NaN", "Infinity", "-Infinity", "1e999999", "1e-999999", "-1", "999999999999.99",
         "1000000000000", "0", "", " ", '"', "\n", "a\x00b", "x" * 300]
CELL = st.one_of(st.sampled_from(CELLS), st.text(max_size=12))
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "latin-1"])


@st.composite
def table(draw):
    kind = draw(st.sampled_from(sorted(HEADERS)))
    header = draw(st.lists(st.one_of(st.sampled_from(HEADERS[kind]), st.text(max_size=6)), min_size=1,
                           max_size=8))
    if draw(st.booleans()):
        header = HEADERS[kind][:4] + header
    rows = draw(st.lists(st.lists(CELL, max_size=len(header) + 1), max_size=6))
    return kind, header, rows


def mutate(data, draw):
    """Flip, cut, insert or repeat bytes (places drawn apart from the length: an XLSX
    file's length varies with the time it was saved, the draws must not)."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, 2 ** 24)) % max(len(data), 1)
        how = draw(st.integers(0, 3))
        if not data and how != 2:
            continue
        if how == 0:
            data[at] = draw(st.integers(0, 255))
        elif how == 1:
            del data[at:at + draw(st.integers(1, 64))]
        elif how == 2:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            data[at:at] = data[at:at + 8] * draw(st.integers(1, 20))
    return bytes(data)


def csv_bytes(header, rows, encoding):
    text = "\n".join(",".join(f'"{c}"' if ("," in c or '"' in c) and '"' not in c else c for c in row)
                     for row in [header, *rows]) + "\n"
    return text.encode(encoding, "replace")


def xlsx_bytes(header, rows):
    book = Workbook()
    sheet = book.active
    for row in [header, *rows]:  # control characters cannot be written to a sheet
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data, change):
    """The XLSX `data` with each member's bytes passed through change(name, bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, change(item.filename, src.read(item.filename)))
    return out.getvalue()


def sheetless(name, content):
    return re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", content) if name == "xl/workbook.xml" else content


@st.composite
def import_file(draw):
    """(kind, file name, bytes)."""
    kind, header, rows = draw(table())
    shape = draw(st.integers(0, 9))
    if shape <= 5:
        name, data = "f.csv", csv_bytes(header, rows, draw(ENCODINGS))
    elif shape == 6:  # a field past the csv module's limit
        name, data = "f.csv", csv_bytes(header, [*rows, ["C1", "x" * (importer.MAX_FIELD + 1)]], "utf-8")
    elif shape == 7:
        name, data = "f.csv", draw(st.binary(max_size=200))
    elif shape == 8:
        name, data = "f.xlsx", xlsx_bytes(header, rows)
    else:  # damaged inside a sound zip: the sheet's or the workbook's XML mutated, or no sheet
        damage = draw(st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/sharedStrings.xml",
                                       "sheetless"]))
        name = "f.xlsx"
        data = rezip(xlsx_bytes(header, rows), sheetless if damage == "sheetless" else
                     lambda member, content: mutate(content, draw) if member == damage else content)
        return kind, name, data
    if draw(st.integers(0, 3)) == 0:
        data = mutate(data, draw)
    return kind, name, data


@pytest.fixture(scope="module")
def one_database(tmp_path_factory):
    """One database for every example (hypothesis runs many inside one test)."""
    config = Config({"data_dir": str(tmp_path_factory.mktemp("fuzz") / "data")})
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    Product.create(code="P1", name="保险")
    Customer.create(customer_no="C1", name="张伟")  # a holder, so that policies can be stored
    yield db, config.data_dir
    db.close()


def snapshot():
    return ([tuple(r) for r in Customer.select().order_by(Customer.id).tuples()],
            [tuple(r) for r in Policy.select().order_by(Policy.id).tuples()])


@fuzz(200)
@given(import_file())
def test_fuzz_reading_a_file_raises_only_input_error(one_database, tmp_path_factory, case):
    kind, name, data = case
    path = one_database[1] / name
    path.write_bytes(data)
    try:
        header, rows = importer.read_table(path)
        columns, _ = importer.resolve_columns(kind, header, {})
    except InputError as exc:
        assert "\n" not in str(exc).strip() or "line" in str(exc)
        return
    run = importer._Run(kind, None)
    run.header, run.columns = header, columns
    run.check(rows)
    for error in run.errors:
        assert error.line >= 2 and isinstance(error.message, str)


@fuzz(60)
@given(import_file())
@example(("policies", "f.csv", "保单号,险种代码,投保人客户号,保费\nP9,P1,C1,Infinity\n".encode()))
@example(("policies", "f.csv", "保单号,险种代码,投保人客户号,保费\nP9,P1,C1,1e999999\n".encode()))
@example(("customers", "f.csv", "客户号,姓名\nC1,张伟\n".encode("utf-16")))
@example(("customers", "f.xlsx", rezip(xlsx_bytes(["客户号", "姓名"], [["C1", "张伟"]]), sheetless)))
def test_fuzz_import_is_all_or_nothing_and_stores_what_can_be_spoken(one_database, case):
    kind, name, data = case
    path = one_database[1] / name
    path.write_bytes(data)
    before = snapshot()
    try:
        importer.import_file(kind, path)
    except InputError:
        assert snapshot() == before
    for policy in Policy.select():
        assert speech.money(policy.premium), policy.premium


def test_the_fuzz_long_run_is_configured():
    assert examples(60) >= 60
