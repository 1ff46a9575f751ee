"""Campaigns by e-mail: channel 'email' mails every customer with an address, 'preference'
mails those who chose e-mail and texts the others; opt-out and the window hold; a paused or
cancelled campaign's mails wait or go nowhere."""
import datetime

from mail_support import make_customer

from appliance import groups
from appliance.mail import mailer
from appliance.mail.models import MailMessage
from appliance.models import ContactGroup, GroupMember
from appliance.services import campaigns
from appliance.sms.models import Message

NOON = datetime.datetime(2026, 12, 1, 4, 0)  # 12:00 in Shanghai


def group_of(*customers):
    group = ContactGroup.create(name="VIP客户", kind="customer")
    for c in customers:
        GroupMember.create(group=group, customer=c)
    return group


def people():
    return {"mail": make_customer(name="李娜", email="li@example.com"),
            "sms": make_customer(name="王强", email="wang@example.com", channel="sms"),
            "mail_only": make_customer(name="赵敏", email="zhao@example.com", mobile=None),
            "mobile_only": make_customer(name="钱进", email=None, channel="sms"),
            "opted_out": make_customer(name="孙丽", email="sun@example.com", opt_out=True)}


def test_by_preference_mails_those_who_chose_it_and_texts_the_others(mail_config, smtp_server):
    who = people()
    group_of(*who.values())
    campaign = campaigns.send_to_group(mail_config, "岁末关怀", "VIP客户", template_key="birthday",
                                       channel="preference", now=NOON)
    assert (campaign.channel, campaign.queued, campaign.skipped) == ("preference", 4, 1)
    mailed = {m.customer_id for m in MailMessage.select()}
    assert mailed == {who["mail"].id, who["mail_only"].id}
    assert {m.customer_id for m in Message.select()} == {who["sms"].id, who["mobile_only"].id}
    assert mailer.step(mail_config, NOON) == {"sent": 2}
    assert sorted(m["To"] for m in smtp_server.handler.received) == ["li@example.com", "zhao@example.com"]


def test_by_email_mails_everyone_with_an_address_and_skips_the_rest(mail_config):
    who = people()
    group_of(*who.values())
    campaign = campaigns.send_to_group(mail_config, "岁末关怀", "VIP客户", template_key="birthday",
                                       channel="email", now=NOON)
    assert (campaign.queued, campaign.skipped) == (3, 2)  # no address; opted out
    assert {m.customer_id for m in MailMessage.select()} == {who["mail"].id, who["sms"].id, who["mail_only"].id}
    assert Message.select().count() == 0
    assert all(m.campaign_id == campaign.id for m in MailMessage.select())


def test_a_text_of_ones_own_is_mailed_under_the_campaigns_name(mail_config, smtp_server):
    group_of(make_customer(name="李娜", email="li@example.com"))
    campaigns.send_to_group(mail_config, "新春问候", "VIP客户", text="{salutation}，新春快乐！<祝福>",
                            category="marketing", channel="email", now=NOON)
    mailer.step(mail_config, NOON)
    (got,) = smtp_server.handler.received
    assert got["Subject"] == "新春问候"
    assert "&lt;祝福&gt;" in got.get_body(("html",)).get_content()


def test_pause_resume_and_cancel_reach_the_mails(mail_config, smtp_server):
    group_of(make_customer(email="a@example.com"), make_customer(email="b@example.com"))
    campaign = campaigns.send_to_group(mail_config, "活动", "VIP客户", template_key="birthday",
                                       channel="email", now=NOON)
    assert campaigns.pause(campaign.id) == 2
    assert campaigns.waiting_counts([campaign.id])[campaign.id] == {"waiting": 0, "held": 2}
    assert mailer.step(mail_config, NOON) == {}
    assert campaigns.resume(mail_config, campaign.id, now=NOON) == 2
    assert campaigns.cancel(campaign.id, actor="admin") == 2
    assert mailer.step(mail_config, NOON) == {}
    assert {m.state for m in MailMessage.select()} == {"cancelled"}
    assert smtp_server.handler.received == []


def test_groups_list_mail_only_customers_only_when_asked(database):
    group = group_of(make_customer(mobile=None))
    assert groups.recipients(group) == []
    assert len(groups.recipients(group, with_email=True)) == 1

