"""The send page and the campaigns page over HTTP against a real server: a template's
fields (asked, and those the box fills in), the confirmation before a bulk send (the
first recipient's text, the count after opt-outs, parts and cost; nothing queued before
it; Back keeps what was typed), and pausing, resuming and cancelling a campaign
(cancel asks first)."""
import datetime
import html
import re

from appliance.models import AuditLog, ContactGroup, Customer, Policy, Product, Staff
from appliance.services import campaigns, optout
from appliance.services.models import Campaign
from appliance.sms.models import Message


def staff_group():
    for badge, name, mobile in (("101", "陈明", "+8613900000011"), ("102", "王芳", "+8613900000012")):
        Staff.create(badge_no=badge, name=name, mobile=mobile, department="个险一部")
    return ContactGroup.create(name="个险一部", kind="staff", rule="department", rule_value="个险一部")


def field(page, name):
    """The value of input `name` on a page, or None when it is not there or disabled."""
    match = re.search(rf'<input name="{name}"[^>]*value="([^"]*)"(?![^>]*disabled)', page)
    return html.unescape(match.group(1)) if match else None


def test_a_templates_fields_are_asked_and_the_box_filled_ones_named(admin_client):
    page = admin_client.page("/send?template=meeting").text
    assert "<h1>发送短信</h1>" in page
    for name in ("var_date", "var_place", "var_subject"):
        assert field(page, name) == "", name  # asked, enabled
    assert 'name="var_name"' not in page and 'name="var_company"' not in page  # the box fills them in
    auto = re.search(r'id="auto-fields">(.*?)</p>', page, re.DOTALL).group(1)
    shown = re.findall(r'<span class="auto-var"[^>]*?(?<!hidden)>([^<]+)</span>', auto)
    assert set(shown) == {"收件人姓名", "公司名称"}
    assert "日期" in page and "地点" in page and "{date}" not in page
    # Another template's fields are on the page for the script, but not sent.
    assert 'name="var_claim_no"' in page and field(page, "var_claim_no") is None


def test_a_template_with_variables_to_a_group_asks_for_them_then_confirms_then_queues(admin_client):
    group = staff_group()
    admin_client.page("/send")
    form = {"mode": "group", "group": str(group.id), "template": "meeting", "category": "internal",
            "name": "周例会", "var_subject": "季度总结会", "var_place": "三楼会议室"}
    resp = admin_client.post("/send", form)  # no date
    assert resp.status == 400 and "日期：请填写此模板内容" in resp.text
    assert field(resp.text, "var_place") == "三楼会议室"  # what was typed is kept
    resp = admin_client.post("/send", {**form, "var_date": "12月5日下午3点"})
    assert resp.status == 200 and 'id="send-confirm"' in resp.text
    sample = html.unescape(re.search(r'id="confirm-text">([^<]*)<', resp.text).group(1))
    assert "陈明" in sample and "12月5日下午3点" in sample and "三楼会议室" in sample
    assert Message.select().count() == 0
    resp = admin_client.post("/send", {**form, "var_date": "12月5日下午3点", "confirmed": "1"})
    assert resp.status == 303 and resp.getheader("Location") == "/campaigns"
    texts = {m.to_number: m.text for m in Message.select()}
    assert set(texts) == {"+8613900000011", "+8613900000012"}
    assert "王芳" in texts["+8613900000012"] and all("12月5日下午3点" in t for t in texts.values())
    assert Campaign.get().name == "周例会"


def test_confirmation_shows_count_after_opt_outs_parts_and_cost_and_back_keeps_the_form(admin_client):
    for i, mobile in enumerate(("13800138001", "13800138002", "13800138003")):
        Customer.create(name=f"林{'一二三'[i]}", gender="F", mobile=mobile, region="鼓楼")
    group = ContactGroup.create(name="鼓楼客户", kind="customer", rule="region", rule_value="鼓楼")
    optout.add("+8613800138002", "optout")
    admin_client.page("/send")
    text = "{salutation}，" + "保" * 80  # two UCS-2 parts each
    form = {"mode": "group", "group": str(group.id), "text": text, "category": "marketing", "name": "答谢会"}
    page = admin_client.post("/send", form).text
    number = lambda key: re.search(rf'id="{key}">([^<]*)<', page).group(1)
    assert (number("confirm-count"), number("confirm-skipped")) == ("2", "1")
    assert (number("confirm-parts"), number("confirm-total-parts"), number("confirm-cost")) == ("2", "4", "¥0.20")
    assert html.unescape(number("confirm-text")).startswith("林女士，保保")
    assert "+86138****8001" in page or "+8613800138001" in page
    assert Message.select().count() == 0 and Campaign.select().count() == 0
    back = admin_client.post("/send/back", {k: v for k, v in form.items()}).text
    assert html.unescape(re.search(r'<textarea name="text" id="text"[^>]*>([^<]*)<', back).group(1)) == text
    assert field(back, "name") == "答谢会" and f'<option value="{group.id}" selected' in back
    assert Message.select().count() == 0


