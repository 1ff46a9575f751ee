"""E-mail on the admin page over HTTP: a customer's address and preference (a bad address
refused in the page's language, naming the field, nothing changed), the sent-mail list with
states in words, a group send by each customer's preference, and sending an interrupted
mail again only after a confirmation."""
import html

from web_support import make_user

from appliance.mail.models import MailMessage
from appliance.models import AuditLog, ContactGroup, Customer, GroupMember


def customer_form(c, **values):
    return {"name": c.name, "mobile": c.mobile or "", "region": "", "language": "zh", "gender": "",
            "email": "", "channel": "sms", **values}


def test_a_customers_address_and_preference(admin_client):
    c = Customer.create(name="王芳", mobile="13800138000")
    admin_client.page(f"/customers/{c.id}")
    resp = admin_client.post(f"/customers/{c.id}", customer_form(c, email="wang.fang@Example.COM", channel="email"))
    assert resp.status == 303
    c = Customer.get_by_id(c.id)
    assert (c.email, c.channel) == ("wang.fang@example.com", "email")
    page = admin_client.page(f"/customers/{c.id}").text
    assert 'value="wang.fang@example.com"' in page and '<option value="email" selected>电子邮件</option>' in page
    detail = AuditLog.get(AuditLog.action == "customer.update").detail
    assert detail == "email - -> w***@example.com, channel sms -> email"  # masked in the audit log
    assert "邮箱地址：- → w***@example.com" in html.unescape(admin_client.page("/audit").text)

    resp = admin_client.post(f"/customers/{c.id}", customer_form(c, email="not-an-address", channel="email"))
    assert resp.status == 400
    assert "邮箱地址：不是有效的邮箱地址：not-an-address" in html.unescape(resp.text)
    resp = admin_client.post(f"/customers/{c.id}", customer_form(c, email="", channel="email"))
    assert resp.status == 400 and "邮箱地址：选择了邮件，但没有填写邮箱地址" in html.unescape(resp.text)
    assert Customer.get_by_id(c.id).email == "wang.fang@example.com"  # unchanged


def test_the_mail_list_says_states_in_words_and_masks_for_auditors(admin_client, server):
    c = Customer.create(name="李娜", mobile="13900139000", email="li.na@example.com", channel="email")
    for state in ("sent", "unknown"):
        MailMessage.create(to_address=c.email, subject="【平安保险】续期缴费提醒", text_body="t", html_body="<p>t</p>",
                           customer=c, state=state, failure_reason="")
    page = admin_client.page("/mail").text
    assert "邮件服务器已接收" in page and "发送中断，可能已送达（不会自动重发）" in page
    assert "li.na@example.com" in page and page.count("重新发送") == 1  # only the unknown one
    admin_client.get("/lang/en?next=/")
    assert "accepted by the mail server" in admin_client.page("/mail").text
    make_user("eve", "auditor")
    from web_support import Client
    auditor = Client(server)
    assert auditor.sign_in("eve").status == 303
    text = auditor.page("/mail").text
    assert "l***@example.com" in text and "li.na@example.com" not in text


def test_sending_again_asks_first(admin_client):
    mail = MailMessage.create(to_address="a@example.com", subject="s", text_body="t", html_body="h", state="unknown")
    admin_client.page("/mail")
    asked = admin_client.post(f"/mail/{mail.id}/requeue", {})
    assert asked.status == 200 and "请先确认客户确实没有收到" in asked.text
    assert MailMessage.get_by_id(mail.id).state == "unknown"
    done = admin_client.post(f"/mail/{mail.id}/requeue", {"confirmed": "1"})
    assert done.status == 303 and MailMessage.get_by_id(mail.id).state == "queued"
    assert AuditLog.get(AuditLog.action == "mail.requeue").target == f"mail:{mail.id}"


def test_a_group_send_by_preference(admin_client):
    group = ContactGroup.create(name="VIP客户", kind="customer")
    for name, mobile, email, channel in (("甲", "13800000001", "a@example.com", "email"),
                                         ("乙", "13800000002", None, "sms"),
                                         ("丙", None, "c@example.com", "email")):
        GroupMember.create(group=group, customer=Customer.create(name=name, mobile=mobile, email=email,
                                                                 channel=channel))
    admin_client.page("/send")
    fields = {"mode": "group", "group": str(group.id), "template": "", "text": "您好，{salutation}", "category": "service",
              "name": "问候", "department": "", "channel": "preference"}
    confirm = admin_client.post("/send", fields)
    assert confirm.status == 200 and 'id="confirm-mailed">2<' in confirm.text
    assert MailMessage.select().count() == 0  # nothing queued before the confirmation
    done = admin_client.post("/send", {**fields, "confirmed": "1"})
    assert done.status == 303
    assert sorted(m.to_address for m in MailMessage.select()) == ["a@example.com", "c@example.com"]
    bad = admin_client.post("/send", {**fields, "channel": "fax"})
    assert bad.status == 400 and "渠道：必须是短信（sms）、邮件（email）或按客户偏好（preference）" in html.unescape(bad.text)


def test_the_campaign_list_says_the_channel_and_the_mails_accepted(admin_client, web_config):
    from appliance.services import campaigns
    group = ContactGroup.create(name="邮件客户", kind="customer")
    for n in range(2):
        GroupMember.create(group=group, customer=Customer.create(name=f"客户{n}", email=f"c{n}@example.com",
                                                                 channel="email"))
    campaign = campaigns.send_to_group(web_config, "新春问候", "邮件客户", template_key="birthday", channel="email")
    MailMessage.update(state="sent").where(MailMessage.id == MailMessage.select().first().id).execute()
    page = admin_client.page("/campaigns").text
    row = page[page.index(f'id="campaign-{campaign.id}"'):]
    assert "邮件（所有有邮箱的客户）" in row and "邮件服务器已接收的邮件：1 / 2" in row
