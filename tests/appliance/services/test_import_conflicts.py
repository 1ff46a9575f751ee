"""A change made by another writer between an import's check and its publishing
(an ID number taken, a referenced customer deleted) makes a batch fail part-way
through publishing: what the earlier batches published is taken back, so the
import is never left half-applied, and the other writer's change stays."""
import sqlite3

import pytest

from appliance import db as dbmod, importer
from appliance.config import Config
from appliance.models import AuditLog, Customer, CustomerPhone, ImportJob, ImportRow, Policy, Product

ID_NUMBER = "11010519491231002X"  # a valid one


def other_writer(config):
    """Another daemon's connection to the same database."""
    return sqlite3.connect(config.database_url[len("sqlite:///"):], isolation_level=None, timeout=5)


def at_staged(monkeypatch, change):
    """Run change() once every row is staged, before publishing begins."""
    def barrier(point):
        if point == "staged":
            change()
    monkeypatch.setattr(importer, "barrier", barrier)


def customers_file(tmp_path, rows, conflict_at):
    lines = ["客户号,姓名,手机号码,身份证号,地区"]
    for i in range(rows):
        lines.append(f"C{i:06d},客户{i},138{i:08d},{ID_NUMBER if i == conflict_at else ''},福州")
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_id_number_taken_meanwhile_takes_back_the_published_batches(database, config, tmp_path, monkeypatch):
    old = Customer.create(customer_no="C000005", name="旧名", mobile="+8613900000005", region="厦门")
    path = customers_file(tmp_path, 2500, conflict_at=1800)  # three publishing batches; the conflict in the second

    def take_the_id_number():
        with other_writer(config) as other:
            other.execute("INSERT INTO customer (customer_no, name, gender, other_phones, id_number, region, "
                          "language, opt_out, created_at) VALUES ('X1', '别人', '', '', ?, '', 'zh', 0, "
                          "'2026-11-30 00:00:00')", (ID_NUMBER,))
    at_staged(monkeypatch, take_the_id_number)
    with pytest.raises(importer.TakenBack, match=r"id_number: already used by another record.*nothing imported"):
        importer.import_file("customers", path, actor="root", file_name="c.csv")
    # The first batch (1,000 rows, one of them an update) was published, then taken back.
    assert sorted((c.customer_no, c.name, c.mobile, c.region) for c in Customer.select()) == [
        ("C000005", "旧名", "+8613900000005", "厦门"), ("X1", "别人", None, "")]
    assert Customer.get_by_id(old.id).id_number is None
    assert [(p.customer_id, p.number) for p in CustomerPhone.select()] == [(old.id, "+8613900000005")]
    job = ImportJob.get()
    assert (job.state, job.created, job.updated, job.published) == ("failed", 0, 0, None)
    assert "id_number" in job.message and not ImportRow.select().exists()
    refused = AuditLog.get(AuditLog.action == "import.customers.refused")
    assert refused.target == "c.csv" and "id_number" in refused.detail
    assert not AuditLog.select().where(AuditLog.action == "import.customers").exists()


def test_a_customer_deleted_meanwhile_takes_back_the_published_policies(database, config, tmp_path, monkeypatch):
    holder = Customer.create(customer_no="H1", name="投保人")
    Customer.create(customer_no="H2", name="将被删除")
    Product.create(code="A101", name="安康")
    kept = Policy.create(policy_no="P0005", product=Product.get(), holder=holder, premium=100)
    lines = ["保单号,险种代码,险种名称,投保人客户号,保费"]
    for i in range(150):  # two batches of 100; the second names H2
        lines.append(f"P{i:04d},{'B202' if i == 7 else 'A101'},新险种,{'H2' if i == 140 else 'H1'},{500 + i}")
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def delete_h2():
        with other_writer(config) as other:
            other.execute("DELETE FROM customer WHERE customer_no = 'H2'")
    at_staged(monkeypatch, delete_h2)
    with pytest.raises(importer.TakenBack, match=r"holder_no: no customer 'H2'"):
        importer.import_file("policies", path, actor="root", file_name="p.csv")
    assert [(p.policy_no, str(p.premium)) for p in Policy.select()] == [("P0005", str(kept.premium))]
    assert [p.code for p in Product.select()] == ["A101"]  # the product the first batch made is gone too
    assert ImportJob.get().state == "failed" and not ImportRow.select().exists()


def test_publishing_and_taking_back_on_postgres(postgres_url, tmp_path, monkeypatch):
    import psycopg2
    config = Config({"data_dir": str(tmp_path / "data"), "database.url": postgres_url})
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    try:
        Customer.create(customer_no="C000005", name="旧名", mobile="+8613900000005")
        path = customers_file(tmp_path, 2500, conflict_at=1800)

        def take_the_id_number():
            with psycopg2.connect(postgres_url) as other:
                other.cursor().execute("INSERT INTO customer (customer_no, name, gender, other_phones, id_number, "
                                       "region, language, opt_out, created_at) VALUES ('X1', '别人', '', '', %s, "
                                       "'', 'zh', false, now())", (ID_NUMBER,))
        at_staged(monkeypatch, take_the_id_number)
        with pytest.raises(importer.TakenBack, match="id_number"):
            importer.import_file("customers", path)
        assert sorted(c.customer_no for c in Customer.select()) == ["C000005", "X1"]
        assert Customer.get(Customer.customer_no == "C000005").name == "旧名"
        Customer.delete().where(Customer.customer_no == "X1").execute()
        monkeypatch.setattr(importer, "barrier", lambda point: None)
        report = importer.import_file("customers", path)
        assert (report["created"], report["updated"]) == (2499, 1)
        assert CustomerPhone.select().count() == 2500 and not ImportRow.select().exists()
        assert Customer.get(Customer.customer_no == "C001800").id_number == ID_NUMBER
    finally:
        db.close()


def test_a_run_stopped_while_taking_back_is_finished_when_the_job_is_next_published(database, config, tmp_path,
                                                                                     monkeypatch):
    path = customers_file(tmp_path, 3500, conflict_at=3200)  # four batches: three to take back

    class PowerCut(Exception):
        pass

    def barrier(point):
        if point == "staged":
            with other_writer(config) as other:
                other.execute("INSERT INTO customer (customer_no, name, gender, other_phones, id_number, region, "
                              "language, opt_out, created_at) VALUES ('X1', '别人', '', '', ?, '', 'zh', 0, "
                              "'2026-11-30 00:00:00')", (ID_NUMBER,))
        elif point == "taking back":  # the newest batch is taken back: the process dies
            raise PowerCut()
    monkeypatch.setattr(importer, "barrier", barrier)
    with pytest.raises(PowerCut):
        importer.import_file("customers", path)
    job = ImportJob.get()
    assert (job.state, job.published) == ("running", 2000) and "id_number" in job.message
    assert Customer.select().count() == 2001  # two batches still published, and X1
    monkeypatch.setattr(importer, "barrier", lambda point: None)
    with pytest.raises(importer.TakenBack, match="id_number"):
        importer.publish(job.id)  # what the web daemon does with a job it finds running, ownerless
    assert [c.customer_no for c in Customer.select()] == ["X1"]
    assert ImportJob.get().state == "failed" and not ImportRow.select().exists()