def test_pause_resume_and_cancel_a_campaign_from_the_page(admin_client, web_config):
    group = staff_group()
    campaign = campaigns.send_to_group(web_config, "通知", group.name, text="{name}您好，明早开会。",
                                       category="internal")
    page = admin_client.page("/campaigns").text
    assert f'id="campaign-{campaign.id}-pause"' in page and "发送中" in page
    assert admin_client.post(f"/campaigns/{campaign.id}/pause").status == 303
    assert campaigns.waiting_counts([campaign.id])[campaign.id] == {"waiting": 0, "held": 2}
    page = admin_client.page("/campaigns").text
    assert "已暂停" in page and f'id="campaign-{campaign.id}-resume"' in page
    assert admin_client.post(f"/campaigns/{campaign.id}/resume").status == 303
    assert campaigns.waiting_counts([campaign.id])[campaign.id] == {"waiting": 2, "held": 0}

    ask = admin_client.page(f"/campaigns/{campaign.id}/cancel").text  # asks first, changes nothing
    assert "取消群发“通知”？尚未发送的 2 条短信将不再发送" in ask
    assert {m.state for m in Message.select()} == {"queued"}
    assert admin_client.post(f"/campaigns/{campaign.id}/cancel").status == 303
    assert {m.state for m in Message.select()} == {"cancelled"}
    actions = [a.action for a in AuditLog.select().order_by(AuditLog.id)]
    assert actions[-3:] == ["campaign.pause", "campaign.resume", "campaign.cancel"]
    assert f'id="campaign-{campaign.id}-pause"' not in admin_client.page("/campaigns").text
    resp = admin_client.post(f"/campaigns/{campaign.id}/pause")
    assert resp.status == 303 and "无需操作" in admin_client.page("/campaigns").text


def test_cancelling_a_message_asks_first(admin_client):
    admin_client.page("/send")
    admin_client.post("/send", {"mode": "single", "to": "13800138000", "text": "您好", "category": "service"})
    message = Message.get()
    admin_client.page(f"/history/{message.id}")
    ask = admin_client.post(f"/history/{message.id}/cancel")
    assert ask.status == 200 and "取消发往 +8613800138000 的短信？" in ask.text
    assert Message.get_by_id(message.id).state == "queued"
    assert admin_client.post(f"/history/{message.id}/cancel", {"confirmed": "1"}).status == 303
    assert Message.get_by_id(message.id).state == "cancelled"


def test_a_template_to_numbers_the_box_does_not_know_greets_them_as_customer(admin_client):
    Customer.create(name="林一", gender="F", mobile="13800138001")
    admin_client.page("/send")
    form = {"mode": "single", "to": "13800138001, 13800138009", "template": "birthday", "category": "marketing"}
    assert admin_client.post("/send", form).status == 200  # the confirmation
    assert admin_client.post("/send", {**form, "confirmed": "1"}).status == 303
    texts = {m.to_number: m.text for m in Message.select()}
    assert "林女士" in texts["+8613800138001"] and "客户" in texts["+8613800138009"]


def test_policy_facts_come_from_each_customers_own_policy(admin_client, web_config):
    product = Product.create(code="A101", name="安康终身寿险")
    for i, (name, due) in enumerate((("林一", datetime.date(2027, 1, 5)), ("陈二", datetime.date(2027, 2, 8)))):
        holder = Customer.create(name=name, gender="F", mobile=f"+86138001380{i}1")
        Policy.create(policy_no=f"P{i}", product=product, holder=holder, premium=500 + i, next_due_date=due)
    group = ContactGroup.create(name="安康客户", kind="customer", rule="product", rule_value="A101")
    page = admin_client.page("/send?template=renewal_due").text
    assert 'name="var_policy_no"' not in page and 'name="var_due_date"' not in page  # not asked
    assert "保单号" in re.search(r'id="auto-fields">(.*?)</p>', page, re.DOTALL).group(1)
    form = {"mode": "group", "group": str(group.id), "template": "renewal_due", "category": "service"}
    assert admin_client.post("/send", form).status == 200
    assert admin_client.post("/send", {**form, "confirmed": "1"}).status == 303
    texts = sorted(m.text for m in Message.select())
    assert "P0" in texts[0] and "2027年1月5日" in texts[0] and "500.00" in texts[0]
    assert "P1" in texts[1] and "2027年2月8日" in texts[1]
    staff = staff_group()  # no policies: said in the page's language, nothing queued
    resp = admin_client.post("/send", {**form, "group": str(staff.id)})
    assert resp.status == 400 and "部分收件人没有此项" in resp.text and Message.select().count() == 2
