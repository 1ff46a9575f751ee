"""The customer asks a ticket's state: who may hear which ticket, what they are told,
how wrong tries are limited, and the GD keyword answered by SMS (without a modem; the
modem simulator's end-to-end test is in tests/appliance/services/test_e2e.py)."""
import datetime

import pytest

from appliance import idcard
from appliance.config import Config
from appliance.ivr.tickets import open_ticket
from appliance.models import Customer
from appliance.services import inbound as inbound_router
from appliance.services.autoreply import match, set_keyword
from appliance.sms.models import InboundMessage, Message
from appliance.tickets import status_query
from appliance.tickets.models import Ticket, TicketQuery

NOW = datetime.datetime(2026, 11, 30, 10, 0)
MOBILE, OTHER_PHONE, STRANGER = "+8613800000011", "+8613800000099", "+8613900000777"


@pytest.fixture
def holder(database):
    return Customer.create(name="张伟", gender="M", mobile=MOBILE, other_phones=OTHER_PHONE,
                           id_number=idcard.make_id_number("350102", datetime.date(1980, 5, 17), 3))


def ticket_for(customer=None, number=MOBILE, **fields):
    ticket = open_ticket("complaint", "sms", number=number, customer=customer, text="理赔太慢", now=NOW)
    if fields:
        Ticket.update(**fields).where(Ticket.id == ticket.id).execute()
    return Ticket.get_by_id(ticket.id)


TRIES = Config()["tickets.query_tries_per_day"]


def ask(number, keyed, now=NOW):
    return status_query.ask(number, keyed, "sms", tries_per_day=TRIES, now=now)


def test_the_caller_and_the_customers_registered_mobile_may_hear_it(holder):
    from_the_mobile = ticket_for(holder)
    for_a_callback = ticket_for(None, number="+8613700000005")  # a number the caller keyed
    assert ask(MOBILE, from_the_mobile.number).ticket.id == from_the_mobile.id
    assert ask("13700000005", for_a_callback.number).ticket.id == for_a_callback.id  # as a caller ID comes
    from_a_landline = ticket_for(holder, number="+861088886666")
    assert ask(MOBILE, from_a_landline.number).ticket.id == from_a_landline.id  # the holder's registered mobile


def test_anyone_else_hears_what_a_wrong_number_hears(holder):
    ticket = ticket_for(holder)
    others = [ask(OTHER_PHONE, ticket.number),  # another phone on file: maybe a relative's
              ask(STRANGER, ticket.number), ask(STRANGER, "2611309999"), ask(STRANGER, "12ab"),
              ask("unknown", ticket.number), ask("", ticket.number)]
    assert all(a.ticket is None and not a.limited for a in others)
    assert TicketQuery.select().where(TicketQuery.found == True).count() == 0
    assert TicketQuery.select().count() == 6


def test_state_in_the_customers_words(holder):
    due = NOW + datetime.timedelta(hours=24)
    told = {}
    for status in ("new", "assigned", "in_progress", "returned", "answered", "closed"):
        answer = ask(MOBILE, ticket_for(holder, status=status, due_at=due, resolution="已为您加急办理").number)
        told[status] = (answer.state, answer.answer, answer.due_at)
    assert told["new"] == ("new", "", due)
    assert told["assigned"] == told["in_progress"] == told["returned"] == ("in_progress", "", due)
    assert told["answered"] == ("answered", "已为您加急办理", None)
    assert told["closed"] == ("closed", "已为您加急办理", None)


def test_the_loop_as_the_customer_hears_it(holder, config):
    """Through the lifecycle: opened (due by its service level), handled, answered, closed,
    reopened — a reopened ticket is being handled again, its earlier answer no longer told."""
    from appliance.tickets import departments, lifecycle
    ticket = ticket_for(holder)
    opened = ask(MOBILE, ticket.number)
    assert opened.state == "new" and opened.due_at == Ticket.get_by_id(ticket.id).due_at
    departments.add("客户服务部")
    lifecycle.assign(ticket, by="前台", department="客户服务部", now=NOW)
    lifecycle.start(ticket, by="root", now=NOW)
    assert ask(MOBILE, ticket.number).state == "in_progress"
    lifecycle.answer(ticket, by="root", text="理赔款已于今日支付。", config=config, now=NOW)
    assert (ask(MOBILE, ticket.number).state, ask(MOBILE, ticket.number).answer) == ("answered", "理赔款已于今日支付。")
    lifecycle.close(ticket, by="前台", now=NOW)
    assert ask(MOBILE, ticket.number).state == "closed"
    lifecycle.reopen(ticket, by="前台", text="客户称未到账", config=config, now=NOW)
    reopened = ask(MOBILE, ticket.number)
    assert (reopened.state, reopened.answer) == ("in_progress", "") and reopened.due_at is not None


def test_every_state_is_told_in_both_languages_by_voice_and_sms():
    import tomllib
    from pathlib import Path

    from appliance.services.templates import word
    from appliance.tickets.models import TICKET_STATUSES
    prompts = tomllib.loads((Path(status_query.__file__).parents[1] / "ivr" / "prompts.toml").read_text("utf-8"))
    for state in {status_query.CUSTOMER_STATES[s] for s in TICKET_STATUSES}:
        assert prompts[f"ticket_state_{state}"].keys() >= {"zh", "en"}
        assert word("ticket_status", state, "zh") != state  # a missing word comes back as its key
        assert word("ticket_status", state, "en") != word("ticket_status", state, "zh")


