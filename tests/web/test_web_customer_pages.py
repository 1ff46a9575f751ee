"""Customers on the admin page over HTTP: adding one (errors in the page's language
naming the field, nothing saved), finding customers by the last 4 digits of a mobile
(any of their phones) or of an ID number, and one customer's page with their policies,
messages both ways, calls, tickets and voice call attempts."""
import datetime
import html
import re
import urllib.parse

from web_support import Client, make_user

from appliance.db import database
from appliance.ivr.models import Call
from appliance.models import AuditLog, Customer, Policy, Product
from appliance.sms.models import InboundMessage, Message
from appliance.tickets.models import Ticket
from appliance.voice.models import CallAttempt, VoiceCampaign

ID_NUMBER = "11010519491231002X"  # valid check digit; born 1949-12-31, female


def form(**values):
    return {"name": "", "mobile": "", "id_number": "", "customer_no": "", "gender": "", "region": "",
            "language": "zh", **values}


def names_found(client, term):
    page = client.page("/customers?" + urllib.parse.urlencode({"q": term})).text
    table = page[page.index('id="customers"'):]
    return sorted(html.unescape(n) for n in re.findall(r'<a href="/customers/\d+">([^<]+)</a>', table))


def test_add_a_customer_then_find_them_by_the_last_4_digits(admin_client):
    admin_client.page("/customers/new")
    resp = admin_client.post("/customers/new", form(name="王芳", mobile="138 0013 8000", id_number=ID_NUMBER.lower(),
                                                    customer_no="C100", region="浦东", opt_out="1"))
    c = Customer.get(Customer.name == "王芳")
    assert resp.status == 303 and resp.getheader("Location") == f"/customers/{c.id}"
    assert (c.mobile, c.id_number, str(c.birth_date), c.gender, c.opt_out) == (
        "+8613800138000", ID_NUMBER, "1949-12-31", "F", True)
    assert "已添加客户 王芳。" in admin_client.page(f"/customers/{c.id}").text
    audit = AuditLog.get(AuditLog.action == "customer.create")
    assert audit.target == f"customer:{c.id}" and "13800138000" not in audit.detail and ID_NUMBER not in audit.detail

    Customer.create(name="李雷", mobile="13900139000", other_phones="13700008000")
    Customer.create(name="韩梅", mobile="13600136000", id_number="110105198001011000")
    assert names_found(admin_client, "8000") == ["李雷", "王芳"]  # a mobile and another phone
    assert names_found(admin_client, "9000") == ["李雷"]
    assert names_found(admin_client, "002X") == names_found(admin_client, "002x") == ["王芳"]
    assert names_found(admin_client, "1000") == ["韩梅"]
    assert names_found(admin_client, "231002X") == []  # 7 characters: not a suffix search
    assert names_found(admin_client, "C100") == ["王芳"]
    assert names_found(admin_client, "13900139000") == ["李雷"]
    assert names_found(admin_client, "137 0000 8000") == ["李雷"]  # found through the phone index


def test_the_suffix_search_reads_the_phone_index_not_every_customer(web_db):
    from web.pages.customers import search_customers
    sql, params = search_customers("8000").order_by(Customer.id.desc()).limit(51).sql()
    plan = " | ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    # customer (t1) is read by rowid for the ids found, never scanned row by row
    assert "SEARCH t1 USING INTEGER PRIMARY KEY" in plan and not re.search(r"SCAN t1(?! USING COVERING INDEX)", plan), plan


