"""The mailer against a real SMTP server on 127.0.0.1: what the server receives (subject,
both parts, Chinese encoded right, markup escaped), 4xx retried with backoff, 5xx recorded
against the contact and never retried, the hourly cap, the send window, opt-out, and
STARTTLS with AUTH."""
import datetime

import pytest
import smtp_support
from mail_support import make_customer

from appliance import clock
from appliance.errors import Refused
from appliance.mail import mailer, outbox
from appliance.mail.models import MailMessage
from appliance.models import AuditLog, Customer

NOON = datetime.datetime(2026, 12, 1, 4, 0)  # 12:00 in Asia/Shanghai: inside the marketing window


def queue_birthday(config, customer, now=NOON):
    """A marketing mail (birthday greeting) to `customer`, queued at `now`."""
    return outbox.send_to_customer(config, customer, template="birthday", now=now)


def test_the_relay_receives_subject_both_parts_in_chinese(mail_config, smtp_server):
    who = make_customer(name="张<b>伟&", gender="", id_number=None)  # no gender: greeted by the full name
    mail = queue_birthday(mail_config, who)
    assert mailer.step(mail_config, NOON) == {"sent": 1}
    (got,) = smtp_server.handler.received
    assert got["Subject"] == "【平安保险】生日祝福"
    assert got["To"] == "zhang.wei@example.com"
    assert got["From"].addresses[0].addr_spec == "notice@branch.example.com"
    assert got["From"].addresses[0].display_name == "平安保险"
    text = got.get_body(("plain",)).get_content()
    html = got.get_body(("html",)).get_content()
    assert "张<b>伟&" in text and "回T退订" not in text
    assert "如不希望再收到此类邮件，请致电95500退订。" in text  # the mail's own opt-out line
    assert "张&lt;b&gt;伟&amp;" in html and "<b>" not in html  # the customer's name is data, not markup
    assert '<html lang="zh-CN">' in html
    row = MailMessage.get_by_id(mail.id)
    assert (row.state, row.smtp_code, row.attempts) == ("sent", 250, 1) and row.sent_at is not None


def test_an_english_customer_gets_english(mail_config, smtp_server):
    queue_birthday(mail_config, make_customer(name="Li Lei", email="li@example.com", language="en"))
    mailer.step(mail_config, NOON)
    (got,) = smtp_server.handler.received
    assert got["Subject"] == "【平安保险】Birthday greeting"
    assert "To stop these e-mails, call 95500." in got.get_body(("plain",)).get_content()
    assert '<html lang="en">' in got.get_body(("html",)).get_content()


def test_a_4xx_is_retried_after_the_backoff(mail_config, smtp_server, customer):
    smtp_server.handler.data_answers = ["451 4.3.0 mailbox busy, try later"]
    mail = queue_birthday(mail_config, customer)
    assert mailer.step(mail_config, NOON) == {"queued": 1}
    row = MailMessage.get_by_id(mail.id)
    assert (row.state, row.smtp_code, row.attempts) == ("queued", 451, 1)
    assert row.next_attempt_at == NOON + datetime.timedelta(seconds=60)
    assert mailer.step(mail_config, NOON + datetime.timedelta(seconds=59)) == {}  # not before its time
    assert mailer.step(mail_config, NOON + datetime.timedelta(seconds=61)) == {"sent": 1}
    assert len(smtp_server.handler.received) == 1
    assert MailMessage.get_by_id(mail.id).attempts == 2


def test_a_relay_out_of_reach_is_retried_then_given_up(mail_config, customer):
    config = mail_config.replace(mail__port=1, mail__max_attempts=2)  # nothing listens on port 1
    mail = queue_birthday(config, customer)
    assert mailer.step(config, NOON) == {"queued": 1}
    assert "ConnectionRefusedError" in MailMessage.get_by_id(mail.id).failure_reason
    assert mailer.step(config, NOON + datetime.timedelta(minutes=5)) == {"failed": 1}
    row = MailMessage.get_by_id(mail.id)
    assert row.state == "failed" and row.failure_reason.startswith("gave up after 2 tries")
    assert Customer.get_by_id(customer.id).email_failed_at is None  # the relay's fault, not the contact's


