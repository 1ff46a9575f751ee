"""The admin pages over HTTP against a real server: what each action changes in
the database, and that it is audited."""
import datetime
import json
import re

from web_support import Client

from appliance.ivr.menus import ensure_default_menu
from appliance.ivr.models import Call, MenuNode
from appliance.models import AdminUser, AuditLog, ContactGroup, Customer
from appliance.sms.models import InboundMessage, Message, MessagePart
from appliance.users import verify_password


def last_audit():
    return AuditLog.select().order_by(AuditLog.id.desc()).first()


def test_send_one_sms_queues_it_with_who_and_from_where(admin_client):
    admin_client.page("/send")
    resp = admin_client.post("/send", {"mode": "single", "to": "138 0013 8000", "text": "您好，保单已生效。",
                                       "category": "service"})
    assert resp.status == 303, re.findall(r"flash error[^<]*<", resp.text)
    message = Message.get()
    assert (message.to_number, message.text, message.source, message.created_by) == (
        "+8613800138000", "您好，保单已生效。", "web", "root")
    assert resp.getheader("Location") == f"/history/{message.id}"
    entry = last_audit()
    assert (entry.actor, entry.action, entry.source) == ("root", "sms.send", "127.0.0.1")
    assert "+86138****8000" in entry.detail and "+8613800138000" not in entry.detail
    assert "您好，保单已生效。" in admin_client.page(f"/history/{message.id}").text


def test_send_refuses_a_bad_number_naming_the_field(admin_client):
    admin_client.page("/send")
    resp = admin_client.post("/send", {"mode": "single", "to": "12345", "text": "hi", "category": "service"})
    assert resp.status == 400 and "发送给：“12345”不是有效的电话号码" in resp.text  # in Chinese, naming the field
    assert Message.select().count() == 0


def test_live_preview_counts_parts_and_cost(admin_client):
    admin_client.page("/send")
    text = "保" * 71  # one more than fits one UCS-2 part
    resp = admin_client.post("/send/preview", {"mode": "single", "to": "13800138000,13900139000", "text": text,
                                               "category": "service"})
    data = json.loads(resp.text)
    assert data["parts"] == 2 and data["encoding"] == "ucs2" and data["recipients"] == 2
    assert data["cost"] == "¥0.20"  # 2 numbers x 2 parts x 0.05
    assert Message.select().count() == 0  # a preview sends nothing


def test_send_to_a_group_queues_one_message_per_member(admin_client):
    for i, mobile in enumerate(("13800138001", "13800138002", "13800138003")):
        Customer.create(name=f"客户{i}", mobile=mobile, region="福州")
    group = ContactGroup.create(name="福州客户", kind="customer", rule="region", rule_value="福州")
    admin_client.page("/send")
    form = {"mode": "group", "group": str(group.id), "text": "{salutation}您好", "category": "service"}
    resp = admin_client.post("/send", form)
    assert resp.status == 200 and 'id="send-confirm"' in resp.text  # asks first
    assert Message.select().count() == 0
    resp = admin_client.post("/send", {**form, "confirmed": "1"})
    assert resp.status == 303, resp.text[:800]
    texts = sorted(m.text for m in Message.select())
    assert len(texts) == 3 and all(t.endswith("您好") for t in texts)


def test_inbox_reply_forward_handled_delete(admin_client):
    first = InboundMessage.create(from_number="+8613800138000", text="我的保单什么时候到期？")
    second = InboundMessage.create(from_number="+8613900139000", text="退订")
    admin_client.page(f"/inbox/{first.id}")
    resp = admin_client.post(f"/inbox/{first.id}/reply", {"text": "您的保单2027年到期。"})
    assert resp.status == 303
    reply = Message.get()
    assert reply.to_number == "+8613800138000" and reply.text == "您的保单2027年到期。"
    first = InboundMessage.get_by_id(first.id)
    assert first.state == "handled" and first.handled_by == "root"
    resp = admin_client.post(f"/inbox/{second.id}/forward", {"to": "13700137000"})
    assert resp.status == 303
    forwarded = Message.get(Message.to_number == "+8613700137000")
    assert "退订" in forwarded.text and forwarded.category == "internal"
    assert admin_client.post(f"/inbox/{second.id}/handled").status == 303
    assert admin_client.post(f"/inbox/{second.id}/delete").status == 303
    assert InboundMessage.get_by_id(second.id).state == "deleted"
    assert admin_client.get(f"/inbox/{second.id}").status == 404
    actions = [(a.action, a.actor, a.source) for a in AuditLog.select().where(AuditLog.action.startswith("inbox."))]
    assert [a[0] for a in actions] == ["inbox.reply", "inbox.forward", "inbox.handled", "inbox.deleted"]
    assert all(a[1:] == ("root", "127.0.0.1") for a in actions)