def test_a_refused_field_is_named_in_chinese_and_nothing_is_saved(admin_client):
    Customer.create(name="张三", customer_no="C1", id_number=ID_NUMBER)
    admin_client.page("/customers/new")
    cases = [(form(mobile="13800138000"), "姓名：请填写客户姓名。"),
             (form(name="李四", mobile="1380013"), "手机号：1380013 不是有效的手机号码。"),
             (form(name="李四", id_number="110105194912310022"), "身份证号：110105194912310022 不是有效的 18 位身份证号码。"),
             (form(name="李四", customer_no="C1"), "客户号：C1 已属于另一位客户。"),
             (form(name="李四", id_number=ID_NUMBER), "身份证号：已有另一位客户使用此号码。"),
             (form(name="李四", language="fr"), "语言：请选择中文或英文。")]
    for values, said in cases:
        resp = admin_client.post("/customers/new", values)
        assert resp.status == 400 and said in html.unescape(resp.text), (values, resp.text[-600:])
        assert f'value="{values["mobile"]}"' in resp.text  # the form as typed
    assert [c.name for c in Customer.select()] == ["张三"]
    assert not AuditLog.select().where(AuditLog.action == "customer.create").exists()
    admin_client.get("/lang/en?next=/customers/new")
    resp = admin_client.post("/customers/new", form(name="Li", mobile="1380013"))
    assert resp.status == 400 and "Mobile: 1380013 is not a valid mobile number." in resp.text


def test_auditors_may_not_add_customers(server, admin_client):
    make_user("audrey", "auditor")
    auditor = Client(server)
    auditor.sign_in("audrey")
    assert 'href="/customers/new"' not in auditor.page("/customers").text
    assert auditor.get("/customers/new").status == 403
    assert auditor.post("/customers/new", form(name="王五")).status == 403
    assert 'href="/customers/new"' in admin_client.page("/customers").text


def test_one_customers_page_shows_their_policies_messages_calls_tickets_and_voice_attempts(server, admin_client):
    c = Customer.create(name="王芳", mobile="13800138000", id_number=ID_NUMBER)
    other = Customer.create(name="李雷", mobile="13900139000")
    product = Product.create(code="A1", name="安康寿险")
    Policy.create(policy_no="P-77", product=product, holder=c, premium=1200, status="lapsed")
    Message.create(to_number="+8613800138000", text="您的保费已到期", state="delivered",
                   created_at=datetime.datetime(2026, 11, 1, 9))
    Message.create(to_number="+8613900139000", text="别人的短信", customer=other)
    InboundMessage.create(from_number="+8613800138000", text="我想退保", customer=c,
                          received_at=datetime.datetime(2026, 11, 2, 9))
    Call.create(caller_id="+8613800138000", customer=c, outcome="caller_hung_up")
    ticket = Ticket.create(number="2611300001", kind="complaint", source="sms", caller="+8613800138000", customer=c)
    Ticket.create(number="2611300002", kind="complaint", source="sms", caller="+8613900139000", customer=other)
    campaign = VoiceCampaign.create(name="续期提醒")
    CallAttempt.create(campaign=campaign, number="+8613800138000", customer=c, state="done", result="confirmed")

    page = html.unescape(admin_client.page(f"/customers/{c.id}").text)
    section = {name: page[page.index(f'id="customer-{name}"'):].split("</table>")[0]
               for name in ("policies", "messages", "calls", "tickets", "attempts")}
    assert "P-77" in section["policies"] and "失效" in section["policies"]
    assert "您的保费已到期" in section["messages"] and "我想退保" in section["messages"]
    assert "别人的短信" not in section["messages"] and "已送达" in section["messages"]
    assert re.findall(r'data-direction="(in|out)"', section["messages"]) == ["in", "out"]  # newest first
    assert "客户发来" in section["messages"] and "发给客户" in section["messages"]
    assert "来电者挂断" in section["calls"]
    assert f'href="/tickets/{ticket.id}"' in section["tickets"] and "2611300002" not in section["tickets"]
    assert "投诉" in section["tickets"] and "complaint" not in section["tickets"]
    assert "续期提醒" in section["attempts"] and "已确认" in section["attempts"]
    assert ID_NUMBER in page  # admins see ID numbers

    make_user("li", "operator")
    operator = Client(server)
    operator.sign_in("li")
    seen = operator.page(f"/customers/{c.id}").text
    assert ID_NUMBER not in seen and "13800138000" in seen  # operators see mobiles, not ID numbers
