"""Ticket hand-off between boxes, the domain side (appliance.tickets.handoff): what is
committed before a peer is asked, what is sent again and when, what a receiver keeps, and
how the other side's events move a ticket — each exactly once. The whole loop between two
real appliance instances is tests/web/test_web_ticket_handoff.py."""
import datetime
import logging

import pytest
from peer_support import free_port

from appliance.config import Config
from appliance.errors import ConfigError, NotFound, Refused
from appliance.ivr.tickets import open_ticket
from appliance.sms.models import Message
from appliance.tickets import handoff, lifecycle
from appliance.tickets.models import Ticket, TicketEvent, TicketHandoff

NOW = datetime.datetime(2026, 11, 30, 2, 0)
TOKEN = "apt_secret-of-head-office"


@pytest.fixture
def box(tmp_path):
    """A box whose peer head-office listens nowhere (it is down)."""
    return Config({"data_dir": str(tmp_path / "data"), "tickets.handoff_retry": 30.0,
                   "tickets.peers": [f"head-office=http://127.0.0.1:{free_port()}|{TOKEN}"]})


def complaint(now=NOW):
    return open_ticket("complaint", "sms", number="+8613800000011", text="理赔太慢", now=now)


def payload(key="2611300001-7", **more):
    return {"key": key, "number": "2611300001", "kind": "complaint", "caller": "+8613800000011",
            "text": "理赔太慢", "history": [
                {"id": 3, "at": "2026-11-30T09:00:00+08:00", "by": "system", "action": "opened", "text": ""},
                {"id": 7, "at": "2026-11-30T09:30:00+08:00", "by": "前台王", "action": "handed_off",
                 "text": "→ head-office: 请总部核实"}], **more}


def test_a_hand_off_is_committed_before_the_peer_is_asked_and_waits_while_it_is_down(database, box, caplog):
    ticket = complaint()
    with caplog.at_level(logging.WARNING):
        row = handoff.hand_off(box, ticket, "head-office", by="前台王", text="请总部核实", now=NOW)
    assert (row.direction, row.delivered_at, row.attempts) == ("out", None, 1)
    assert "head-office unreachable" in row.last_error
    assert row.next_at == NOW + datetime.timedelta(seconds=30)
    ticket = Ticket.get_by_id(ticket.id)
    assert (ticket.remote, ticket.remote_number, ticket.status) == ("head-office", "", "new")
    event = TicketEvent.get(TicketEvent.action == "handed_off")
    assert (event.by, event.text, row.key) == ("前台王", "→ head-office: 请总部核实", f"{ticket.number}-{event.id}")
    assert TOKEN not in caplog.text and "+8613800000011" not in caplog.text
    # Not before its time; then again, waiting twice as long.
    assert handoff.deliver(box, NOW + datetime.timedelta(seconds=29)) == 0
    assert TicketHandoff.get_by_id(row.id).attempts == 1
    assert handoff.deliver(box, NOW + datetime.timedelta(seconds=30)) == 0
    again = TicketHandoff.get_by_id(row.id)
    assert (again.attempts, again.next_at) == (2, NOW + datetime.timedelta(seconds=90))


def test_a_ticket_goes_to_one_peer_at_a_time_and_only_a_known_one(database, box):
    ticket = complaint()
    with pytest.raises(NotFound, match="peer: no peer 'branch-b' in tickets.peers"):
        handoff.hand_off(box, ticket, "branch-b", by="前台王", now=NOW)
    assert TicketEvent.select().where(TicketEvent.action == "handed_off").count() == 0
    handoff.hand_off(box, ticket, "head-office", by="前台王", now=NOW)
    with pytest.raises(Refused, match="already with head-office"):
        handoff.hand_off(box, ticket, "head-office", by="前台王", now=NOW)
    assert TicketHandoff.select().count() == 1


def test_a_malformed_peer_is_named_without_its_token():
    config = Config({"tickets.peers": [f"head-office=ftp://10.0.0.5|{TOKEN}"]})
    with pytest.raises(ConfigError) as error:
        handoff.peers(config)
    assert error.value.field == "tickets.peers" and TOKEN not in str(error.value)
    assert TOKEN not in repr(handoff.peers(Config({"tickets.peers": [f"a=https://h|{TOKEN}"]})))


def test_a_received_hand_off_opens_one_ticket_with_the_history_however_often_it_comes(database, box):
    row, created = handoff.receive(box, "head-office", payload(), now=NOW)
    again, created_again = handoff.receive(box, "head-office", payload(), now=NOW)
    assert (created, created_again, again.id) == (True, False, row.id)
    ticket = Ticket.get()
    assert Ticket.select().count() == 1
    assert (ticket.source, ticket.remote, ticket.remote_number, ticket.caller) == (
        "remote", "head-office", "2611300001", "+8613800000011")
    copied = [(e.by, e.action, e.text) for e in lifecycle.history(ticket) if "@" in e.by]
    assert copied == [("system@head-office", "opened", ""),
                      ("前台王@head-office", "handed_off", "→ head-office: 请总部核实")]
    assert (row.direction, row.received_through, handoff.pending_events(row)) == ("in", 7, [])
    with pytest.raises(Refused, match="came from head-office"):  # its changes go back by themselves
        handoff.hand_off(box, ticket, "head-office", by="张经理", now=NOW)
    # Another peer's hand-off with the same key is another hand-off.
    handoff.receive(box, "branch-b", payload(), now=NOW)
    assert Ticket.select().count() == 2


