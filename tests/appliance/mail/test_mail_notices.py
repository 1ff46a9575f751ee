"""Notices by e-mail for customers who prefer it: the daily run and pushed events queue a
mail instead of an SMS (same template, same window, once), honour opt-out, and the mail
the relay receives names the policy."""
import datetime
from decimal import Decimal

import pytest
from mail_support import make_customer

from appliance import clock, idcard
from appliance.mail import mailer
from appliance.mail.models import MailMessage
from appliance.models import Customer, Policy, Product
from appliance.services import notices
from appliance.sms.models import Message

NOW = datetime.datetime(2026, 11, 30, 2, 0)  # 10:00 in Shanghai
TODAY = datetime.date(2026, 11, 30)


def policy(holder, policy_no, due=TODAY + datetime.timedelta(days=15)):
    product = Product.get_or_create(code="A101", defaults={"name": "安康终身寿险"})[0]
    return Policy.create(policy_no=policy_no, product=product, holder=holder, premium=Decimal("1200.00"),
                         frequency="annual", next_due_date=due, grace_end=due + datetime.timedelta(days=60))


def test_the_daily_run_mails_those_who_prefer_it_and_texts_the_others(mail_config, smtp_server):
    by_mail = make_customer(name="李娜", email="li.na@example.com", gender="F", id_number=None)
    by_sms = make_customer(name="王强", email="wang@example.com", channel="sms")
    mail_only = make_customer(name="赵敏", email="zhao@example.com", mobile=None)
    for n, holder in enumerate((by_mail, by_sms, mail_only)):
        policy(holder, f"P90{n}")
    result = notices.run(mail_config, NOW)
    assert result["queued"] == 3 and result["mailed"] == 2
    mails = {m.customer_id: m for m in MailMessage.select()}
    assert set(mails) == {by_mail.id, mail_only.id}
    mail = mails[by_mail.id]
    assert (mail.kind, mail.policy_no, mail.category) == ("renewal_due", "P900", "service")
    assert mail.dedupe_key == "renewal_due:P900:2026-12-15:15"
    assert [m.customer_id for m in Message.select()] == [by_sms.id]  # no SMS to those mailed
    assert notices.run(mail_config, NOW + datetime.timedelta(days=1))["queued"] == 0  # once, by whichever channel
    assert mailer.step(mail_config, NOW) == {"sent": 2}
    got = {m["To"]: m for m in smtp_server.handler.received}
    assert got["li.na@example.com"]["Subject"] == "【平安保险】续期缴费提醒"
    text = got["li.na@example.com"].get_body(("plain",)).get_content()
    assert "尊敬的李女士" in text and "P900" in text and "2026年12月15日" in text


@pytest.mark.parametrize("mobile", ["+8613800000077", None], ids=["with-mobile", "mail-only"])
def test_an_opted_out_customer_gets_no_greeting_mail_but_still_service_notices(mail_config, mobile):
    born = datetime.date(1980, 11, 30)
    customer = make_customer(id_number=idcard.make_id_number("350102", born, 7), opt_out=True, mobile=mobile)
    policy(customer, "P800")
    result = notices.run(mail_config.replace(notices__festivals=[]), NOW)
    kinds = {m.kind for m in MailMessage.select()}
    assert kinds == {"renewal_due"}  # the birthday greeting is marketing: skipped
    assert result["skipped"] == 1


def test_an_event_for_a_customer_who_prefers_mail_is_mailed(mail_config):
    customer = make_customer()
    policy(customer, "P700")
    mail = notices.send_event(mail_config, "policy_confirmation", policy_no="P700", event_id="E1", now=NOW)
    assert isinstance(mail, MailMessage) and mail.policy_no == "P700" and mail.kind == "policy_confirmation"
    again = notices.send_event(mail_config, "policy_confirmation", policy_no="P700", event_id="E1", now=NOW)
    assert again.id == mail.id and MailMessage.select().count() == 1 and Message.select().count() == 0
    Customer.update(channel="sms").where(Customer.id == customer.id).execute()
    sms = notices.send_event(mail_config, "policy_confirmation", policy_no="P700", event_id="E2", now=NOW)
    assert isinstance(sms, Message) and sms.to_number == customer.mobile
    assert clock.today(NOW) == TODAY
