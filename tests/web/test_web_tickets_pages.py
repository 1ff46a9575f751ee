"""The tickets on the admin page against a real server: the list's filters (the same rows
as the API's), a ticket's page (history in Chinese, the source SMS, the customer's other
tickets, calls and messages, masked for auditors), every step as a form (closing and
returning ask first), refusals and bad input said in Chinese with nothing changed, and
opening a ticket from the page (source web)."""
import datetime
import re
import urllib.parse

import pytest
from web_support import Client, make_user

from appliance import clock
from appliance.ivr import tickets
from appliance.ivr.models import Call
from appliance.models import AuditLog
from appliance.sms.models import InboundMessage, Message
from appliance.tickets.models import Department, Ticket, TicketEvent


@pytest.fixture
def auditor(server):
    make_user("audrey", "auditor")
    c = Client(server)
    assert c.sign_in("audrey").status == 303
    return c


@pytest.fixture
def desk(web_db):
    return Department.create(name="客户服务部")


def listed(client, query=""):
    html = client.page("/tickets" + urllib.parse.quote(query, safe="?=&")).text
    return re.findall(r'<tr data-ticket="(\d+)">', html)


def flash(html):
    match = re.search(r'<p class="flash (\w+)"[^>]*>([^<]*)</p>', html)
    return match.groups() if match else None


def state(ticket):
    row = Ticket.get_by_id(ticket.id)
    return row.status, row.department_id, row.assignee, row.resolution, TicketEvent.select().count()


def test_the_list_filters_as_the_api_does(admin_client, desk):
    day = datetime.datetime(2026, 11, 20, 2, 0)
    old = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢", now=day)
    new = tickets.open_ticket("callback", "ivr", number="13900139001", now=day + datetime.timedelta(days=3))
    Ticket.update(due_at=clock.now() - datetime.timedelta(hours=1)).where(Ticket.id == old.id).execute()
    Ticket.update(department=desk, due_at=clock.now() + datetime.timedelta(hours=1)).where(
        Ticket.id == new.id).execute()
    assert listed(admin_client) == [str(new.id), str(old.id)]
    assert listed(admin_client, "?kind=complaint") == [str(old.id)]
    assert listed(admin_client, "?source=ivr") == [str(new.id)]
    assert listed(admin_client, f"?department={desk.id}") == [str(new.id)]
    assert listed(admin_client, "?overdue=1") == [str(old.id)]
    assert listed(admin_client, "?number=8000") == [str(old.id)]
    assert listed(admin_client, f"?number={new.number}") == [str(new.id)]
    assert listed(admin_client, "?since=2026-11-21&until=2026-11-30") == [str(new.id)]
    html = admin_client.page("/tickets?overdue=1").text
    assert "已超时" in html and "投诉" in html and "短信" in html and ">sms<" not in html
    bad = admin_client.get("/tickets?number=abc")
    assert bad.status == 400 and "输入有误" in bad.text and "number" in bad.text


def test_a_tickets_page_shows_its_history_and_the_customers_dealings(admin_client, auditor, desk):
    sms = InboundMessage.create(from_number="+8613800138000", text="我要投诉理赔太慢")
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="我要投诉理赔太慢",
                                 message_id=sms.id)
    other = tickets.open_ticket("callback", "ivr", number="13800138000")
    stranger = tickets.open_ticket("callback", "ivr", number="13900139000")
    Call.create(caller_id="13800138000", outcome="completed", started_at=clock.now())
    Message.create(to_number="+8613800138000", text="您的理赔已受理")
    html = admin_client.page(f"/tickets/{ticket.id}").text
    assert f"工单 {ticket.number}" in html and "来自收到的短信" in html
    assert f'href="/tickets/{other.id}"' in html and f'href="/tickets/{stranger.id}"' not in html
    assert "您的理赔已受理" in html and "已完成" in html  # the sent message, the call's outcome
    assert "+8613800138000" in html
    masked = auditor.page(f"/tickets/{ticket.id}").text
    assert "+86138****8000" in masked and "+8613800138000" not in masked
    assert 'id="ticket-actions"' not in masked  # auditors read only
    assert auditor.get("/tickets/999999").status == 404


