"""A ticket from every source, each opened through its real entry point and followed through
the whole loop on one box (one database, one FastAGI server, one web server for the module):

    an SMS complaint       appliance.services.inbound.route_inbound, as smsd hands it over
    an IVR voice message   menu 4, recorded, through the fake Asterisk peer
    a phone application    menu 5 then 2, through the fake Asterisk peer
    an agent report        menu 2, a badge, then 2 (report the visit), through the fake peer
    a callback             a voice notice's key 2 (appliance.voice.notices.callback)
    a return visit's "no"  appliance.voice.surveys.record_answer
    an admin entry         the tickets page's new-ticket form
    the API                POST /api/v1/tickets

and then each: assigned to a department and a person, started, answered (the customer's
SMS), returned for re-handling, answered again (a second SMS), closed, reopened (due again),
escalated to the department head on an injected clock (not before its due time, then once),
and asked about by SMS ("GD <number>") and in the IVR (key 6) from the customer's phone.
"""
import datetime
import re
import sys
from pathlib import Path

import pytest
from peer_support import free_port

from agi import prompts
from agi.asterisk_peer import FakeAsterisk, Step, hang_up, press
from agi.server import FastAGIServer, prepare
from appliance import db as dbmod
from appliance import tokens, users
from appliance.config import Config, ensure_data_dir
from appliance.idcard import make_id_number
from appliance.models import AdminUser, Customer, Policy, Product, Staff
from appliance.services import inbound
from appliance.sms.models import InboundMessage, Message
from appliance.tickets import departments, escalation, lifecycle
from appliance.tickets.models import Ticket, TicketQuery
from appliance.voice import campaigns, notices, surveys
from appliance.voice.models import CallAttempt
from web.app import build_app
from web.server import make_server, serve_in_thread

sys.path.insert(0, str(Path(__file__).parents[2] / "web"))  # the web tests' HTTP client
from web_support import PASSWORD, Client

HEAD = "+8613700000000"
DESK = "客户服务部"


class Box:
    def __init__(self, config, agi, web):
        self.config, self.agi, self.web = config, agi, web

    def dial(self, steps, callerid):
        return FakeAsterisk(self.agi.address, steps, callerid=callerid).run()


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    root = tmp_path_factory.mktemp("every-source")
    config = Config({"data_dir": str(root / "data"), "agi.business_hours": "00:00-23:59", "agi.business_days": "1-7",
                     "web.listen": f"127.0.0.1:{free_port()}", "web.threads": 4})
    ensure_data_dir(config)
    prompts.build(config)  # the fake Asterisk plays only files that exist
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    Staff.create(badge_no="H001", name="李主任", mobile=HEAD)
    Staff.create(badge_no="35019001", name="赵业务", status="active")
    departments.add(DESK, "H001")
    user = users.create_user("root", PASSWORD, "admin", actor="test", source="test")
    AdminUser.update(must_change_password=False).where(AdminUser.id == user.id).execute()
    prepare(config)
    agi = FastAGIServer(config, address=("127.0.0.1", 0))
    agi.start()
    web = make_server(config, build_app(config))
    serve_in_thread(web)
    yield Box(config, agi, f"http://{config['web.listen']}")
    web.stop()
    agi.stop(grace=2)
    db.close()


# --- the entry points: each opens a ticket for `mobile` and returns it ---------------------------

def by_sms(box, mobile):
    message = InboundMessage.create(from_number=mobile, text="理赔太慢了，我要投诉")
    route = inbound.route_inbound(message, box.config)
    ticket = Ticket.get(Ticket.message_id == message.id)
    assert route.action == "ticket" and ticket.number in Message.get_by_id(route.reply_id).text
    return ticket


def by_voice_message(box, mobile):
    peer = box.dial([press("menu_main", "4"), Step("record", record_seconds=1, record_end="dtmf"),
                     hang_up("menu_main")], callerid=mobile[3:])
    ticket = Ticket.get(Ticket.caller == mobile)
    assert ticket.recording == peer.recordings[0] and Path(ticket.recording).exists()
    return ticket


def by_phone_application(box, mobile):
    box.dial([press("menu_main", "5"), press("menu_service_request", "2"), press("phone_application_confirm", "1"),
              hang_up("menu_main")], callerid=mobile[3:])
    return Ticket.get(Ticket.caller == mobile)


def by_agent_report(box, mobile):
    box.dial([press("menu_main", "2"), press("agent_enter_badge", "35019001#"), press("agent_options", "2"),
              press("agent_options", "*"), hang_up("menu_main")], callerid=mobile[3:])
    ticket = Ticket.get(Ticket.caller == mobile)
    assert ticket.staff.badge_no == "35019001"
    return ticket


def by_callback(box, mobile):
    campaign = campaigns.create_campaign("到期提醒", [mobile], text="您的保单即将到期，请及时缴费。")
    return notices.callback(CallAttempt.get(CallAttempt.campaign == campaign.id).id)


def by_return_visit(box, mobile):
    holder = Customer.create(name="陈静", gender="F", mobile=mobile, customer_no="C90001",
                             id_number=make_id_number("350102", datetime.date(1985, 3, 9), 2))
    Policy.create(policy_no="886099000001", product=Product.create(code="RV1", name="康宁重疾险"), holder=holder,
                  premium="3000.00")
    campaign = campaigns.create_campaign("新契约回访", kind="return_visit", customers=[{"customer": holder.id}],
                                         config=box.config)
    attempt = CallAttempt.get(CallAttempt.campaign == campaign.id)
    assert surveys.record_answer(attempt.id, 0, "yes") is None
    return surveys.record_answer(attempt.id, 1, "no")  # no contract received


