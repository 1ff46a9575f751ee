"""Service levels: due times in clock and business hours (China's holidays and adjusted
working days, the box's zone), routing by category, and which tickets are overdue."""
import datetime

import pytest

from appliance import clock
from appliance.errors import ConfigError, InputError
from appliance.ivr.tickets import open_ticket
from appliance.tickets import departments, lifecycle, sla
from appliance.tickets.models import Ticket
from appliance.voice import days


def local(*args):
    return clock.instant(datetime.datetime(*args))


@pytest.fixture
def shanghai():
    clock.set_zone("Asia/Shanghai")  # restored to UTC by the autouse fixture


@pytest.mark.parametrize("opened,due", [
    ((2026, 11, 30, 10, 30), (2026, 11, 30, 14, 0)),   # Monday 10:30: to 12:00, then 13:30-14:00
    ((2026, 11, 27, 17, 0), (2026, 11, 30, 10, 0)),    # Friday 17:00: half an hour, then Monday
    ((2026, 11, 28, 9, 0), (2026, 11, 30, 10, 30)),    # Saturday: nothing counts until Monday
    ((2026, 9, 30, 17, 0), (2026, 10, 8, 10, 0)),      # the eve of National Day: after the week off
    ((2026, 10, 9, 17, 0), (2026, 10, 10, 10, 0)),     # Saturday 10 October 2026 is a working day (调休)
    ((2026, 11, 30, 20, 0), (2026, 12, 1, 10, 30)),    # at night: from the next morning
])
def test_business_hours_follow_the_holiday_calendar_in_the_box_zone(database, config, shanghai, opened, due):
    assert sla.due_at("callback", local(*opened), config) == local(*due)  # callback=2bh


def test_a_declared_holiday_is_no_business_day(database, config, shanghai):
    days.declare(datetime.date(2026, 11, 30), "holiday")
    assert sla.due_at("callback", local(2026, 11, 27, 17, 0), config) == local(2026, 12, 1, 10, 0)


def test_clock_hours_days_and_no_rule(database, config):
    opened = datetime.datetime(2026, 11, 28, 22, 0)
    config = config.replace(tickets__sla=["complaint=24h", "return-visit=3d", "inquiry=1.5h"])
    assert sla.due_at("complaint", opened, config) == opened + datetime.timedelta(hours=24)
    assert sla.due_at("return-visit", opened, config) == opened + datetime.timedelta(days=3)
    assert sla.due_at("inquiry", opened, config) == opened + datetime.timedelta(hours=1.5)
    assert sla.due_at("callback", opened, config) is None


@pytest.mark.parametrize("key,value", [("tickets.sla", ["complaint=24"]), ("tickets.sla", ["praise=2h"]),
                                       ("tickets.sla", ["callback=0h"]),
                                       ("tickets.business_hours", "17:00-08:00"),
                                       ("tickets.business_hours", "08:30-12:00,11:00-17:00")])
def test_bad_rules_name_the_key(database, config, key, value):
    with pytest.raises(ConfigError) as err:
        sla.due_at("callback", datetime.datetime(2026, 11, 30, 2, 0), config.replace(**{key.replace(".", "__"): value}))
    assert err.value.field == key


def test_a_ticket_is_due_from_its_opening_and_routed_by_category(database, config):
    departments.add("客户服务部")
    config = config.replace(tickets__departments=["complaint=客户服务部", "inquiry=没有这个部门"])
    opened = datetime.datetime(2026, 11, 30, 2, 0)
    ticket = open_ticket("complaint", "sms", number="13800138000", config=config, now=opened)
    assert (ticket.status, ticket.department.name) == ("assigned", "客户服务部")
    assert ticket.due_at == opened + datetime.timedelta(hours=24)
    assert [(e.action, e.by, e.department) for e in lifecycle.history(ticket)] == [
        ("opened", "sms", ""), ("assigned", "system", "客户服务部")]
    # A category routed to a department that does not exist is still opened, unassigned.
    inquiry = open_ticket("inquiry", "ivr", number="13800138000", config=config, now=opened)
    assert (inquiry.status, inquiry.department_id) == ("new", None)
    # A broken rule never loses a caller's ticket: it is opened without a due time.
    broken = open_ticket("complaint", "ivr", number="13800138000", config=config.replace(tickets__sla=["x"]))
    assert broken.id and broken.due_at is None