def test_every_step_from_the_page(admin_client, desk):
    make_user("li", "operator")
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    page = f"/tickets/{ticket.id}"
    html = admin_client.page(page).text
    assert 'id="ticket-assign"' in html and 'id="ticket-close"' not in html
    post = lambda step, **form: admin_client.post(f"{page}/{step}", form)
    assert post("assign", department=str(desk.id), assignee="li", text="请跟进").status == 303
    assert post("start").status == 303
    assert post("answer", text="已加急处理").status == 303
    # Returning and closing ask first, on a page of their own.
    html = admin_client.page(page).text
    assert f'href="{page}/confirm/return"' in html and f'href="{page}/confirm/close"' in html
    confirm = admin_client.page(f"{page}/confirm/return").text
    assert "确定把答复退回部门重新处理" in confirm and 'id="confirm-yes"' in confirm
    assert Ticket.get_by_id(ticket.id).status == "answered"  # asking changed nothing
    assert post("return", text="客户说仍未到账").status == 303
    assert post("answer", text="已到账").status == 303
    assert "确定关闭此工单" in admin_client.page(f"{page}/confirm/close").text
    assert post("close").status == 303
    assert post("reopen", text="客户再次来电").status == 303
    assert post("note", text="等财务回复").status == 303
    assert Ticket.get_by_id(ticket.id).status == "assigned"
    html = admin_client.page(page).text
    rows = re.findall(r'<tr data-action="(\w+)">', html)
    assert rows[1:] == ["assigned", "started", "answered", "notified", "returned", "answered", "notified",
                        "closed", "reopened", "noted"]
    for words in ("已分派", "开始处理", "已答复", "已退回重办", "已关闭（已告知客户）", "已重新打开", "备注",
                  "客户说仍未到账", "root", "客户服务部"):
        assert words in html, words
    assert AuditLog.select().where(AuditLog.action == "ticket.return").count() == 1


def test_refusals_and_bad_input_are_said_in_chinese_and_change_nothing(admin_client, desk):
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000")
    page = f"/tickets/{ticket.id}"
    admin_client.page(page)
    before = state(ticket)
    for step, form, words in (("close", {}, "状态："), ("answer", {"text": " "}, "内容："),
                              ("assign", {"department": "财务部"}, "部门：")):
        resp = admin_client.post(f"{page}/{step}", form)
        assert resp.status == 303 and resp.getheader("Location") == page
        kind, text = flash(admin_client.page(page).text)
        assert kind == "error" and text.startswith("输入有误") and words in text, text
        assert state(ticket) == before
    assert admin_client.post(f"{page}/explode", {}).status == 303 and state(ticket) == before


def test_open_a_ticket_from_the_page(admin_client, auditor):
    assert 'id="ticket-new"' not in auditor.page("/tickets").text
    admin_client.page("/tickets")
    bad = admin_client.post("/tickets", {"kind": "complaint", "caller": "12345", "text": "保单未寄到"})
    assert bad.status == 400 and "输入有误" in bad.text and "caller" in bad.text
    assert "保单未寄到" in bad.text and Ticket.select().count() == 0  # what was typed stays
    assert "请选择类别" in admin_client.post("/tickets", {"kind": "", "caller": "13800138000"}).text
    made = admin_client.post("/tickets", {"kind": "inquiry", "caller": "138 0013 8000", "text": "保单未寄到"})
    ticket = Ticket.get()
    assert made.status == 303 and made.getheader("Location") == f"/tickets/{ticket.id}"
    assert (ticket.source, ticket.kind, ticket.caller) == ("web", "inquiry", "+8613800138000")
    assert ticket.text == "保单未寄到"
    html = admin_client.page(f"/tickets/{ticket.id}").text
    assert f"工单 {ticket.number} 已创建" in html and "管理页面" in html


def test_a_tickets_page_plays_its_recording(auditor, web_config, web_db):
    import wave
    folder = web_config.data_dir / "recordings" / "2026-11-30"
    folder.mkdir(parents=True)
    path = folder / "call9-101500.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\x01\x00" * 8000)
    ticket = tickets.open_ticket("complaint", "ivr", number="13900139000", recording=str(path))
    gone = tickets.open_ticket("complaint", "ivr", number="13900139000", recording=str(folder / "gone.wav"))
    html = auditor.page(f"/tickets/{ticket.id}").text
    assert f'src="/tickets/{ticket.id}/recording.wav"' in html and "语音导航" in html
    assert auditor.get(f"/tickets/{ticket.id}/recording.wav").text.startswith("RIFF")
    assert "文件已不在" in auditor.page(f"/tickets/{gone.id}").text