def test_lists_page_by_keyset_without_repeats(admin_client):
    now = datetime.datetime.now()
    Message.insert_many([{"to_number": "+8613800138000", "text": f"m{i}", "created_at": now,
                          "updated_at": now} for i in range(120)]).execute()
    seen, url = [], "/history"
    while url:
        html = admin_client.page(url).text
        seen += re.findall(r'<a href="/history/(\d+)">', html)
        match = re.search(r'<a href="([^"]+)" id="older">', html)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert len(seen) == 120 and len(set(seen)) == 120
    html = admin_client.page("/history?state=delivered").text
    assert "/history/" not in html.split('id="history"')[1].split("</table>")[0]


def test_customer_edit_is_audited_with_masked_numbers(admin_client):
    customer = Customer.create(name="张三", mobile="13800138000")
    admin_client.page(f"/customers/{customer.id}")
    resp = admin_client.post(f"/customers/{customer.id}", {"name": "张三丰", "mobile": "13900139000",
                                                           "language": "zh", "gender": "M", "region": "福州"})
    assert resp.status == 303
    customer = Customer.get_by_id(customer.id)
    assert (customer.name, customer.mobile, customer.region) == ("张三丰", "+8613900139000", "福州")
    entry = last_audit()
    assert entry.action == "customer.update" and "+86139****9000" in entry.detail
    assert "13900139000" not in entry.detail
    bad = admin_client.post(f"/customers/{customer.id}", {"name": "张三丰", "mobile": "123", "language": "zh"})
    assert bad.status == 400 and Customer.get_by_id(customer.id).mobile == "+8613900139000"


def test_ivr_node_edit_and_bad_input(admin_client):
    ensure_default_menu()
    node = MenuNode.get(MenuNode.name == "claim")
    admin_client.page(f"/ivr/{node.id}")
    form = {"title": "理赔进度查询", "prompt": "claim_intro", "action": "claim", "digit": "3",
            "timeout_ms": "8000", "retries": "2", "fallback": "operator", "position": "3", "enabled": "1"}
    assert admin_client.post(f"/ivr/{node.id}", form).status == 303
    node = MenuNode.get_by_id(node.id)
    assert (node.title, node.timeout_ms, node.retries, node.fallback) == ("理赔进度查询", 8000, 2, "operator")
    assert last_audit().action == "ivr.update" and "timeout_ms 5000 -> 8000" in last_audit().detail
    clash = admin_client.post(f"/ivr/{node.id}", {**form, "digit": "1"})  # 1 is the policy menu's key
    assert clash.status == 400 and "按键：按键 1 在本菜单中已被使用" in clash.text  # in the page's language
    assert MenuNode.get_by_id(node.id).digit == "3"


