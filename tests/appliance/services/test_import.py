"""CSV and XLSX import: column mapping, dry run, all-or-nothing, line and column in errors."""
import datetime

import pytest
from openpyxl import Workbook

from appliance import importer
from appliance.errors import InputError
from appliance.models import AuditLog, Customer, Payment, Policy, Staff

CUSTOMERS = """客户号,姓名,手机号码,身份证号,地区,备注
C001,张伟,138-0013-8000,11010519491231002X,福州市鼓楼区,VIP
C002,李娜,+86 139 0013 9000,,厦门市思明区,
C003,王芳,13700137000.0,,,
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot():
    return [(c.customer_no, c.name, c.mobile) for c in Customer.select().order_by(Customer.id)]


def test_customers_from_csv_with_chinese_headers_and_number_cleaning(database, tmp_path):
    report = importer.import_file("customers", write(tmp_path, "c.csv", CUSTOMERS))
    assert (report["created"], report["updated"], report["numbers_cleaned"]) == (3, 0, 3)
    assert report["ignored_columns"] == ["备注"]
    assert snapshot() == [("C001", "张伟", "+8613800138000"), ("C002", "李娜", "+8613900139000"),
                          ("C003", "王芳", "+8613700137000")]
    assert Customer.get(Customer.customer_no == "C001").birth_date == datetime.date(1949, 12, 31)
    # Importing the same file again updates, it does not duplicate.
    again = importer.import_file("customers", write(tmp_path, "c.csv", CUSTOMERS))
    assert (again["created"], again["updated"]) == (0, 3)
    assert AuditLog.select().where(AuditLog.action == "import.customers").count() == 2


def test_a_bad_row_leaves_the_database_unchanged_and_names_line_and_column(database, tmp_path):
    importer.import_file("customers", write(tmp_path, "c.csv", CUSTOMERS))
    before = snapshot()
    bad = CUSTOMERS.replace("C002,李娜", "C002,李娜娜") + "C004,赵敏,12345,,,\nC005,钱七,13600136000,110105194912310022,,\n"
    with pytest.raises(importer.ImportFailed) as failure:
        importer.import_file("customers", write(tmp_path, "bad.csv", bad))
    errors = [str(e) for e in failure.value.errors]
    assert errors[0] == "line 5, column C (手机号码): '12345' is not a valid phone number"
    assert errors[1].startswith("line 6, column D (身份证号):")
    assert str(failure.value).startswith("bad.csv: line 5, column C (手机号码)")
    assert snapshot() == before  # 李娜 was not renamed: all or nothing


def test_dry_run_finds_database_errors_and_writes_nothing(database, tmp_path):
    duplicate_id = ("customer_no,name,mobile,id_number\n"
                    "C1,甲,13800000001,11010519491231002X\nC2,乙,13800000002,11010519491231002X\n")
    with pytest.raises(InputError, match=r"line 3, column D \(id_number\): already used"):
        importer.import_file("customers", write(tmp_path, "d.csv", duplicate_id), dry_run=True)
    report = importer.import_file("customers", write(tmp_path, "ok.csv", CUSTOMERS), dry_run=True)
    assert report["created"] == 3 and report["dry_run"] and Customer.select().count() == 0


def test_mapping_gbk_csv_and_missing_columns(database, tmp_path):
    text = "编号,名字,联系电话\nC9,孙丽,13800000009\n"
    path = write(tmp_path, "gbk.csv", text, "gb18030")
    with pytest.raises(InputError, match="no column for customer_no, name"):
        importer.import_file("customers", path)
    mapping = importer.parse_mapping(["编号=customer_no", "名字=name", "联系电话=mobile"])
    assert importer.import_file("customers", path, mapping=mapping)["created"] == 1
    with pytest.raises(InputError, match="no field 'phone'"):
        importer.import_file("customers", path, mapping={"联系电话": "phone"})


def test_staff_policies_payments_claims_from_xlsx(database, tmp_path):
    importer.import_file("customers", write(tmp_path, "c.csv", CUSTOMERS))

    def xlsx(name, rows):
        book = Workbook()
        for row in rows:
            book.active.append(row)
        path = tmp_path / name
        book.save(path)
        return path

    importer.import_file("staff", xlsx("s.xlsx", [["工号", "姓名", "手机", "部门", "状态"],
                                                 ["35010001", "王建国", 13900000001, "个险一部", "在职"]]))
    assert Staff.get(Staff.badge_no == "35010001").mobile == "+8613900000001"
    report = importer.import_file("policies", xlsx("p.xlsx", [
        ["保单号", "险种代码", "险种名称", "投保人客户号", "业务员工号", "保费", "缴费频率", "应缴日期"],
        ["P1", "A101", "安康终身寿险", "C001", "35010001", "1,200.00", "年交", datetime.datetime(2027, 1, 5)],
        ["P2", "A101", "", "C002", "", 300, "月交", "2026/12/20"],
    ]))
    assert report["created"] == 2
    p1 = Policy.get(Policy.policy_no == "P1")
    assert (p1.frequency, f"{p1.premium:.2f}", p1.next_due_date, p1.agent.name) == (
        "annual", "1200.00", datetime.date(2027, 1, 5), "王建国")
    with pytest.raises(InputError, match=r"line 3, column C \(投保人客户号\): no customer 'C404'"):
        importer.import_file("policies", xlsx("p2.xlsx", [
            ["保单号", "险种代码", "投保人客户号", "保费"], ["P3", "A101", "C001", 1], ["P4", "A101", "C404", 1]]))
    assert not Policy.select().where(Policy.policy_no == "P3").exists()
    payments = xlsx("pay.xlsx", [["保单号", "金额", "缴费日期", "状态", "失败原因"],
                                 ["P1", 1200, "2026-12-01", "失败", "余额不足"]])
    importer.import_file("payments", payments)
    importer.import_file("payments", payments)
    assert Payment.select().count() == 1 and Payment.get().failure_reason == "余额不足"
    report = importer.import_file("claims", xlsx("cl.xlsx", [["赔案号", "保单号", "状态", "报案日期"],
                                                             ["L1", "P1", "已受理", "2026-11-30"]]))
    assert report["created"] == 1
    with pytest.raises(InputError, match=r"line 2, column C \(状态\): value not allowed"):
        importer.import_file("claims", xlsx("cl2.xlsx", [["赔案号", "保单号", "状态", "报案日期"],
                                                         ["L2", "P1", "whatever", "2026-11-30"]]))
    with pytest.raises(InputError, match=r"line 2, column D \(报案日期\): '30/11/2026' is not a date"):
        importer.import_file("claims", xlsx("cl3.xlsx", [["赔案号", "保单号", "状态", "报案日期"],
                                                         ["L2", "P1", "已受理", "30/11/2026"]]))
