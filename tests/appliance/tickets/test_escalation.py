"""Escalation on an injected clock: the department head's SMS when a ticket passes its due
time, repeated every tickets.escalation_hours, each step once whatever restarts, and run
by the services daemon's pass."""
import datetime

import pytest

from appliance.errors import Refused
from appliance.ivr.tickets import open_ticket
from appliance.models import Staff
from appliance.services import daemon as service_loop
from appliance.sms.models import Message
from appliance.tickets import departments, escalation, lifecycle
from appliance.tickets.models import Ticket, TicketEvent

OPENED = datetime.datetime(2026, 11, 30, 2, 0)
DUE = OPENED + datetime.timedelta(hours=24)  # complaint=24h
HEAD = "+8613900000001"


def after(hours=0, minutes=0):
    return DUE + datetime.timedelta(hours=hours, minutes=minutes)


@pytest.fixture
def ticket(database, config):
    Staff.create(badge_no="H001", name="李主任", mobile=HEAD)
    departments.add("客户服务部", "H001")
    opened = open_ticket("complaint", "sms", number="13800138000", text="理赔太慢", now=OPENED)
    return lifecycle.assign(opened, by="front", department="客户服务部", now=OPENED)


def reminders(ticket):
    return [(e.at, e.text) for e in TicketEvent.select().where(TicketEvent.ticket == ticket.id,
                                                                TicketEvent.action == "escalated")
            .order_by(TicketEvent.id)]


def head_sms():
    return [m.text for m in Message.select().where(Message.to_number == HEAD).order_by(Message.id)]


def test_the_head_is_reminded_once_per_step_while_overdue(ticket, config):
    assert escalation.run(config, DUE) == 0                      # due, not yet past due
    assert escalation.run(config, after(minutes=1)) == 1
    assert escalation.run(config, after(minutes=2)) == 0         # the same step never twice
    assert escalation.run(config, after(hours=3, minutes=59)) == 0
    assert escalation.run(config, after(hours=4, minutes=1)) == 1  # every 4 hours (tickets.escalation_hours)
    assert escalation.run(config, after(hours=4, minutes=30)) == 0
    assert reminders(ticket) == [(after(minutes=1), "#1 → 李主任 +86139****0001"),
                                 (after(hours=4, minutes=1), "#2 → 李主任 +86139****0001")]
    texts = head_sms()
    assert len(texts) == 2 and "催办（第1次）" in texts[0] and "催办（第2次）" in texts[1]
    assert f"客户服务部的投诉工单{ticket.number}应于2026-12-01 02:00前答复" in texts[0]
    assert Message.get(Message.to_number == HEAD).category == "internal"
    stored = Ticket.get_by_id(ticket.id)
    assert (stored.escalations, stored.escalated_at) == (2, after(hours=4, minutes=1))
    lifecycle.answer(ticket, by="wang", text="已处理", config=config, now=after(hours=5))
    assert escalation.run(config, after(hours=20)) == 0            # answered: no more


def test_after_downtime_only_the_reminder_due_now_goes(ticket, config):
    assert escalation.run(config, after(hours=13)) == 1  # steps 1-3 were missed while the box was down
    assert escalation.run(config, after(hours=13, minutes=1)) == 0
    assert len(head_sms()) == 1


def test_a_reopened_ticket_starts_again_at_step_one(ticket, config):
    escalation.run(config, after(minutes=1))
    closed = lifecycle.close(lifecycle.answer(ticket, by="w", text="好", config=config, now=after(hours=1)),
                             by="f", now=after(hours=1))
    reopened = lifecycle.reopen(closed, by="f", text="客户不满意", config=config, now=after(hours=2))
    assert reopened.due_at == after(hours=26)
    assert escalation.run(config, after(hours=25)) == 0
    assert escalation.run(config, after(hours=26, minutes=1)) == 1
    assert [t.split("（")[1][:3] for t in head_sms()] == ["第1次", "第1次"]


def test_no_repeat_with_zero_hours_and_no_sms_without_a_head(ticket, config):
    once = config.replace(tickets__escalation_hours=0)
    assert escalation.run(once, after(minutes=1)) == 1
    assert escalation.run(once, after(hours=40)) == 0
    orphan = open_ticket("complaint", "ivr", number="13800138001", now=OPENED)
    assert escalation.run(config, after(hours=1)) == 1           # flagged in the history all the same
    assert reminders(orphan) == [(after(hours=1), "#1")]
    assert len(head_sms()) == 1


def test_the_services_pass_runs_escalation(ticket, config):
    assert service_loop.tick(config, after(minutes=1))["escalation"] == 1
    assert service_loop.tick(config, after(minutes=2))["escalation"] == 0
    assert len(head_sms()) == 1


@pytest.fixture
def postgres(postgres_server, tmp_path):
    from appliance import db as dbmod
    from appliance.config import Config
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": postgres_server()}))
    dbmod.migrate(db)
    yield db
    db.close()


def test_the_loop_and_its_reminders_on_postgresql(postgres, config):
    Staff.create(badge_no="H001", name="李主任", mobile=HEAD)
    departments.add("客户服务部", "H001")
    ticket = lifecycle.assign(open_ticket("complaint", "sms", number="13800138000", now=OPENED), by="front",
                              department="客户服务部", now=OPENED)
    assert escalation.run(config, after(minutes=1)) == 1
    assert escalation.run(config, after(minutes=2)) == 0
    assert escalation.run(config, after(hours=4, minutes=1)) == 1  # the last reminder's time read back as a time
    ticket = lifecycle.answer(ticket, by="wang", text="已处理。", config=config, now=after(hours=5))
    with pytest.raises(Refused):
        lifecycle.start(ticket, by="wang", now=after(hours=6))
    ticket = lifecycle.reopen(lifecycle.close(ticket, by="front", now=after(hours=6)), by="front", text="再查",
                              config=config, now=after(hours=7))
    assert [e.action for e in lifecycle.history(ticket)] == [
        "opened", "assigned", "escalated", "escalated", "answered", "notified", "closed", "reopened"]
    assert len(head_sms()) == 2 and Message.select().count() == 3


def test_a_pass_with_nothing_due_is_one_read_query(ticket, config, caplog):
    escalation.run(config, after(minutes=1))
    with caplog.at_level("DEBUG", logger="peewee"):
        caplog.clear()
        assert escalation.run(config, after(minutes=2)) == 0  # overdue, reminded already
    assert len([r for r in caplog.records if r.name == "peewee"]) == 1  # runs every few seconds: no write lock