def test_import_with_a_bad_row_names_line_and_column(admin_client):
    admin_client.page("/import")
    csv_text = "客户号,姓名,手机号\nC001,张三,13800138000\nC002,李四,12345\n"
    boundary = "----appliance-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{admin_client.csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncustomers\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"客户.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{csv_text}\r\n--{boundary}--\r\n").encode()
    resp = admin_client.request("POST", "/import", body,
                                {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert resp.status == 400
    assert re.search(r'<td class="num">3</td><td>C \(手机号\)</td>', resp.text), resp.text[-1500:]
    assert Customer.select().count() == 0  # all or nothing


def test_admin_adds_a_user_with_a_one_time_password(admin_client, server):
    admin_client.page("/users")
    resp = admin_client.post("/users", {"username": "李操作员", "role": "operator"})
    password = re.search(r"<code>([^<]+)</code>", resp.text).group(1)
    user = AdminUser.get(AdminUser.username == "李操作员")
    assert user.must_change_password and verify_password(password, user.password_hash)
    assert password not in user.password_hash
    newcomer = Client(server)
    assert newcomer.sign_in("李操作员", password).getheader("Location") == "/password"


def test_api_lists_calls_masked_for_auditors(client, api_token):
    from appliance import tokens
    Call.create(caller_id="+8613800138000", outcome="completed")
    Call.create(caller_id="+8613900139000", outcome="transferred")
    resp = client.api("GET", "/api/v1/calls?limit=1", token=api_token)
    assert resp.status == 200 and [c["caller_id"] for c in resp.json["items"]] == ["+8613900139000"]
    older = client.api("GET", f"/api/v1/calls?limit=1&before={resp.json['next_before']}", token=api_token)
    assert [c["caller_id"] for c in older.json["items"]] == ["+8613800138000"]
    assert older.json["next_before"] is None
    _, auditor = tokens.create_token("auditor", "auditor")
    masked = client.api("GET", "/api/v1/calls?outcome=completed", token=auditor)
    assert [c["caller_id"] for c in masked.json["items"]] == ["+86138****8000"]


def test_dashboard_shows_queue_and_today(admin_client):
    now = datetime.datetime.now()
    Message.insert_many([{"to_number": "+8613800138000", "text": "x", "state": state, "created_at": now,
                          "updated_at": now} for state in ("queued", "queued", "delivered", "failed")]).execute()
    html = admin_client.page("/").text
    assert re.search(r'id="queue-depth"><b data-field="queue">2</b>', html)
    assert "smsd" in html  # no modem reported: an alarm says so
    assert MessagePart.select().count() == 0


class QueryCounter:
    """Counts SQL statements peewee runs (its DEBUG log), from every thread."""

    def __init__(self):
        import logging
        self.count = 0
        self.logger = logging.getLogger("peewee")
        counter = self

        class Handler(logging.Handler):
            def emit(self, record):
                counter.count += 1
        self.handler = Handler()

    def __enter__(self):
        self.level = self.logger.level
        self.logger.setLevel(10)
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)


def queries_for(client, path):
    client.get(path)  # warm: session slide, lazy imports
    with QueryCounter() as counter:
        assert client.get(path).status == 200
    return counter.count


def test_list_pages_make_the_same_few_queries_for_5_or_50_rows(admin_client):
    from appliance.models import Policy, Product
    product = Product.create(code="A1", name="寿险", kind="main")

    def add(n, start):
        now = datetime.datetime.now()
        for i in range(start, start + n):
            c = Customer.create(name=f"客户{i}", mobile=f"1380013{i:04d}")
            Policy.create(policy_no=f"P{i}", product=product, holder=c, premium=100)
            InboundMessage.create(from_number=c.mobile, text="查询", customer=c.id)
            Message.create(to_number=c.mobile, text="x", created_at=now, updated_at=now)
    add(5, 0)
    few = {p: queries_for(admin_client, p) for p in ("/history", "/inbox", "/customers", "/policies", "/audit", "/")}
    add(45, 5)
    many = {p: queries_for(admin_client, p) for p in few}
    assert few == many, (few, many)  # no query per row
    # A list page: a count, a page of rows, its joins. The dashboard sums its panels (modems, boxes,
    # capacity, alarms, queues): more queries, but as many for 5 rows as for 50.
    assert all(2 <= n <= (20 if p == "/" else 12) for p, n in many.items()), sorted(many.items())


def test_the_preview_of_an_empty_form_shows_no_error(admin_client):
    """Nothing typed yet is not a mistake: the live preview stays quiet until there is text."""
    admin_client.page("/send")
    data = json.loads(admin_client.post("/send/preview", {"mode": "single", "to": "", "text": ""}).text)
    assert data["error"] == "" and data["parts"] == 0
    data = json.loads(admin_client.post("/send/preview", {"mode": "single", "to": "12345", "text": "您好"}).text)
    assert data["error"].startswith("输入有误: ")  # a real mistake still shows