def by_admin_page(box, mobile):
    desk = Client(box.web)
    assert desk.sign_in("root").status == 303
    desk.page("/tickets")
    resp = desk.post("/tickets", {"kind": "inquiry", "caller": mobile[3:], "text": "客户到柜面咨询退保"})
    assert resp.status == 303
    return Ticket.get_by_id(int(re.search(r"/tickets/(\d+)$", resp.getheader("Location")).group(1)))


def by_api(box, mobile):
    if not hasattr(box, "token"):
        box.token = tokens.create_token("core-system", "operator")[1]
    resp = Client(box.web).api("POST", "/api/v1/tickets", box.token,
                               {"kind": "complaint", "caller": mobile, "text": "核心系统转来的投诉"})
    assert resp.status == 201, resp.text
    return Ticket.get(Ticket.number == resp.json["number"])


SOURCES = {  # entry point, the ticket's (kind, source), the customer's phone
    "sms": (by_sms, ("complaint", "sms"), "+8613900000001"),
    "voice-message": (by_voice_message, ("complaint", "ivr"), "+8613900000002"),
    "phone-application": (by_phone_application, ("phone-application", "ivr"), "+8613900000003"),
    "agent-report": (by_agent_report, ("agent-report", "ivr"), "+8613900000004"),
    "callback": (by_callback, ("callback", "voice"), "+8613900000005"),
    "return-visit": (by_return_visit, ("return-visit", "voice"), "+8613900000006"),
    "admin-page": (by_admin_page, ("inquiry", "web"), "+8613900000007"),
    "api": (by_api, ("complaint", "api"), "+8613900000008"),
}


# --- the loop ------------------------------------------------------------------------------------

def texts_to(number, source="tickets"):
    """The SMS queued to `number` by the tickets (answers, reminders; not the replies to GD)."""
    return [m.text for m in Message.select().where(Message.to_number == number, Message.source == source)
            .order_by(Message.id)]


def ask_by_sms(box, mobile, number):
    message = InboundMessage.create(from_number=mobile, text=f"GD {number}")
    route = inbound.route_inbound(message, box.config)
    assert route.action == "ticket_status" and route.detail == number
    return Message.get_by_id(route.reply_id).text


@pytest.mark.parametrize("name", SOURCES)
def test_a_ticket_from_every_source_goes_round_the_whole_loop(box, name):
    opener, (kind, source), mobile = SOURCES[name]
    ticket = opener(box, mobile)
    assert (ticket.kind, ticket.source, ticket.caller, ticket.status) == (kind, source, mobile, "new")
    assert re.fullmatch(r"\d{10}", ticket.number) and ticket.due_at is not None
    config, before = box.config, len(texts_to(mobile))

    assert lifecycle.assign(ticket, by="前台", department=DESK, assignee="root").status == "assigned"
    assert lifecycle.start(ticket, by="root").status == "in_progress"
    first = lifecycle.answer(ticket, by="root", text="已核实，三日内办结。", config=config)
    assert first.status == "answered" and first.customer_told_at is not None
    assert "三日内办结" in ask_by_sms(box, mobile, ticket.number)  # answered: the answer is told
    heard = box.dial([press("menu_main", "6"), press("ticket_enter_number", ticket.number + "#"),
                      press("after_info", "*"), hang_up("menu_main")], callerid=mobile[3:]).heard
    assert "ticket_state_answered" in heard and "ticket_answer_is" in heard  # and in the IVR, key 6
    assert lifecycle.return_for_rework(ticket, by="前台", text="客户仍有疑问").status == "returned"
    lifecycle.answer(ticket, by="root", text="已电话回复客户并补发材料。", config=config)
    told = texts_to(mobile)[before:]
    assert len(told) == 2 and all(ticket.number in t for t in told)
    assert "三日内办结" in told[0] and "补发材料" in told[1]
    assert lifecycle.close(ticket, by="前台").status == "closed"
    reopened = lifecycle.reopen(ticket, by="前台", text="客户再次来电", config=config)
    assert reopened.status == "assigned" and reopened.due_at > first.answered_at  # due again

    due = reopened.due_at
    head_before = len(texts_to(HEAD))
    assert escalation.escalate(ticket.id, config, due - datetime.timedelta(minutes=1)) is None
    assert escalation.escalate(ticket.id, config, due + datetime.timedelta(minutes=1)) is not None
    assert escalation.escalate(ticket.id, config, due + datetime.timedelta(minutes=2)) is None  # once
    reminders = texts_to(HEAD)[head_before:]
    assert len(reminders) == 1 and ticket.number in reminders[0]

    reply = ask_by_sms(box, mobile, ticket.number)
    assert ticket.number in reply and "补发材料" not in reply  # reopened: being handled, no answer told
    queries = TicketQuery.select().where(TicketQuery.number == mobile).order_by(TicketQuery.id)
    assert [(q.channel, q.found, q.ticket_id) for q in queries] == [("sms", True, ticket.id), ("ivr", True, ticket.id),
                                                                  ("sms", True, ticket.id)]
    assert [e.action for e in lifecycle.history(ticket)] == [
        "opened", "assigned", "started", "answered", "notified", "returned", "answered", "notified", "closed",
        "reopened", "escalated"]
