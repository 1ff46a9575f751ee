"""The API and the e-mail channel: a campaign previewed and sent by each customer's
preference, an event for a customer who prefers e-mail answered with the mail (the address
unmasked for the operator, who sees mobiles too)."""
import datetime
from decimal import Decimal

from appliance.mail.models import MailMessage
from appliance.models import ContactGroup, Customer, GroupMember, Policy, Product
from appliance.sms.models import Message


def vip(*people):
    group = ContactGroup.create(name="VIP客户", kind="customer")
    for name, mobile, email, channel, opt_out in people:
        GroupMember.create(group=group, customer=Customer.create(name=name, mobile=mobile, email=email,
                                                                 channel=channel, opt_out=opt_out))


def test_a_campaign_by_preference(api):
    vip(("甲", "13800000001", "a@example.com", "email", False), ("乙", "13800000002", None, "sms", False),
        ("丙", None, "c@example.com", "email", False), ("丁", "13800000004", "d@example.com", "email", True))
    body = {"group": "VIP客户", "template": "birthday", "channel": "preference"}
    status, preview = api("POST", "/campaigns", {**body, "preview": True})
    assert status == 200 and (preview["recipients"], preview["mailed"], preview["skipped"]) == (3, 2, 1)
    status, sent = api("POST", "/campaigns", {**body, "name": "岁末关怀"})
    assert status == 201 and (sent["queued"], sent["skipped"]) == (3, 1)
    assert sorted(m.to_address for m in MailMessage.select()) == ["a@example.com", "c@example.com"]
    assert Message.select().count() == 1
    status, error = api("POST", "/campaigns", {**body, "channel": "fax", "name": "x"})
    assert status == 400 and MailMessage.select().count() == 2


def test_an_event_answers_with_the_mail(api):
    holder = Customer.create(name="李娜", mobile="13900139000", email="li.na@example.com", channel="email")
    Policy.create(policy_no="P1", product=Product.create(code="A1", name="安康"), holder=holder,
                  premium=Decimal("100.00"), frequency="annual", next_due_date=datetime.date(2027, 1, 1))
    status, mail = api("POST", "/events", {"type": "policy_confirmation", "policy_no": "P1", "event_id": "E1"})
    assert status == 201, mail
    assert (mail["channel"], mail["to_address"], mail["state"]) == ("email", "li.na@example.com", "queued")
    assert MailMessage.get_by_id(mail["id"]).policy_no == "P1" and Message.select().count() == 0