def test_overdue_are_open_tickets_past_due(database, config):
    opened = datetime.datetime(2026, 11, 30, 2, 0)
    late = open_ticket("complaint", "sms", number="13800138000", now=opened)
    answered = lifecycle.answer(open_ticket("complaint", "sms", number="13800138001", now=opened),
                                by="w", text="好", config=config, now=opened)
    open_ticket("callback", "sms", number="13800138002", now=opened + datetime.timedelta(hours=30))
    open_ticket("complaint", "sms", number="13800138003", config=config.replace(tickets__sla=[]), now=opened)
    due = opened + datetime.timedelta(hours=24)
    assert list(sla.overdue(due)) == []
    assert [t.id for t in sla.overdue(due + datetime.timedelta(seconds=1))] == [late.id]
    assert Ticket.get_by_id(answered.id).due_at == due  # answered in time: never overdue


def test_an_sms_ticket_follows_the_configured_rules_and_keeps_its_message(database, config):
    from appliance.services import inbound as inbound_router
    from appliance.sms.models import InboundMessage
    departments.add("客户服务部")
    config = config.replace(tickets__departments=["complaint=客户服务部"], tickets__sla=["complaint=2h"])
    received = datetime.datetime(2026, 11, 30, 2, 0)
    message = InboundMessage.create(from_number="+8613800000011", text="理赔太慢了", received_at=received)
    inbound_router.route_pending(config, received)
    ticket = Ticket.get()
    assert (ticket.message_id, ticket.department.name, ticket.status) == (message.id, "客户服务部", "assigned")
    assert ticket.due_at == received + datetime.timedelta(hours=2)


def test_doctor_says_what_is_wrong_with_the_ticket_rules(database, config):
    from appliance.plugins import plugins
    assert plugins("appliance.doctor")["tickets"].load() is sla.doctor_check
    assert sla.doctor_check(config.replace(tickets__sla=["complaint=soon"]))[0][:2] == ("fail", "ticket service levels")
    departments.add("客户服务部")
    open_ticket("complaint", "sms", number="13800138000", now=datetime.datetime(2026, 11, 1))
    lines = sla.doctor_check(config.replace(tickets__departments=["complaint=客户服务部", "inquiry=咨询组"]))
    assert [line[:2] for line in lines] == [("ok", "ticket service levels"), ("warn", "tickets.departments"),
                                            ("warn", "ticket escalation"), ("warn", "overdue tickets")]
    assert "inquiry=咨询组" in lines[1][2] and "客户服务部" in lines[2][2] and lines[3][2].startswith("1 open")


@pytest.mark.parametrize("key,text", [("tickets.sla", "complaint=24h\ncallback=soon"),
                                      ("tickets.business_hours", "08:30-12:00,11:00-17:00"),
                                      ("tickets.departments", "complaint"), ("tickets.escalation_hours", "-1")])
def test_the_settings_page_refuses_bad_rules_naming_the_key(key, text):
    from appliance import config_edit
    with pytest.raises(InputError) as err:
        config_edit.check(key, config_edit.parse_text(key, text))
    assert err.value.field == key


def test_the_settings_page_takes_good_rules():
    from appliance import config_edit
    assert config_edit.check("tickets.sla", config_edit.parse_text("tickets.sla", "complaint=12h\ncallback=1bh")) == [
        "complaint=12h", "callback=1bh"]
    assert config_edit.check("tickets.escalation_hours", 0.0) == 0.0


def test_a_ticket_opened_without_a_configuration_follows_the_boxs_file(database, tmp_path, monkeypatch):
    """An IVR lockout alert is opened deep in a flow that holds no configuration: the file the
    daemons' units name ($APPLIANCE_CONFIG) gives the rules; a broken file, the defaults."""
    from appliance.ivr import verification
    from appliance.models import Customer, Policy, Product
    departments.add("安全组")
    path = tmp_path / "box.toml"
    path.write_text('[tickets]\nsla = ["alert=1h"]\ndepartments = ["alert=安全组"]\n')
    monkeypatch.setenv("APPLIANCE_CONFIG", str(path))
    holder = Customer.create(name="张伟", gender="M", mobile="+8613800000011", id_number="")
    policy = Policy.create(policy_no="P1", product=Product.create(code="A", name="安康"), holder=holder, premium=100)
    now = datetime.datetime(2026, 11, 30, 2, 0)
    verification.record_failure(policy, "13800000011", max_failures=1, now=now)
    alert = Ticket.get(Ticket.kind == "alert")
    assert (alert.department.name, alert.due_at) == ("安全组", alert.created_at + datetime.timedelta(hours=1))
    path.write_text("not toml [")
    broken = open_ticket("alert", "ivr", number="13800000011", now=now)
    assert (broken.department_id, broken.due_at) == (None, now + datetime.timedelta(hours=4))  # the defaults