def test_wrong_tries_are_limited_per_number_and_day(holder):
    ticket = ticket_for(holder)
    for n in range(TRIES):
        assert not ask(MOBILE, f"26113099{n:02d}").limited
    limited = ask(MOBILE, ticket.number)
    assert limited.limited and limited.ticket is None  # even their own: no probing past the limit
    assert ask(STRANGER, "2611300000").ticket is None and not ask(STRANGER, "2611300001").limited
    assert ask(MOBILE, ticket.number, now=NOW + datetime.timedelta(days=1)).ticket.id == ticket.id


# --- by SMS -------------------------------------------------------------------------------

def route(config, number, text):
    message = InboundMessage.create(from_number=number, text=text, received_at=NOW)
    result = inbound_router.route_inbound(message, config, NOW)
    return result, Message.get_by_id(result.reply_id) if result.reply_id else None


def test_gd_keyword_matches_only_a_ticket_number(database):
    assert match("GD 2611300004")[1:] == ("ticket_status", "", "2611300004")
    assert match("ｇｄ２６１１３００００４")[3] == "2611300004"
    assert match("gd")[1:] == ("ticket_status", "", "")
    assert match("GDP 增长太慢") is None  # a message for staff, not a keyword


def test_gd_by_sms(holder, config):
    ticket = ticket_for(holder, status="answered", resolution="已为您办理退保，款项三日内到账。")
    result, reply = route(config, MOBILE, f"GD {ticket.number}")
    assert (result.action, result.detail) == ("ticket_status", ticket.number)
    assert ticket.number in reply.text and "已答复" in reply.text and "款项三日内到账" in reply.text
    assert reply.to_number == MOBILE and reply.category == "service"
    _, reply = route(config, STRANGER, f"GD {ticket.number}")
    _, wrong = route(config, STRANGER, "GD 2611309999")
    assert "没有这个工单号" in reply.text and reply.text == wrong.text and "款项" not in reply.text


def test_open_ticket_tells_its_due_time_and_gd_alone_lists(holder, config):
    ticket = ticket_for(holder, status="assigned", due_at=datetime.datetime(2026, 12, 1, 10, 0))
    _, reply = route(config, MOBILE, f"gd{ticket.number}")
    assert "正在处理中" in reply.text and "12-01 10:00" in reply.text
    _, reply = route(config, MOBILE, "GD")
    assert f"{ticket.number} 正在处理中" in reply.text
    _, reply = route(config, STRANGER, "GD")
    assert ticket.number not in reply.text and "没有工单" in reply.text


def test_gd_limit_by_sms_and_the_keyword_switched_off(holder, config):
    config = config.replace(tickets__query_tries_per_day=2)  # the setting decides
    for n in range(2):
        route(config, STRANGER, f"GD 26113099{n:02d}")
    assert "错误次数过多" in route(config, STRANGER, "GD 2611300001")[1].text
    set_keyword("GD", "ticket_status", enabled=False)  # an admin can switch it off
    result, _ = route(config, MOBILE, "GD 2611300001")
    assert result.action == "ticket"  # a message for staff, then


# --- migration 0017 -------------------------------------------------------------------------

def test_an_upgraded_box_gets_key_6_and_the_keyword_action(tmp_path):
    """A database of an earlier firmware (its menus made) gets the node under the main menu."""
    import sqlite3
    from pathlib import Path

    from appliance import db as dbmod
    from appliance.config import Config
    from appliance.ivr.models import MenuNode
    dump = Path(__file__).parents[1] / "data" / "db_before_layout.sql"
    old = sqlite3.connect(tmp_path / "old.db")
    old.executescript(dump.read_text(encoding="utf-8"))
    old.close()
    db = dbmod.open_and_migrate(Config({"data_dir": str(tmp_path / "data"),
                                        "database.url": f"sqlite:///{tmp_path / 'old.db'}"}))
    node = MenuNode.get(MenuNode.name == "ticket_status")
    assert (node.parent.name, node.digit, node.action, node.prompt) == ("main", "6", "ticket_status",
                                                                       "ticket_status_intro")
    assert set_keyword("GDCX", "ticket_status").action == "ticket_status"  # the widened CHECK takes it
    db.close()


def test_on_postgresql(postgres_url, tmp_path):
    """On a real PostgreSQL: 0017 adds key 6 to menus made before it, the widened CHECKs, the
    query log and the rule."""
    from playhouse.migrations import Runner

    from appliance import db as dbmod
    from appliance.config import Config
    from appliance.ivr.models import MenuNode
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": postgres_url}))
    Runner(db, str(dbmod.MIGRATIONS_DIR)).up("0016_staff_pin")  # a box whose menus exist before 0017
    db.execute_sql("INSERT INTO menu_node (name, parent_id, digit, title, prompt, action, timeout_ms, retries, "
                   "fallback, position, enabled) VALUES ('main', NULL, '', '主菜单', 'menu_main', 'menu', 5000, 3, "
                   "'goodbye', 0, true)")
    dbmod.migrate(db)
    node = MenuNode.get(MenuNode.name == "ticket_status")
    assert (node.parent.name, node.digit, node.action) == ("main", "6", "ticket_status")
    set_keyword("GD", "ticket_status", enabled=False)
    holder = Customer.create(name="李娜", gender="F", mobile=MOBILE,
                             id_number=idcard.make_id_number("350102", datetime.date(1985, 3, 2), 4))
    ticket = ticket_for(holder, status="answered", resolution="已办理")
    assert ask(MOBILE, ticket.number).answer == "已办理" and ask(STRANGER, ticket.number).ticket is None
    assert status_query.misses_today(STRANGER, NOW) == 1
    db.close()
