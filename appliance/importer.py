"""Import customers, staff, policies, payments and claims from CSV or XLSX.

- Columns are found by field name, by the Chinese headers core systems and
  spreadsheets use (姓名, 手机号码…), or by an explicit mapping ('手机=mobile').
- Every row is checked, against the database too, before anything is written;
  any error refuses the whole file (all-or-nothing), and each error names its
  line and column. The rows are then staged and published in short
  transactions (see import_file), so other daemons are never locked out long.
- A dry run does the checking only: it finds database-level errors (a
  duplicate ID number…) too, not only format errors.
- Phone numbers are cleaned with phonenumbers (appliance.phones): '138-0013-8000'
  and '13800138000.0' (a spreadsheet's number cell) become '+8613800138000';
  invalid ones are listed as errors.
"""
import csv
import datetime
import io
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import peewee
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from appliance import clock, phones
from appliance.cluster import identity
from appliance.db import Busy, database, is_busy, retrying, write_transaction
from appliance.errors import N_, InputError
from appliance.models import (
    Claim,
    Customer,
    CustomerPhone,
    ImportJob,
    ImportRow,
    Payment,
    Policy,
    Product,
    Staff,
    audit,
    check_email,
    phone_numbers_of,
)

log = logging.getLogger(__name__)

MAX_REPORTED = 50


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"      # text | phone | phones | email | date | decimal | choice
    required: bool = False
    aliases: tuple = ()


@dataclass
class RowError:
    line: int
    column: str     # spreadsheet letter, '' for the whole row
    header: str
    message: str
    # The message for the pages to say in their language (appliance.errors.N_): the
    # msgid and its values, {field} being the file's column header.
    msgid: str = ""
    values: dict = None

    def __str__(self):
        where = f"line {self.line}" + (f", column {self.column} ({self.header})" if self.column else "")
        return f"{where}: {self.message}"


class ImportFailed(InputError):
    """A file with errors; nothing was imported. `errors` lists every RowError."""

    def __init__(self, path, errors):
        first = errors[0]
        more = f" (and {len(errors) - 1} more; nothing imported)" if len(errors) > 1 else " (nothing imported)"
        super().__init__(f"{Path(path).name}: {first}{more}", field=first.header or None)
        self.errors = errors


SPECS = {
    "customers": [
        Field("customer_no", required=True, aliases=("客户号", "客户编号", "客户代码")),
        Field("name", required=True, aliases=("姓名", "客户姓名", "名称")),
        Field("mobile", "phone", aliases=("手机", "手机号", "手机号码", "移动电话")),
        Field("other_phones", "phones", aliases=("其他电话", "固定电话", "电话")),
        Field("id_number", aliases=("身份证号", "身份证号码", "证件号码")),
        Field("gender", "choice", aliases=("性别",)),
        Field("birth_date", "date", aliases=("出生日期", "生日")),
        Field("region", aliases=("地区", "区域", "所在地")),
        Field("language", "choice", aliases=("语言",)),
        Field("email", "email", aliases=("邮箱", "电子邮箱", "电子邮件", "邮箱地址", "e-mail")),
    ],
    "staff": [
        Field("badge_no", required=True, aliases=("工号", "业务员工号", "代理人工号")),
        Field("name", required=True, aliases=("姓名",)),
        Field("mobile", "phone", aliases=("手机", "手机号", "手机号码")),
        Field("gender", "choice", aliases=("性别",)),
        Field("branch", aliases=("机构", "支公司")),
        Field("department", aliases=("部门",)),
        Field("status", "choice", aliases=("状态",)),
        Field("licence_no", aliases=("执业证号",)),
        Field("birthday", "date", aliases=("生日", "出生日期")),
    ],
    "policies": [
        Field("policy_no", required=True, aliases=("保单号", "保单号码")),
        Field("product_code", required=True, aliases=("险种代码", "产品代码")),
        Field("product_name", aliases=("险种名称", "产品名称")),
        Field("holder_no", required=True, aliases=("投保人客户号", "投保人")),
        Field("insured_no", aliases=("被保险人客户号", "被保险人")),
        Field("agent_badge", aliases=("业务员工号", "代理人工号", "服务专员工号")),
        Field("premium", "decimal", required=True, aliases=("保费", "期缴保费")),
        Field("frequency", "choice", aliases=("缴费频率", "缴费方式")),
        Field("sum_assured", "decimal", aliases=("保额", "基本保额")),
        Field("issue_date", "date", aliases=("生效日期", "承保日期")),
        Field("next_due_date", "date", aliases=("应缴日期", "下次缴费日")),
        Field("grace_end", "date", aliases=("宽限期止", "宽限期截止日")),
        Field("maturity_date", "date", aliases=("满期日期", "期满日")),
        Field("status", "choice", aliases=("保单状态", "状态")),
    ],
    "payments": [
        Field("policy_no", required=True, aliases=("保单号",)),
        Field("amount", "decimal", required=True, aliases=("金额", "缴费金额", "实收保费")),
        Field("paid_on", "date", required=True, aliases=("缴费日期", "到帐日期", "扣款日期")),
        Field("due_date", "date", aliases=("应缴日期", "所属期")),
        Field("method", aliases=("缴费方式",)),
        Field("status", "choice", aliases=("状态", "结果")),
        Field("reference", aliases=("流水号", "交易号")),
        Field("failure_reason", aliases=("失败原因",)),
    ],
    "claims": [
        Field("claim_no", required=True, aliases=("赔案号", "理赔号")),
        Field("policy_no", required=True, aliases=("保单号",)),
        Field("status", "choice", aliases=("状态", "案件状态")),
        Field("amount_claimed", "decimal", aliases=("申请金额", "报案金额")),
        Field("amount_paid", "decimal", aliases=("赔付金额", "赔款")),
        Field("reported_on", "date", required=True, aliases=("报案日期",)),
        Field("decided_on", "date", aliases=("结案日期", "核赔日期")),
        Field("paid_on", "date", aliases=("赔付日期",)),
        Field("decline_reason", aliases=("拒赔原因",)),
    ],
}