def test_the_handling_sides_events_come_back_once_and_its_answer_moves_the_senders_ticket(database, box):
    ticket = complaint()
    row = handoff.hand_off(box, ticket, "head-office", by="前台王", now=NOW)
    TicketHandoff.update(delivered_at=NOW, remote_number="2611300042").where(TicketHandoff.id == row.id).execute()
    events = [{"id": 50, "by": "admin", "action": "assigned", "department": "客户服务部", "text": ""},
              {"id": 51, "by": "张经理", "action": "answered", "text": "已赔付，请查收"}]
    assert handoff.receive_events(box, "head-office", row.key, "in", events, now=NOW) == 51
    assert handoff.receive_events(box, "head-office", row.key, "in", events, now=NOW) == 51  # a retry
    ticket = Ticket.get_by_id(ticket.id)
    assert (ticket.status, ticket.resolution, ticket.answered_at) == ("answered", "已赔付，请查收", NOW)
    updates = [(e.by, e.from_status, e.to_status, e.department, e.text)
               for e in TicketEvent.select().where(TicketEvent.action == "remote_update").order_by(TicketEvent.id)]
    assert updates == [("admin@head-office", "new", "new", "客户服务部", ""),
                       ("张经理@head-office", "new", "answered", "", "已赔付，请查收")]
    # This box's customer is told the answer that came back, once (the retry above told no one again)
    told = Message.select().where(Message.dedupe_key.startswith("ticket-answered:"))
    assert [(m.to_number, "已赔付，请查收" in m.text) for m in told] == [("+8613800000011", True)]
    # The front desk confirms to the customer and closes: that goes to the peer, the updates do not.
    lifecycle.close(ticket, by="前台王", now=NOW)
    assert [e.action for e in handoff.pending_events(TicketHandoff.get_by_id(row.id))] == ["closed"]
    # The handling side closing its own copy is history here, not a close.
    handoff.receive_events(box, "head-office", row.key, "in", [{"id": 52, "action": "closed", "by": "admin"}])
    with pytest.raises(NotFound, match="key: no hand-off"):
        handoff.receive_events(box, "branch-b", row.key, "in", events)


def test_the_senders_return_close_and_reopen_move_the_handling_sides_ticket(database, box):
    row, _ = handoff.receive(box, "head-office", payload(), now=NOW)
    ticket = row.ticket
    lifecycle.answer(ticket, by="张经理", text="已赔付", config=box, now=NOW)
    assert [e.action for e in handoff.pending_events(row)] == ["answered"]

    def sender(event_id, action):
        handoff.receive_events(box, "head-office", row.key, "out", [{"id": event_id, "action": action,
                                                                     "by": "前台王", "text": action}], now=NOW)
        return Ticket.get_by_id(ticket.id).status
    assert sender(20, "returned") == "returned"
    lifecycle.answer(ticket, by="张经理", text="已补充赔付", config=box, now=NOW)
    assert sender(21, "closed") == "closed"
    assert sender(21, "reopened") == "closed"  # an id already received: skipped
    assert sender(22, "reopened") == "new"
    assert sender(23, "noted") == "new"


@pytest.fixture
def postgres(postgres_server, tmp_path):
    from appliance import db as dbmod
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": postgres_server()}))
    dbmod.migrate(db)
    yield db
    db.close()


def test_the_same_on_postgresql(postgres, box):
    row, _ = handoff.receive(box, "head-office", payload(), now=NOW)
    assert handoff.receive(box, "head-office", payload(), now=NOW) == (row, False)
    lifecycle.answer(row.ticket, by="张经理", text="已赔付", config=box, now=NOW)
    events = [{"id": 20, "action": "returned", "by": "前台王", "text": "请补充"}]
    assert handoff.receive_events(box, "head-office", row.key, "out", events, now=NOW) == 20
    assert handoff.receive_events(box, "head-office", row.key, "out", events, now=NOW) == 20
    assert Ticket.get_by_id(row.ticket_id).status == "returned"
    # What is still to be sent: the answer, found by the loop's query, tried, and waiting.
    assert handoff.deliver(box, NOW) == 0
    assert TicketHandoff.get_by_id(row.id).attempts == 1
    assert [e.action for e in handoff.pending_events(TicketHandoff.get_by_id(row.id))] == ["answered"]
