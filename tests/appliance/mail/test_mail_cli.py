"""`appliance mail`: send a template to a customer, list the outbox with states, requeue an
unknown mail on purpose; bad input exits 2 naming the field."""
import json

from mail_support import make_customer

from appliance.mail.models import MailMessage


def test_send_list_and_requeue(run_cli, config_file, database):
    customer = make_customer(email="zhang.wei@example.com")
    out = run_cli("mail", "send", "--customer", customer.customer_no, "--template", "ticket_answered",
                  "--var", "ticket_no=T9", "--var", "answer=已处理", config_path=config_file)
    assert out.returncode == 0, out.stderr
    mail_id = int(out.stdout)
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
