"""Importing rate tables (费率表) from CSV or XLSX, as Chinese rate sheets are laid out:
a row per product, gender, age, term, payment period (and, on some sheets, the sum
insured a rate applies from) with its rate.

The file is read by the importer's reader (UTF-8/GB18030/UTF-16 CSV or XLSX), every row
checked before anything is written, and each error named by line and column with a msgid
the pages translate (importer.RowError); any error refuses the whole file. A product's
rate table is the sheet as a whole: the products named in the file get exactly the file's
rows, replaced in one short transaction (a rate table is at most MAX_ROWS rows).
"""
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl.utils import get_column_letter
from peewee import chunked

from appliance.db import retrying, write_transaction
from appliance.errors import N_, InputError
from appliance.importer import MAX_REPORTED, ImportFailed, RowError, read_table
from appliance.models import Product, audit
from appliance.products.models import ProductRate

MAX_ROWS = 20000
COLUMNS = {  # field: (required, the headers rate sheets use)
    "product_code": (True, ("险种代码", "产品代码", "险种编码")),
    "gender": (False, ("性别",)),
    "age": (True, ("年龄", "投保年龄", "被保险人年龄")),
    "term": (False, ("保险期间", "保险期限", "保障期限", "保障期间")),
    "pay_years": (False, ("缴费期间", "缴费年期", "交费期间", "交费年期", "缴费期限")),
    "sum_min": (False, ("保额下限", "起始保额", "保额起点")),
    "rate": (True, ("费率", "每千元保费", "每份保费", "保费")),
}
GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F", "m": "M", "f": "F", "": "", "不限": ""}
WHOLE_LIFE = ("终身", "至终身")
SINGLE_PREMIUM = ("趸交", "趸缴", "一次交清", "一次缴清")


def _bad(msgid, **values):
    exc = ValueError(msgid.format(**values))
    exc.msgid, exc.values = msgid, values
    return exc


def _years(text, words, word_value):
    """'20', '20年', '终身' (0) / '趸交' (1) as whole years."""
    if text in words:
        return word_value
    match = re.fullmatch(r"(\d{1,3})(?:\.0+)?\s*年?", text)
    if not match:
        raise _bad(N_("'{text}' is not a number of years"), text=text)
    return int(match.group(1))


def convert(name, text):
    """A cell's value for its field; ValueError (with a msgid) for a bad one."""
    if name == "product_code":
        if not text:
            raise _bad(N_("empty"))
        return text
    if name == "gender":
        if text not in GENDERS:
            raise _bad(N_("'{text}' is not 男, 女, M or F"), text=text)
        return GENDERS[text]
    if name == "age":
        match = re.fullmatch(r"(\d{1,3})(?:\.0+)?\s*岁?", text)
        if not match or int(match.group(1)) > 120:
            raise _bad(N_("'{text}' is not an age from 0 to 120"), text=text)
        return int(match.group(1))
    if name == "term":
        return _years(text, WHOLE_LIFE, 0) if text else 0
    if name == "pay_years":
        years = _years(text, SINGLE_PREMIUM, 1) if text else 1
        if years < 1:
            raise _bad(N_("'{text}' is not a number of years"), text=text)
        return years
    try:
        value = Decimal(text.replace(",", "").replace("元", "")) if text else (Decimal(0) if name == "sum_min" else None)
    except InvalidOperation:
        value = None
    places = Decimal("0.0001") if name == "rate" else Decimal("0.01")
    if value is None or not value.is_finite() or value < 0 or value >= Decimal(10) ** 10 \
            or value != value.quantize(places):
        raise _bad(N_("'{text}' is not an amount"), text=text)
    return value


def _columns(header):
    by_alias = {alias: name for name, (_, aliases) in COLUMNS.items() for alias in (name, *aliases)}
    columns = {}
    for index, title in enumerate(header):
        name = by_alias.get((title or "").strip())
        if name is None:
            continue
        if name in columns:
            raise InputError.of(N_("line 1, column {column_letter} ({title}): a second column for {name}"),
                                field=name, column_letter=get_column_letter(index + 1), title=title, name=name)
        columns[name] = index
    missing = [name for name, (required, _) in COLUMNS.items() if required and name not in columns]
    if missing:
        raise InputError.of(N_("{field}: the file has no column for it"), field=missing[0])
    return columns


def check(path):
    """Every row of the file checked: {product code: [ProductRate values]}; ImportFailed
    with every RowError (up to MAX_REPORTED) when any is bad."""
    header, rows = read_table(path)
    if len(rows) > MAX_ROWS:
        raise InputError.of(N_("{field}: {rows} rows, at most {most} in one rate table file"),
                            field="file", rows=len(rows), most=MAX_ROWS)
    columns = _columns(header)
    errors, tables, seen = [], {}, {}

    def error(line, name, exc):
        title = header[columns[name]].strip() if name in columns else ""
        column = get_column_letter(columns[name] + 1) if name in columns else ""
        values = {k: str(v) for k, v in {**(getattr(exc, "values", None) or {}), "field": title}.items()}
        errors.append(RowError(line, column, title, str(exc), getattr(exc, "msgid", "") or "", values))

    products = {p.code: p for p in Product.select()}
    for line, cells in rows:
        values = {}
        for name, index in columns.items():
            raw = cells[index] if index < len(cells) else ""
            try:
                values[name] = convert(name, _text(raw))
            except ValueError as exc:
                error(line, name, exc)
        if len(values) < len(columns):
            continue
        values.setdefault("term", 0)
        values.setdefault("pay_years", 1)
        values.setdefault("gender", "")
        values.setdefault("sum_min", Decimal(0))
        code = values.pop("product_code")
        if code not in products:
            error(line, "product_code", _bad(N_("no product {code} (add it first)"), code=code))
            continue
        key = (code, values["gender"], values["age"], values["term"], values["pay_years"], values["sum_min"])
        if key in seen:
            error(line, "rate", _bad(N_("the same cell as line {line}"), line=seen[key]))
            continue
        seen[key] = line
        tables.setdefault(code, []).append(values)
        if len(errors) >= MAX_REPORTED:
            break
    if errors:
        raise ImportFailed(path, sorted(errors, key=lambda e: e.line)[:MAX_REPORTED])
    if not tables:
        raise InputError.of(N_("{field}: {name} has no rates"), field="file", name=Path(path).name)
    return tables, products


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value).strip()


def import_rates(path, *, actor="cli", source="", file_name=None):
    """Check the file, then replace the rate tables of the products it names, all in one
    transaction. Returns {'products': {code: rows}, 'rows': n}."""
    tables, products = check(path)
    name = file_name or Path(path).name

    def write():
        with write_transaction():
            for code, rows in tables.items():
                product = products[code]
                ProductRate.delete().where(ProductRate.product == product).execute()
                for batch in chunked(rows, 1000):  # SQLite's limit on a statement's parameters
                    ProductRate.insert_many([{**row, "product": product.id} for row in batch]).execute()
            audit(actor, "import.rates", name, ", ".join(f"{code}: {len(rows)}" for code, rows in tables.items()),
                  source)
    retrying(write)
    return {"file": name, "products": {code: len(rows) for code, rows in tables.items()},
            "rows": sum(len(rows) for rows in tables.values())}
