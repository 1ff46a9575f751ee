"""Handing a ticket off from its page, against one real server that is its own peer (its
token named head-office), so both sides of a hand-off are on one box and one database: the
sender's page says where the ticket is and its number there, the received copy says where it
came from; the answer given there comes back as an update in words; a peer that is down is
said and the ticket waits; refusals are said in Chinese, nothing changed."""
import re

import pytest
from peer_support import free_port
from web_support import Client, make_user

from appliance import tokens
from appliance.ivr import tickets
from appliance.tickets import handoff
from appliance.tickets.models import Ticket, TicketHandoff
from web.app import build_app
from web.server import make_server, serve_in_thread


@pytest.fixture
def box(web_config, web_db):
    """(base URL, config): a server whose peers are itself (head-office) and a closed port (branch-b)."""
    _, secret = tokens.create_token("head-office", "operator")
    base = f"http://{web_config['web.listen']}"
    config = web_config.replace(**{"tickets.peers": [f"head-office={base}|{secret}",
                                                     f"branch-b=http://127.0.0.1:{free_port()}|apt_nobody"]})
    srv = make_server(config, build_app(config))
    serve_in_thread(srv)
    yield base, config
    srv.stop()


@pytest.fixture
def desk(box):
    make_user("root", "admin")
    c = Client(box[0])
    assert c.sign_in("root").status == 303
    return c


def flash(html):
    match = re.search(r'<p class="flash (\w+)"[^>]*>([^<]*)</p>', html)
    return match.groups() if match else None


def where(html):
    return [re.sub(r"\s+", " ", w).strip() for w in re.findall(r'<p class="meta" id="ticket-where"[^>]*>(.*?)</p>',
                                                              html, re.DOTALL)]


def test_a_ticket_handed_off_from_its_page_and_answered_there(desk, box):
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    html = desk.page(f"/tickets/{ticket.id}").text
    assert re.findall(r'<option value="([\w-]+)">\1</option>', html.split('id="form-handoff"')[1])[:2] == \
        ["branch-b", "head-office"]
    assert desk.post(f"/tickets/{ticket.id}/handoff", {"peer": "head-office", "text": "请总部处理"}).status == 303
    copy = Ticket.get(Ticket.source == "remote")
    html = desk.page(f"/tickets/{ticket.id}").text
    assert flash(html) == ("ok", f"已转交 head-office，对方工单号 {copy.number}。")
    assert where(html)[0].startswith("自 ") and f"由 head-office 处理（对方工单号 {copy.number}）" in where(html)[0]
    assert 'id="form-handoff"' not in html  # with a peer already: not offered again
    assert "已转交" in html and "→ head-office: 请总部处理" in html
    there = desk.page(f"/tickets/{copy.id}").text
    assert where(there) == [f"由 head-office 转来（对方工单号 {ticket.number}）；此处的处理进展会自动发回对方。"]
    assert 'id="form-handoff"' not in there
    # Answered there; the services loop sends it back; here it is answered, in words.
    assert desk.post(f"/tickets/{copy.id}/answer", {"text": "已加急处理"}).status == 303
    assert handoff.deliver(box[1]) == 1
    assert Ticket.get_by_id(ticket.id).status == "answered"
    html = desk.page(f"/tickets/{ticket.id}").text
    assert "对方的处理进展" in html and "已加急处理" in html and ">remote_update<" not in html


def test_a_peer_that_is_down_is_said_and_the_ticket_waits(desk):
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    desk.page(f"/tickets/{ticket.id}")
    assert desk.post(f"/tickets/{ticket.id}/handoff", {"peer": "branch-b"}).status == 303
    html = desk.page(f"/tickets/{ticket.id}").text
    assert flash(html) == ("ok", "已转交 branch-b；对方暂无响应，本机将继续重试发送。")
    assert where(html)[0].startswith("等待 branch-b 接收（已失败 1 次；最近一次：peer branch-b unreachable")
    assert TicketHandoff.get().delivered_at is None


def test_refusals_are_said_in_chinese_and_change_nothing(desk):
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    desk.page(f"/tickets/{ticket.id}")
    assert desk.post(f"/tickets/{ticket.id}/handoff", {"peer": "nowhere"}).status == 303
    assert flash(desk.page(f"/tickets/{ticket.id}").text) == (
        "error", "输入有误: peer：tickets.peers 中没有对端“nowhere”（已配置：head-office, branch-b）")
    Ticket.update(status="closed").where(Ticket.id == ticket.id).execute()
    html = desk.page(f"/tickets/{ticket.id}").text
    assert 'id="form-handoff"' not in html
    assert desk.post(f"/tickets/{ticket.id}/handoff", {"peer": "head-office"}).status == 303
    assert flash(desk.page(f"/tickets/{ticket.id}").text) == ("error", f"输入有误: 工单：工单 {ticket.number} 已办结")
    assert TicketHandoff.select().count() == 0 and Ticket.get_by_id(ticket.id).remote == ""
