"""The inbox over HTTP: a sender's conversation (their messages and our replies in
order), the link to the ticket a message opened, deleting only after a page that asks,
and the inbox and the message history as CSV (every page of rows, the page's filters,
numbers masked for roles that do not see mobiles, Chinese headers and states)."""
import csv
import datetime
import html
import io
import re

from web_support import Client, make_user

from appliance.services.models import InboundRoute
from appliance.sms.models import InboundMessage, Message
from appliance.tickets.models import Ticket

T0 = datetime.datetime(2026, 11, 30, 1, 0)


def at(minutes):
    return T0 + datetime.timedelta(minutes=minutes)


def conversation(client, message_id):
    page = html.unescape(client.page(f"/inbox/{message_id}").text)
    block = page[page.index('id="conversation"'):page.index("</ol>")]
    return re.findall(r'data-direction="(in|out)">\s*<div class="bubble">([^<]*)</div>', block)


def test_a_conversation_shows_their_messages_and_our_replies_in_order(admin_client):
    first = InboundMessage.create(from_number="+8613800138000", text="保单何时到期？", received_at=at(0))
    Message.create(to_number="+8613800138000", text="2027年1月1日到期。", created_at=at(5), state="delivered",
                   source="inbox", created_by="root")
    InboundMessage.create(from_number="+8613900139000", text="别人的短信", received_at=at(6))
    Message.create(to_number="+8613900139000", text="给别人的回复", created_at=at(7))
    last = InboundMessage.create(from_number="+8613800138000", text="谢谢", received_at=at(9))
    InboundMessage.create(from_number="+8613800138000", text="已删除的", received_at=at(8), state="deleted")
    assert conversation(admin_client, first.id) == conversation(admin_client, last.id) == [
        ("in", "保单何时到期？"), ("out", "2027年1月1日到期。"), ("in", "谢谢")]
    page = admin_client.page(f"/inbox/{last.id}").text
    assert "已送达" in page and "<h1>对话</h1>" in page and "· root" in page


def test_a_message_that_opened_a_ticket_links_to_it(admin_client):
    message = InboundMessage.create(from_number="+8613800138000", text="投诉：理赔太慢")
    ticket = Ticket.create(number="2611300007", kind="complaint", source="sms", caller="+8613800138000",
                           message_id=message.id)
    InboundRoute.create(inbound=message, action="ticket", detail=ticket.number)
    plain = InboundMessage.create(from_number="+8613900139000", text="你好")
    InboundRoute.create(inbound=plain, action="ignored")
    link = f'href="/tickets/{ticket.id}" class="ticket-link">工单 2611300007</a>'
    listing = admin_client.page("/inbox").text
    assert listing.count('class="ticket-link"') == 1 and link in listing
    assert link in admin_client.page(f"/inbox/{message.id}").text
    assert "ticket-link" not in admin_client.page(f"/inbox/{plain.id}").text


def test_delete_asks_first_on_a_page_of_its_own(admin_client):
    message = InboundMessage.create(from_number="+8613800138000", text="请删除我")
    page = admin_client.page(f"/inbox/{message.id}").text
    assert f'<a class="button danger" href="/inbox/{message.id}/delete" id="delete">' in page
    assert f'action="/inbox/{message.id}/delete"' not in page  # no form that deletes at once
    confirm = admin_client.page(f"/inbox/{message.id}/delete")
    assert confirm.status == 200 and "删除这条短信？" in confirm.text and "请删除我" in confirm.text
    assert f'action="/inbox/{message.id}/delete"' in confirm.text
    assert InboundMessage.get_by_id(message.id).state == "new"  # asking changed nothing
    assert admin_client.post(f"/inbox/{message.id}/delete").status == 303
    assert InboundMessage.get_by_id(message.id).state == "deleted"
    assert admin_client.get(f"/inbox/{message.id}/delete").status == 404


def rows_of(resp):
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/csv")
    assert resp.text.startswith("\ufeff")  # for Excel
    return list(csv.reader(io.StringIO(resp.text[1:])))


def test_the_inbox_as_csv_every_page_of_the_chosen_view(admin_client, monkeypatch):
    from web.pages import message_csv
    monkeypatch.setattr(message_csv, "CHUNK", 2)  # several chunks of the keyset paging
    for i in range(5):
        InboundMessage.create(from_number=f"+861380013800{i}", text=f"第{i}条", received_at=at(i),
                              state="handled" if i == 4 else "new")
    rows = rows_of(admin_client.get("/inbox.csv?view=new"))
    assert rows[0] == ["编号", "收到时间", "来自", "客户", "内容", "状态", "处理人", "工单"]
    assert [r[4] for r in rows[1:]] == ["第3条", "第2条", "第1条", "第0条"]
    assert rows[1][2] == "+8613800138003" and rows[1][5] == "未处理" and rows[1][1] == "2026-11-30 01:03:00"
    assert [r[4] for r in rows_of(admin_client.get("/inbox.csv?view=all"))[1:]] == [f"第{i}条" for i in range(4, -1, -1)]
    assert 'href="/inbox.csv?view=handled"' in admin_client.page("/inbox?view=handled").text


def test_the_message_history_as_csv_with_the_pages_filters_masked_for_auditors(server, admin_client, monkeypatch):
    from web.pages import message_csv
    monkeypatch.setattr(message_csv, "CHUNK", 2)
    for i in range(5):
        Message.create(to_number=f"+861390013900{i}", text=f"通知{i}", created_at=at(i), created_by="root",
                       state="delivered" if i % 2 else "failed")
    Message.create(to_number="+8613900139009", text="自动", created_at=at(1), source="autoreply",
                   created_by="autoreply", state="failed")
    rows = rows_of(admin_client.get("/history.csv?state=failed"))
    assert rows[0][:6] == ["编号", "创建时间", "收件人", "内容", "条数", "状态"]
    assert rows.pop(1)[7] == "自动回复" and rows[1][7] == "root"  # what made it, never a raw code
    assert rows_of(admin_client.get("/history.csv?state=queued")) == [rows[0]]  # none: the header alone
    assert [(r[3], r[5]) for r in rows[1:]] == [("通知4", "失败"), ("通知2", "失败"), ("通知0", "失败")]
    assert rows[1][2] == "+8613900139004"
    page = admin_client.page("/history?state=failed").text
    assert 'href="/history.csv?state=failed' in page and "自动回复" in page and "autoreply" not in page
    make_user("audrey", "auditor")
    auditor = Client(server)
    auditor.sign_in("audrey")
    masked = rows_of(auditor.get("/history.csv"))
    assert len(masked) == 7 and all("13900139" not in r[2] for r in masked[1:])
    assert auditor.get("/inbox.csv").status == 403  # auditors do not read the inbox
    assert admin_client.get("/history.csv?since=yesterday").status == 400