CHOICES = {  # Chinese words accepted for coded values
    "gender": {"男": "M", "女": "F", "M": "M", "F": "F"},
    "language": {"中文": "zh", "英文": "en", "zh": "zh", "en": "en"},
    "status": {"在职": "active", "停职": "suspended", "离职": "left", "有效": "in_force", "停效": "lapsed",
               "失效": "lapsed", "期满": "matured", "终止": "terminated", "成功": "received", "已到帐": "received",
               "失败": "failed", "报案": "reported", "已受理": "accepted", "受理": "accepted",
               "调查": "investigating", "核赔": "approved", "拒赔": "declined", "已赔付": "paid",
               "结案": "closed"},
    "frequency": {"趸交": "single", "年交": "annual", "半年交": "semiannual", "季交": "quarterly",
                  "月交": "monthly"},
}


# --- reading files -----------------------------------------------------------------

# The csv module's own limit on one field (csv.field_size_limit()), named in the error.
MAX_FIELD = 131072


def read_table(path):
    """(header, [(line, cells)]) from a CSV (UTF-8, GB18030 or UTF-16 with its BOM)
    or XLSX file. Anything unreadable is an InputError naming the file or the line."""
    path = Path(path)
    if not path.is_file():
        raise InputError.of(N_("{field}: {path} does not exist"), field="file", path=path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if path.suffix.lower() not in (".csv", ".txt"):
        raise InputError.of(N_("{field}: {name} must be .csv or .xlsx"), field="file", name=path.name)
    text = _decode_csv(path.name, path.read_bytes())
    # Excel's "Unicode text" is UTF-16 with tabs: a first line with tabs and no comma.
    first = text.partition("\n")[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if "\t" in first and "," not in first else ",")
    rows = []
    header = None
    try:
        for cells in reader:
            if header is None:
                header = cells
                continue
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        words = f"a field longer than {MAX_FIELD} characters" if "field larger" in str(exc) else str(exc)
        raise InputError.of(N_("{field}: {name}, line {line_num}: {words}"),
                            field="file", name=path.name, line_num=reader.line_num, words=words) from None
    if header is None:
        raise InputError.of(N_("{field}: {name} is empty"), field="file", name=path.name)
    return header, rows


def _decode_csv(name, raw):
    """The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with its BOM, or GB18030."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GBK
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError.of(N_("{field}: {name} is not text in UTF-8, GB18030 or UTF-16 (save it as CSV UTF-8)"),
                        field="file", name=name)


def _read_xlsx(path):
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError.of(N_("{field}: {name} is not a readable XLSX file ({error})"),
                            field="file", name=path.name, error=type(exc).__name__) from None
    try:
        if not book.worksheets:
            raise InputError.of(N_("{field}: {name} has no worksheet"), field="file", name=path.name)
        sheet = book.worksheets[0]
        rows, header = [], None
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if header is None:
                header = ["" if c is None else str(c) for c in cells]
                continue
            if any(c not in (None, "") for c in cells):
                rows.append((line, list(cells)))
    except InputError:
        raise
    except Exception as exc:  # damaged sheet XML, a cell openpyxl cannot read
        raise InputError.of(N_("{field}: {name} is not a readable XLSX file ({error})"),
                            field="file", name=path.name, error=type(exc).__name__) from None
    finally:
        book.close()
    if header is None:
        raise InputError.of(N_("{field}: {name} is empty"), field="file", name=path.name)
    return header, rows


# --- columns and values -----------------------------------------------------------

def parse_mapping(pairs):
    """['手机=mobile', …] -> {'手机': 'mobile'}."""
    mapping = {}
    for pair in pairs or ():
        header, sep, name = pair.partition("=")
        if not sep or not header.strip() or not name.strip():
            raise InputError.of(N_("{field}: {pair!r} must be HEADER=FIELD"), field="map", pair=pair)
        mapping[header.strip()] = name.strip()
    return mapping


def resolve_columns(kind, header, mapping):
    """{field name: column index} and the headers that were ignored."""
    spec = {f.name: f for f in SPECS[kind]}
    by_alias = {a: f.name for f in SPECS[kind] for a in (f.name, *f.aliases)}
    for target in mapping.values():
        if target not in spec:
            raise InputError.of(N_("{field}: {kind} have no field {target!r} (fields: {choices})"),
                                field="map", kind=kind, target=target, choices=', '.join(spec))
    columns, ignored = {}, []
    for index, title in enumerate(header):
        title = (title or "").strip()
        name = mapping.get(title) or by_alias.get(title) or by_alias.get(title.lower())
        if name is None:
            if title:
                ignored.append(title)
            continue
        if name in columns:
            raise InputError.of(N_("line 1, column {column_letter} ({title}): a second column for {name}"),
                                field=name, column_letter=get_column_letter(index + 1), title=title, name=name)
        columns[name] = index
    missing = [f.name for f in SPECS[kind] if f.required and f.name not in columns]
    if missing:
        raise InputError.of(N_("line 1: no column for {choices} (map one with --map HEADER={missing})"),
                            field=missing[0], choices=', '.join(missing), missing=missing[0])
    return columns, ignored


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet number cell: 13800138000.0
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()[:10]
    return str(value).strip()


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


MAX_AMOUNT = Decimal(10) ** 12  # the amount columns keep 14 digits, 2 after the point


def convert(f, value):
    """The field's value from a cell; ValueError with words for a bad one."""
    if f.kind == "date" and isinstance(value, datetime.datetime):
        return value.date()
    if f.kind == "date" and isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        if f.required:
            raise _bad(N_("empty"))
        return None
    if f.kind == "phone":
        if re.fullmatch(r"\d{5,}\.0+", text):  # a number cell saved as text: 13800138000.0
            text = text.split(".")[0]
        return phones.normalize(text, f.name)
    if f.kind == "email":  # the form's check (appliance/models.py), said as a bad cell
        try:
            return check_email(text, f.name)
        except InputError:
            raise _bad(N_("'{text}' is not an e-mail address"), text=text) from None
    if f.kind == "phones":
        return ",".join(phones.normalize(p, f.name) for p in re.split(r"[,;，；/ ]+", text) if p)
    if f.kind == "date":
        for fmt in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise _bad(N_("'{text}' is not a date (YYYY-MM-DD)"), text=text)
    if f.kind == "decimal":
        try:
            amount = Decimal(text.replace(",", "").replace("¥", "").replace("元", ""))
        except InvalidOperation:
            raise _bad(N_("'{text}' is not an amount"), text=text) from None
        if not amount.is_finite():  # 'NaN', 'Infinity'
            raise _bad(N_("'{text}' is not an amount"), text=text)
        if amount >= MAX_AMOUNT:
            raise _bad(N_("'{text}' is too large (at most {limit})"), text=text, limit=str(MAX_AMOUNT - Decimal("0.01")))
        if amount < 0:
            raise _bad(N_("'{text}' is negative"), text=text)
        return amount
    if f.kind == "choice":
        return CHOICES.get(f.name, {}).get(text, text)
    return text


# --- writing rows ------------------------------------------------------------------

def _bad(msgid, **values):
    """A ValueError for a bad cell, carrying its msgid for the pages (RowError)."""
    exc = ValueError(msgid.format(**values))
    exc.msgid, exc.values = msgid, values
    return exc


class RowProblem(Exception):
    """A row that cannot be written: the field it is about and why."""

    def __init__(self, field_name, message):
        super().__init__(message)
        self.field_name = field_name


def _set(obj, values, names):
    """Copy values present in the file; an empty cell in a NOT NULL column means its default."""
    for name in names:
        if name not in values:
            continue
        value = values[name]
        column = obj._meta.fields.get(name)
        if value is None and column is not None and not column.null:
            value = column.default() if callable(column.default) else column.default
        setattr(obj, name, value)


def _upsert(model, key_field, values, fields):
    obj = model.get_or_none(getattr(model, key_field) == values[key_field])
    created = obj is None
    before = None if created else dict(obj.__data__)
    obj = obj or model()
    _set(obj, values, fields)
    obj.save()
    _note(model, obj.id, before)
    return created


def upsert_customer(v):
    return _upsert(Customer, "customer_no", v, [f.name for f in SPECS["customers"]])


def upsert_staff(v):
    return _upsert(Staff, "badge_no", v, [f.name for f in SPECS["staff"]])


def _customer(no, field_name):
    customer = Customer.get_or_none(Customer.customer_no == no)
    if customer is None:
        raise RowProblem(field_name, f"no customer {no!r} (import customers first)")
    return customer


def _policy(no):
    policy = Policy.get_or_none(Policy.policy_no == no)
    if policy is None:
        raise RowProblem("policy_no", f"no policy {no!r} (import policies first)")
    return policy


def upsert_policy(v):
    values = {k: v[k] for k in ("policy_no", "premium", "frequency", "sum_assured", "issue_date",
                                "next_due_date", "grace_end", "maturity_date", "status") if k in v}
    if v.get("product_code"):
        product = Product.get_or_none(Product.code == v["product_code"])
        if product is None:
            product = Product.create(code=v["product_code"], name=v.get("product_name") or v["product_code"])
            _note(Product, product.id, None)
        values["product"] = product
    if v.get("holder_no"):
        values["holder"] = _customer(v["holder_no"], "holder_no")
    if "insured_no" in v:
        values["insured"] = _customer(v["insured_no"], "insured_no") if v["insured_no"] else None
    if "agent_badge" in v:
        agent = Staff.get_or_none(Staff.badge_no == v["agent_badge"]) if v["agent_badge"] else None
        if v["agent_badge"] and agent is None:
            raise RowProblem("agent_badge", f"no staff member with badge {v['agent_badge']!r}")
        values["agent"] = agent
    for name in ("status", "frequency", "premium"):
        if values.get(name) is None:
            values.pop(name, None)
    return _upsert(Policy, "policy_no", values, list(values))


def upsert_payment(v):
    policy = _policy(v["policy_no"])
    query = Payment.select().where(Payment.policy == policy)
    if v.get("reference"):
        query = query.where(Payment.reference == v["reference"])
    else:  # the same booking imported again is the same payment
        query = query.where(Payment.paid_on == v["paid_on"], Payment.amount == v["amount"],
                            Payment.due_date == v.get("due_date") if v.get("due_date") else Payment.due_date.is_null())
    payment = query.first()
    created = payment is None
    before = None if created else dict(payment.__data__)
    payment = payment or Payment(policy=policy)
    _set(payment, {k: val for k, val in v.items() if val is not None},
         ["amount", "paid_on", "due_date", "method", "status", "reference", "failure_reason"])
    payment.save()
    _note(Payment, payment.id, before)
    return created


def upsert_claim(v):
    values = {k: val for k, val in v.items() if val is not None or k in ("decided_on", "paid_on")}
    if values.get("policy_no"):
        values["policy"] = _policy(values["policy_no"])
    values.pop("policy_no", None)
    return _upsert(Claim, "claim_no", values, list(values))


KEYS = {"customers": (Customer, "customer_no"), "staff": (Staff, "badge_no"),
        "policies": (Policy, "policy_no"), "claims": (Claim, "claim_no")}

UPSERT = {"customers": upsert_customer, "staff": upsert_staff, "policies": upsert_policy,
          "payments": upsert_payment, "claims": upsert_claim}


STAGE_BATCH = 2000       # rows staged per short transaction
GAP_SHARE = 1.0          # after each transaction the lock is left free this share of the time it was held
MIN_GAP = 0.01           # seconds, at least
PUBLISH_BATCH = {"customers": 1000}  # rows published per short transaction (bulk writes)
PUBLISH_ROWS = 100       # the other kinds, written row by row
REHEARSE_BATCH = 100     # rows rehearsed (written, then rolled back) per transaction


def import_file(kind, path, *, mapping=None, dry_run=False, actor="cli", source="", file_name=None,
                progress=None, job_id=None):
    """Import one file, all or nothing. Returns a report dict; raises ImportFailed
    (an InputError naming line and column) when any row is bad.

    No transaction holds SQLite's one write lock for long, so other daemons keep
    writing while a large file is imported:
    1. every row is converted, then checked against the database (duplicate ID
       numbers within the file and against the table, missing references…)
       without writing, or in short rehearsals that are rolled back; any error
       refuses the file before anything is written;
    2. the checked rows are staged (import_row) for a job in short transactions;
    3. they are published in short batches, each recording its progress in the
       job's row in its own transaction. A crash before publishing leaves only
       staged rows (dropped); a crash while publishing is rolled forward
       (publish() continues from the recorded row), so a file is never half-applied.
    `progress`, when given, is called as progress(phase, counts) from this thread,
    phase 'reading', 'checking', 'writing' or 'finished', counts a dict with
    total, read, checked and written (and created, updated at the end).
    `job_id` names the ImportJob to stage under (one is made when not given).
    `file_name` names the file in errors and the audit log (default: the path's)."""
    if kind not in SPECS:
        raise InputError.of(N_("{field}: must be one of {choices}, got {kind!r}"),
                            field="kind", choices=', '.join(SPECS), kind=kind)
    run = _Run(kind, progress)
    run.tell("reading")
    header, rows = read_table(path)
    run.counts.update(total=len(rows), read=len(rows))
    columns, ignored = resolve_columns(kind, header, mapping or {})
    run.header, run.columns = header, columns
    checked = run.check(rows)
    del rows
    if len(run.errors) < MAX_REPORTED:
        checked = run.verify(checked)
    if run.errors:
        run.tell("finished")
        run.errors.sort(key=lambda e: e.line)  # stable: a row's own errors stay in column order
        raise ImportFailed(file_name or path, run.errors[:MAX_REPORTED])
    name = file_name or Path(path).name
    if not dry_run:
        job_id = stage(kind, checked, run, job_id=job_id, path=path, file_name=name, actor=actor, source=source)
        del checked
        outcome = publish(job_id, progress=run.tell_counts)
        run.created, run.updated = outcome["created"], outcome["updated"]
    run.counts.update(written=run.counts["total"], created=run.created, updated=run.updated)
    run.tell("finished")
    return {"kind": kind, "file": str(path), "rows": run.counts["total"], "created": run.created,
            "updated": run.updated, "numbers_cleaned": run.cleaned, "ignored_columns": ignored,
            "dry_run": dry_run}


# --- staging and publishing -------------------------------------------------------------

def owner():
    """The owner of a job this process runs: "BOX:PID" (import_jobs._runs_elsewhere reads it)."""
    return f"{identity.this_box()}:{os.getpid()}"


BARRIERS_ENV = "APPLIANCE_IMPORT_BARRIERS"


def barrier(point):
    """Where a test stops an import: when $APPLIANCE_IMPORT_BARRIERS names a folder
    holding a FIFO named `point` ('staged': every row staged, publishing not begun;
    'published': after each published batch; 'taking back': after each batch taken
    back), the import opens it and waits until
    the test, which holds its other end, closes it (or kills the process). Never
    inside a transaction. Without the variable (always, in production) a no-op."""
    folder = os.environ.get(BARRIERS_ENV)
    if not folder:
        return
    fifo = Path(folder) / point
    if fifo.exists():
        with open(fifo, "rb") as end:
            end.read()


def _encode(values):
    return json.dumps({k: (v.isoformat() if isinstance(v, datetime.date) else
                           str(v) if isinstance(v, Decimal) else v) for k, v in values.items()},
                      ensure_ascii=False)


def _decode(kind, text):
    values = json.loads(text)
    for f in SPECS[kind]:
        if values.get(f.name) is None:
            continue
        if f.kind == "date":
            values[f.name] = datetime.date.fromisoformat(values[f.name])
        elif f.kind == "decimal":
            values[f.name] = Decimal(values[f.name])
    for name in ("birth_date",):  # derived in checking (customers)
        if isinstance(values.get(name), str):
            values[name] = datetime.date.fromisoformat(values[name])
    return values


def stage(kind, checked, run, *, job_id=None, path="", file_name="", actor="cli", source=""):
    """Write the checked rows to import_row under a job, in short transactions;
    returns the job's id, its publishing started (published=0)."""
    if job_id is None:
        job_id = retrying(lambda: ImportJob.create(kind=kind, path=str(path), filename=file_name, actor=actor,
                                                    source=source, state="running", phase="writing",
                                                    started_at=clock.now(), owner=owner()).id)
    else:
        retrying(lambda: ImportJob.update(owner=owner()).where(ImportJob.id == job_id).execute())
    insert = _insert_sql(ImportRow, ("job", "seq", "data"))
    for start in range(0, len(checked), STAGE_BATCH):
        rows = [(job_id, start + i + 1, _encode(values))  # built before the lock is taken
                for i, (line, values) in enumerate(checked[start:start + STAGE_BATCH])]

        def write(rows=rows):
            with _held():
                _executemany(insert, rows)
        retrying(write)
        run.counts["staged"] = min(len(checked), start + STAGE_BATCH)  # the first half of the writing
        run.tell("writing")
    barrier("staged")

    def begin():
        with write_transaction():
            ImportJob.update(published=0, total=len(checked), created=0, updated=0, rows_written=0).where(
                ImportJob.id == job_id).execute()
    retrying(begin)
    return job_id


def publish(job_id, progress=None):
    """Publish a job's staged rows in short transactions, from where the job's row
    says it got to (a crashed run is rolled forward); the last one audits the import
    and marks the job done. Returns {'created', 'updated'}.

    Each batch is read, decoded and turned into SQL parameters before the write
    lock is taken; inside it only the database works (existing keys, executemany),
    so no batch holds the lock long, and after each the lock is left free for a
    while (see _held) so that other daemons' writers get their turn."""
    job = ImportJob.get_by_id(job_id)
    kind = job.kind
    batch = PUBLISH_BATCH.get(kind, PUBLISH_ROWS)
    while True:
        job = ImportJob.get_by_id(job_id)
        if job.state != "running" or job.published is None:
            return {"created": job.created, "updated": job.updated}  # finished meanwhile (rolled forward elsewhere)
        if job.message:  # a running job has a message only while it is taken back (killed meanwhile): finish that
            _take_back(job_id, job.message)
        rows = list(ImportRow.select(ImportRow.seq, ImportRow.data)
                    .where(ImportRow.job == job_id, ImportRow.seq > job.published)
                    .order_by(ImportRow.seq).limit(batch).tuples())
        prepared = _prepare(kind, [_decode(kind, data) for _, data in rows]) if rows else None

        def one_batch(seen=job.published):
            with _held(gap=bool(rows)):  # none after the last: the job is done
                job = ImportJob.get_by_id(job_id)
                if job.state != "running" or job.published != seen:
                    return "again"  # another process moved it meanwhile: read again
                if not rows:
                    audit(job.actor, f"import.{kind}", job.filename,
                          f"{job.created} created, {job.updated} updated", job.source)
                    ImportJob.update(state="done", phase="finished", finished_at=clock.now(),
                                     rows_written=job.total or 0, published=job.total or 0).where(
                        ImportJob.id == job_id).execute()
                    ImportRow.delete().where(ImportRow.job == job_id).execute()  # a row per batch: the undo
                    return {"created": job.created, "updated": job.updated, "done": True}
                _undo.log = []
                try:
                    created = _publish_rows(kind, prepared)
                    undo = _encode_undo(_undo.log)
                finally:
                    _undo.log = None
                updated = len(rows) - created
                last = rows[-1][0]
                # The batch's rows go; its last keeps how to take the batch back until the job is done.
                ImportRow.delete().where(ImportRow.job == job_id, ImportRow.seq > seen,
                                         ImportRow.seq < last).execute()
                ImportRow.update(data="", undo=undo).where(ImportRow.job == job_id, ImportRow.seq == last).execute()
                ImportJob.update(published=last, rows_written=last,
                                 created=ImportJob.created + created, updated=ImportJob.updated + updated).where(
                    ImportJob.id == job_id, ImportJob.published == seen).execute()
                return {"created": job.created + created, "updated": job.updated + updated,
                        "written": last, "total": job.total or 0}
        try:
            outcome = retrying(one_batch)
        except Busy:  # publishing has begun: it goes on (as after a crash), never stops half-way
            log.warning("import job %s: the database stayed busy; publishing goes on", job_id)
            continue
        except Exception as exc:
            if is_busy(exc):
                raise
            # A change made since the file was checked conflicts with a row (another
            # writer took an ID number, deleted a referenced record…): this batch was
            # rolled back whole; the batches before it are taken back, newest first.
            reason = _conflict_words(kind, exc)
            log.warning("import job %s refused while publishing: %s", job_id, reason)
            _take_back(job_id, reason)
        if outcome == "again":
            continue
        if outcome.get("done"):
            return outcome
        if progress:
            progress("writing", outcome)
        barrier("published")


class _held:
    """A write transaction that, once over, leaves the write lock free for as long
    as it held it (GAP_SHARE, at least MIN_GAP). SQLite queues no one for its lock:
    a waiting writer polls, every 100 ms once it has waited a while, and an import
    taking the lock back at once starved smsd up to its 10 s busy timeout."""

    def __init__(self, gap=True):
        self.gap = gap

    def __enter__(self):
        self.transaction = write_transaction()
        inner = self.transaction.__enter__()
        self.start = time.monotonic()
        return inner

    def __exit__(self, *exc):
        try:
            return self.transaction.__exit__(*exc)
        finally:
            if self.gap and not database.in_transaction():
                time.sleep(max(MIN_GAP, GAP_SHARE * (time.monotonic() - self.start)))


_undo = threading.local()    # .log: what the batch being published changed, when one is


def _note(model, row_id, before):
    """Record, while a batch is published, a row it created (before None) or changed."""
    entries = getattr(_undo, "log", None)
    if entries is not None:
        entries.append((model, row_id, before))


UNDO_MODELS = {m._meta.table_name: m for m in (Customer, Staff, Product, Policy, Payment, Claim)}


def _encode_undo(entries):
    def plain(value):
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        return str(value) if isinstance(value, Decimal) else value
    return json.dumps([[m._meta.table_name, row_id, None if before is None else
                        {k: plain(v) for k, v in before.items() if k != "id"}] for m, row_id, before in entries],
                      ensure_ascii=False)


def _decode_before(model, before):
    out = {}
    for name, value in before.items():
        field = model._meta.fields[name]
        if value is not None and isinstance(field, peewee.DateTimeField):
            value = datetime.datetime.fromisoformat(value)
        elif value is not None and isinstance(field, peewee.DateField):
            value = datetime.date.fromisoformat(value)
        elif value is not None and isinstance(field, peewee.DecimalField):
            value = Decimal(value)
        out[name] = value
    return out


def _conflict_words(kind, exc):
    columns = {f.name: 0 for f in SPECS[kind]}
    if isinstance(exc, RowProblem):
        detail = f"{exc.field_name}: {exc}"
    elif isinstance(exc, peewee.IntegrityError):
        name = _field_of_integrity_error(exc, columns)
        detail = f"{name or kind}: {_integrity_words(exc)}"
    elif isinstance(exc, InputError):
        detail = str(exc)
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return (f"{detail}, changed by someone else after the file was checked; what had been published "
            f"was taken back: nothing imported")


class TakenBack(InputError):
    """A refused import whose published batches were taken back: nothing of it remains."""


def _take_back(job_id, reason):
    """Undo a job's published batches, newest first, each in a short transaction
    recording how far it got (a crash meanwhile is finished by publish()); then
    the job is failed with `reason` and its staged rows dropped. Raises TakenBack."""
    retrying(lambda: ImportJob.update(message=reason).where(  # the mark: a running job with a message
        ImportJob.id == job_id, ImportJob.state == "running").execute())

    def one():
        with _held():
            job = ImportJob.get_by_id(job_id)
            if job.state != "running":
                return False
            row = (ImportRow.select(ImportRow.seq, ImportRow.undo)
                   .where(ImportRow.job == job_id, ImportRow.undo.is_null(False), ImportRow.seq <= job.published)
                   .order_by(ImportRow.seq.desc()).first())
            if row is None:
                audit(job.actor, f"import.{job.kind}.refused", job.filename, reason, job.source)
                ImportJob.update(state="failed", phase="finished", finished_at=clock.now(), created=0, updated=0,
                                 rows_written=0, published=None).where(ImportJob.id == job_id).execute()
                return False
            for table, row_id, before in reversed(json.loads(row.undo)):
                model = UNDO_MODELS[table]
                if before is None:
                    if model is Customer:
                        CustomerPhone.delete().where(CustomerPhone.customer == row_id).execute()
                    model.delete().where(model.id == row_id).execute()
                else:
                    model.update(**_decode_before(model, before)).where(model.id == row_id).execute()
                    if model is Customer:
                        _resync_phones(row_id)
            earlier = (ImportRow.select(peewee.fn.MAX(ImportRow.seq))
                       .where(ImportRow.job == job_id, ImportRow.undo.is_null(False), ImportRow.seq < row.seq)
                       .scalar()) or 0
            ImportRow.delete().where(ImportRow.job == job_id, ImportRow.seq == row.seq).execute()
            ImportJob.update(published=earlier, rows_written=earlier).where(ImportJob.id == job_id).execute()
            return True
    while retrying(one):
        barrier("taking back")  # after each batch taken back
    discard(job_id)
    raise TakenBack(reason)


def _resync_phones(customer_id):
    customer = Customer.select(Customer.id, Customer.mobile, Customer.other_phones).where(
        Customer.id == customer_id).first()
    CustomerPhone.delete().where(CustomerPhone.customer == customer_id).execute()
    rows = [{"customer": customer_id, "number": n} for n in phone_numbers_of(customer)] if customer else []
    if rows:
        CustomerPhone.insert_many(rows).execute()


def _executemany(sql, params):
    """cursor.executemany, its errors those of peewee (IntegrityError, OperationalError…)."""
    with peewee.__exception_wrapper__:
        database.cursor().executemany(sql, params)


def _insert_sql(model, names):
    fields = model._meta.fields
    columns = ", ".join(f'"{fields[n].column_name}"' for n in names)
    return (f'INSERT INTO "{model._meta.table_name}" ({columns}) '
            f'VALUES ({", ".join(database.param for _ in names)})')


def _prepare(kind, rows):
    """A batch's rows as they will be written, computed outside the write lock."""
    if kind == "customers":
        return _prepare_customers(rows)
    return rows


def _publish_rows(kind, prepared):
    """Write a prepared batch; returns how many rows were created. Inside the caller's transaction."""
    if kind == "customers":
        return _publish_customers(prepared)
    created = 0
    for values in prepared:
        created += bool(UPSERT[kind](values))
    return created


CUSTOMER_DEFAULTS = ("gender", "other_phones", "region", "language", "opt_out", "created_at")


def _prepare_customers(rows):
    """{'nos': customer numbers, 'items': [(no, insert SQL, insert params, update
    SQL, update params)]} in file order (SQL per set of columns the row gave)."""
    merged = {}
    for values in rows:  # the same customer twice in a file: the later row wins, field by field
        merged.setdefault(values["customer_no"], {}).update(values)
    fields = Customer._meta.fields
    groups, items = {}, []
    for no, values in merged.items():
        names = tuple(values)
        if names not in groups:
            extra = tuple(n for n in CUSTOMER_DEFAULTS if n not in names)
            sets = ", ".join(f'"{fields[n].column_name}" = {database.param}' for n in names)
            update = f'UPDATE "customer" SET {sets} WHERE "customer_no" = {database.param}'
            groups[names] = (_insert_sql(Customer, names + extra), update, extra)
        insert, update, extra = groups[names]
        given = [fields[n].db_value(_default_of(fields[n]) if v is None and not fields[n].null else v)
                 for n, v in values.items()]
        defaults = [fields[n].db_value(_default_of(fields[n])) for n in extra]
        items.append((no, insert, given + defaults, update, given + [no]))
    return {"nos": list(merged), "items": items}


def _publish_customers(prepared):
    nos = prepared["nos"]
    marks = ", ".join(database.param for _ in nos)
    existing = {no for (no,) in database.execute_sql(
        f'SELECT "customer_no" FROM "customer" WHERE "customer_no" IN ({marks})', nos).fetchall()}
    if existing and getattr(_undo, "log", None) is not None:  # their values before, to take the batch back
        for before in Customer.select().where(Customer.customer_no.in_(list(existing))).dicts():
            _note(Customer, before["id"], before)
    created, run, sql = 0, [], None
    for no, insert, insert_params, update, update_params in prepared["items"] + [(None,) * 5]:
        statement, params = (update, update_params) if no in existing else (insert, insert_params)
        if run and (no is None or statement != sql):  # runs of one statement, in file order
            _executemany(sql, run)
            run = []
        if no is not None:
            created += no not in existing
            sql = statement
            run.append(params)
    customers = database.execute_sql(
        f'SELECT "id", "mobile", "other_phones", "customer_no" FROM "customer" WHERE "customer_no" IN ({marks})',
        nos).fetchall()
    ids = [row[0] for row in customers]
    for id_, _, _, no in customers:
        if no not in existing:
            _note(Customer, id_, None)
    database.execute_sql(f'DELETE FROM "customer_phone" WHERE "customer_id" IN '
                         f'({", ".join(database.param for _ in ids)})', ids)
    phone_rows = [(id_, n) for id_, mobile, other, _ in customers
                  for n in phone_numbers_of(Customer(mobile=mobile, other_phones=other))]
    if phone_rows:
        _executemany(_insert_sql(CustomerPhone, ("customer", "number")), phone_rows)
    return created


def _default_of(column):
    return column.default() if callable(column.default) else column.default


def discard(job_id):
    """Drop a job's staged rows (a job that never started publishing), in short batches."""
    while True:
        def one():
            with _held():
                seqs = [s for (s,) in ImportRow.select(ImportRow.seq).where(ImportRow.job == job_id)
                        .order_by(ImportRow.seq).limit(STAGE_BATCH).tuples()]
                if seqs:
                    ImportRow.delete().where(ImportRow.job == job_id, ImportRow.seq <= seqs[-1]).execute()
                return len(seqs)
        if not retrying(one):
            return


class _Run:
    """One file's import in progress: its columns, counts and the errors found so far."""

    def __init__(self, kind, progress):
        self.kind = kind
        self.fields = {f.name: f for f in SPECS[kind]}
        self.progress = progress or (lambda phase, counts: None)
        self.counts = {"total": None, "read": 0, "checked": 0, "staged": 0, "written": 0}
        self.header, self.columns = [], {}
        self.errors, self.created, self.updated, self.cleaned = [], 0, 0, 0

    def tell(self, phase):
        self.progress(phase, self.counts)

    def tell_counts(self, phase, outcome):
        """publish()'s progress: `written` is the rows published (what the job's row
        records too); staging, done by now, was the first half of the writing."""
        self.counts["staged"] = outcome["total"]
        self.counts["written"] = outcome["written"]
        self.tell(phase)

    def error(self, line, name, message, exc=None, msgid=""):
        """Note a row error, naming the file's column when the field came from one;
        `exc` or `msgid`: the msgid the pages translate it by (see RowError)."""
        header = self.header[self.columns[name]].strip() if name in self.columns else name or ""
        column = get_column_letter(self.columns[name] + 1) if name in self.columns else ""
        msgid, values = getattr(exc, "msgid", None) or msgid, dict(getattr(exc, "values", None) or {})
        # {field} is the file's column header; the error's own field name when no column holds it.
        values = {key: str(value) for key, value in {**values, "field": header or values.get("field") or ""}.items()}
        self.errors.append(RowError(line, column, header, message, msgid or "", values if msgid else None))

    def check(self, rows):
        """Convert every row without touching the database; returns (line, values)
        of the rows whose every cell converted."""
        self.tell("checking")
        checked = []
        for line, cells in rows:
            values = self.convert_row(line, cells)
            if len(values) == len(self.columns):
                checked.append((line, values))
            self.counts["checked"] += 1
            if self.counts["checked"] % 500 == 0:
                self.tell("checking")
            if len(self.errors) >= MAX_REPORTED:
                break
        self.tell("checking")
        return checked

    def convert_row(self, line, cells):
        values = {}
        for name, index in self.columns.items():
            raw = cells[index] if index < len(cells) else None
            try:
                values[name] = convert(self.fields[name], raw)
            except InputError as exc:
                self.error(line, name, str(exc).split(": ", 1)[-1], exc)
                continue
            except ValueError as exc:
                self.error(line, name, str(exc), exc)
                continue
            if self.fields[name].kind == "phone" and values[name] and values[name] != _text(raw):
                self.cleaned += 1
        return values

    def verify(self, checked):
        """What only the database finds, found before anything is written; returns
        the rows as they will be written, counting created and updated."""
        if self.kind == "customers":
            return self.verify_customers(checked)
        return self.rehearse(checked)

    def verify_customers(self, checked):
        out, owner_of_id = [], {}
        for line, values in checked:
            customer = Customer(**values)
            try:
                customer.clean()  # ID number check, birth date and gender from it
            except InputError as exc:
                self.error(line, exc.field if exc.field in self.columns else None, str(exc).split(": ", 1)[-1], exc)
                continue
            if customer.id_number:
                values["id_number"] = customer.id_number
                if "birth_date" not in values or values["birth_date"] is None:
                    values["birth_date"] = customer.birth_date
                if not values.get("gender"):
                    values["gender"] = customer.gender
                first = owner_of_id.setdefault(customer.id_number, values["customer_no"])
                if first != values["customer_no"]:
                    self.error(line, "id_number", "already used by another record",
                               msgid=N_("already used by another record"))
                    continue
            out.append((line, values))
            if len(self.errors) >= MAX_REPORTED:
                return out
        nos = [v["customer_no"] for _, v in out]
        known = set()
        for start in range(0, len(nos), 500):
            known.update(no for (no,) in Customer.select(Customer.customer_no)
                         .where(Customer.customer_no.in_(nos[start:start + 500])).tuples())
        ids = list(owner_of_id)
        taken = {}
        for start in range(0, len(ids), 500):
            taken.update(Customer.select(Customer.id_number, Customer.customer_no)
                         .where(Customer.id_number.in_(ids[start:start + 500])).tuples())
        seen = set()
        for line, values in out:
            number = values.get("id_number")
            if number and taken.get(number, values["customer_no"]) != values["customer_no"]:
                self.error(line, "id_number", "already used by another record",
                           msgid=N_("already used by another record"))
            no = values["customer_no"]
            if no in known or no in seen:
                self.updated += 1
            else:
                self.created += 1
            seen.add(no)
        return out

    def rehearse(self, checked):
        """Write the rows in short transactions that are rolled back: every error the
        database finds (a missing policy, a refused value) without keeping anything."""
        for start in range(0, len(checked), REHEARSE_BATCH):
            chunk = checked[start:start + REHEARSE_BATCH]

            def attempt(chunk=chunk):
                errors, created, updated = len(self.errors), self.created, self.updated
                try:
                    with _held() as transaction:
                        for line, values in chunk:
                            self.write_row(line, values)
                        transaction.rollback()
                except Exception:
                    del self.errors[errors:]
                    self.created, self.updated = created, updated
                    raise
            retrying(attempt)
            if len(self.errors) >= MAX_REPORTED:
                break
        return checked

    def write_row(self, line, values):
        try:
            with database.atomic():  # a savepoint: one bad row does not hide the next ones
                if UPSERT[self.kind](values):
                    self.created += 1
                else:
                    self.updated += 1
        except RowProblem as exc:
            self.error(line, exc.field_name, str(exc))
        except InputError as exc:
            known = exc.field in self.columns
            self.error(line, exc.field if known else None, str(exc).split(": ", 1)[-1] if known else str(exc), exc)
        except peewee.IntegrityError as exc:
            self.error(line, _field_of_integrity_error(exc, self.columns), _integrity_words(exc))


def _field_of_integrity_error(exc, columns):
    text = str(exc)
    for name in columns:
        if any(probe in text for probe in (f".{name}", f"({name})", f"\"{name}\"", f"{name} IN", f"{name} >")):
            return name
    return None


def _integrity_words(exc):
    text = str(exc)
    if "UNIQUE" in text or "unique" in text or "duplicate" in text:
        return "already used by another record"
    if "CHECK" in text or "check" in text:
        return "value not allowed"
    return f"refused by the database ({text.splitlines()[0]})"


def upsert_record(kind, record, actor="api", source=""):
    """Create or update one record from a JSON object (the API's upserts): the same
    fields, conversions and checks as a file row; InputError names the field.
    Returns True when it was created."""
    if kind not in SPECS:
        raise InputError.of(N_("{field}: must be one of {choices}"), field="kind", choices=', '.join(SPECS))
    fields = {f.name: f for f in SPECS[kind]}
    values = {}
    for name, raw in record.items():
        if name not in fields:
            raise InputError.of(N_("{field}: unknown field (fields: {choices})"), field=name, choices=', '.join(fields))
        try:
            values[name] = convert(fields[name], raw)
        except InputError as exc:
            raise InputError.of(N_("{field}: {value}"), field=name, value=str(exc).split(': ', 1)[-1]) from None
        except ValueError as exc:
            raise InputError.of(N_("{field}: {exc}"), field=name, exc=exc) from None
    key = KEYS.get(kind)
    try:
        # The write lock first (BEGIN IMMEDIATE): two clients upserting at once wait
        # for each other instead of failing "database is locked", and the record
        # cannot appear between the look and the write.
        with write_transaction():
            exists = key is not None and values.get(key[1]) and \
                key[0].select().where(getattr(key[0], key[1]) == values[key[1]]).exists()
            for f in SPECS[kind]:
                if f.required and values.get(f.name) in (None, "") and not (exists and f.name != key[1]):
                    raise InputError.of(N_("{field}: required"), field=f.name)
            created = UPSERT[kind](values)
            key = next(iter(values[f.name] for f in SPECS[kind] if f.required))
            audit(actor, f"{kind}.{'create' if created else 'update'}", f"{kind}:{key}", source=source)
    except RowProblem as exc:
        raise InputError.of(N_("{field}: {exc}"), field=exc.field_name, exc=exc) from None
    except peewee.IntegrityError as exc:
        name = _field_of_integrity_error(exc, {n: 0 for n in values})
        raise InputError.of(N_("{name}: {integrity_words}"),
                            field=name, name=name or kind, integrity_words=_integrity_words(exc)) from None
    return created
