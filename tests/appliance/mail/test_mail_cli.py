"""`appliance mail`: send a template to a customer, list the outbox with states, requeue an
unknown mail on purpose; bad input exits 2 naming the field. And customers' addresses from an
import file (all or nothing, the bad cell named)."""
import json

from mail_support import make_customer

from appliance.mail.models import MailMessage
from appliance.models import AuditLog


def test_send_list_and_requeue(run_cli, config_file, database):
    customer = make_customer(email="zhang.wei@example.com")
    out = run_cli("mail", "send", "--customer", customer.customer_no, "--template", "ticket_answered",
                  "--var", "ticket_no=T9", "--var", "answer=已处理", config_path=config_file)
    assert out.returncode == 0, out.stderr
    mail_id = int(out.stdout)
    assert AuditLog.get(AuditLog.action == "mail.send").detail == "to z***@example.com, ticket_answered"
    listed = json.loads(run_cli("mail", "list", "--json", config_path=config_file).stdout)
    assert [(m["id"], m["state"], m["to_address"]) for m in listed] == [(mail_id, "queued", "z***@example.com")]
    refused = run_cli("mail", "requeue", str(mail_id), config_path=config_file)
    assert refused.returncode == 2 and "id:" in refused.stderr  # only unknown or failed mails
    MailMessage.update(state="unknown").where(MailMessage.id == mail_id).execute()
    assert run_cli("mail", "requeue", str(mail_id), config_path=config_file).returncode == 0
    assert MailMessage.get_by_id(mail_id).state == "queued"


def test_bad_input_exits_2_naming_the_field(run_cli, config_file, database):
    customer = make_customer(email="a@example.com", channel="sms")
    out = run_cli("mail", "send", "--customer", "NOPE", "--template", "birthday", config_path=config_file)
    assert out.returncode == 2 and out.stderr.strip().endswith("customer: no customer 'NOPE'")
    out = run_cli("mail", "list", "--state", "lost", config_path=config_file)
    assert out.returncode == 2 and "state: must be one of" in out.stderr
    out = run_cli("campaign", "send", "--name", "x", "--group", "g", "--template", "birthday", "--channel", "fax",
                  config_path=config_file)
    assert out.returncode == 2 and "--channel" in out.stderr
    assert customer.email == "a@example.com"


def test_customers_import_their_addresses_all_or_nothing(database, tmp_path):
    import pytest

    from appliance import importer
    from appliance.errors import InputError
    from appliance.models import Customer
    good = tmp_path / "good.csv"
    good.write_text("客户号,姓名,手机号,邮箱\nC1,张三,13800138000,Zhang.San@Example.COM\nC2,李四,13900139000,\n",
                    encoding="utf-8")
    assert importer.import_file("customers", good)["created"] == 2
    assert [(c.customer_no, c.email, c.channel) for c in Customer.select().order_by(Customer.id)] == [
        ("C1", "Zhang.San@example.com", "sms"), ("C2", None, "sms")]
    bad = tmp_path / "bad.csv"
    bad.write_text("客户号,姓名,手机号,邮箱\nC3,王五,13700137000,w@example.com\nC4,赵六,13600136000,zhao.liu\n",
                   encoding="utf-8")
    with pytest.raises(InputError) as refused:
        importer.import_file("customers", bad)
    assert "line 3" in str(refused.value) and "'zhao.liu' is not an e-mail address" in str(refused.value)
    assert Customer.select().count() == 2  # all or nothing