def test_a_5xx_fails_at_once_and_is_recorded_against_the_contact(mail_config, smtp_server, customer):
    smtp_server.handler.refuse[customer.email] = f"550 5.1.1 <{customer.email}>: no such mailbox"
    mail = queue_birthday(mail_config, customer)
    assert mailer.step(mail_config, NOON) == {"failed": 1}
    row = MailMessage.get_by_id(mail.id)
    assert (row.state, row.smtp_code) == ("failed", 550) and "no such mailbox" in row.failure_reason
    assert "<z***@example.com>" in row.failure_reason  # the address masked: it reaches logs and pages
    assert Customer.get_by_id(customer.id).email_failed_at is not None
    assert AuditLog.get(AuditLog.action == "mail.fail").target == f"customer:{customer.id}"
    smtp_server.handler.refuse.clear()
    assert mailer.step(mail_config, NOON + datetime.timedelta(days=1)) == {}  # never retried
    assert smtp_server.handler.received == []


def test_the_hourly_cap_holds_mails_back(mail_config, smtp_server):
    config = mail_config.replace(mail__per_hour_cap=2)
    for n in range(3):
        queue_birthday(config, make_customer(email=f"c{n}@example.com"))
    assert mailer.step(config, NOON) == {"sent": 2, "capped": 1}
    assert mailer.step(config, NOON + datetime.timedelta(minutes=59)) == {"capped": 1}
    assert len(smtp_server.handler.received) == 2
    assert mailer.step(config, NOON + datetime.timedelta(minutes=61)) == {"sent": 1}
    assert [m["To"] for m in smtp_server.handler.received] == [f"c{n}@example.com" for n in range(3)]


def test_nothing_goes_after_the_windows_end(mail_config, smtp_server, customer):
    late = datetime.datetime(2026, 12, 1, 12, 50)  # 20:50 in Shanghai; marketing window ends at 21:00
    mail = queue_birthday(mail_config, customer, now=late)
    assert MailMessage.get_by_id(mail.id).not_after == datetime.datetime(2026, 12, 1, 13, 0)
    assert mailer.step(mail_config, late + datetime.timedelta(minutes=11)) == {}
    assert MailMessage.get_by_id(mail.id).state == "expired"
    assert smtp_server.handler.received == []


def test_a_mail_queued_at_night_waits_for_the_morning(mail_config, smtp_server, customer):
    night = datetime.datetime(2026, 12, 1, 15, 0)  # 23:00 in Shanghai
    mail = queue_birthday(mail_config, customer, now=night)
    assert mailer.step(mail_config, night + datetime.timedelta(hours=1)) == {}
    morning = clock.instant(datetime.datetime(2026, 12, 2, 8, 0))
    assert MailMessage.get_by_id(mail.id).not_before == morning
    assert mailer.step(mail_config, morning) == {"sent": 1}


@pytest.mark.parametrize("mobile", ["+8613800000042", None], ids=["with-mobile", "mail-only"])
def test_an_opted_out_customer_gets_no_marketing_mail(mail_config, mobile):
    customer = make_customer(mobile=mobile)
    Customer.update(opt_out=True).where(Customer.id == customer.id).execute()
    with pytest.raises(Refused) as refused:
        queue_birthday(mail_config, Customer.get_by_id(customer.id))
    assert refused.value.field == "to"
    assert MailMessage.select().count() == 0
    # a service notice still goes
    outbox.send_to_customer(mail_config, Customer.get_by_id(customer.id), template="ticket_answered",
                            variables={"ticket_no": "T1", "answer": "已处理"}, now=NOON)
    assert MailMessage.select().count() == 1


def test_starttls_and_auth(mail_config, customer, tmp_path):
    controller = smtp_support.start(tls_dir=tmp_path)
    try:
        config = mail_config.replace(mail__port=controller.port, mail__starttls=True,
                                     mail__cafile=controller.handler.cafile,
                                     mail__username=smtp_support.USER, mail__password="wrong")
        mail = queue_birthday(config, customer)
        assert mailer.step(config, NOON) == {"queued": 1}  # refused credentials: ours to fix, retried
        assert MailMessage.get_by_id(mail.id).failure_reason.startswith("authentication refused: 535")
        config = config.replace(mail__password=smtp_support.PASSWORD)
        assert mailer.step(config, NOON + datetime.timedelta(minutes=2)) == {"sent": 1}
        (got,) = controller.handler.received
        assert got["Subject"] == "【平安保险】生日祝福"
    finally:
        controller.stop()


def test_without_a_relay_mails_wait(config, database, customer):
    mail = queue_birthday(config, customer)
    assert mailer.step(config, NOON) == {}
    assert MailMessage.get_by_id(mail.id).state == "queued"


def test_a_relay_out_of_reach_costs_one_try_a_step(mail_config):
    config = mail_config.replace(mail__port=1)
    for n in range(3):
        queue_birthday(config, make_customer(email=f"c{n}@example.com"))
    assert mailer.step(config, NOON) == {"queued": 1}
    assert [m.attempts for m in MailMessage.select().order_by(MailMessage.id)] == [1, 0, 0]
