"""Ticket hand-off over the HTTP API (web/api/ticket_handoff.py).

Two appliance instances on this machine, each its own data dir, SQLite database, HTTPS web
server (`appliance run web`, self-signed, the other's certificate trusted through
tickets.peer_cafile) and services daemon (`appliance run services`), each with an API token
of the other: a branch hands a complaint to head office with the CLI, head office answers,
the answer comes back, the branch closes and head office's copy closes; head office down,
then up again, and the hand-off made meanwhile arrives. Then the receiving routes' refusals
on one in-process server.
"""
import contextlib
import os
import signal
import socket
import subprocess
import sys

import pytest
from peer_support import free_port, wait_for
from web_support import Client

from appliance import db as dbmod, tokens
from appliance.config import Config, ensure_data_dir
from appliance.ivr.tickets import open_ticket
from appliance.tickets import lifecycle
from appliance.tickets.models import Ticket, TicketEvent, TicketHandoff
from web.server import ensure_certificate

CALLER = "+8613800000011"


class Box:
    """One appliance instance: its configuration file, data dir and daemons."""

    def __init__(self, root, name, port):
        self.name, self.port, self.dir = name, port, root / name
        self.config_path = self.dir / "appliance.toml"
        self.settings = {"data_dir": str(self.dir / "data"), "web.listen": f"127.0.0.1:{port}",
                         "web.https": "on", "services.inbound_poll": 0.1, "tickets.handoff_retry": 0.2}
        self.daemons = {}

    @property
    def config(self):
        return Config(self.settings)

    def write_config(self):
        self.config_path.write_text(self.config.to_toml(include_secrets=True))

    @contextlib.contextmanager
    def db(self):
        """This box's database bound to the models, for the test's own reads and actions."""
        database = dbmod.open_database(self.config)
        try:
            yield database
        finally:
            database.close()

    def start(self, daemon):
        log = open(self.dir / f"{daemon}.log", "a")
        self.daemons[daemon] = subprocess.Popen(
            [sys.executable, "-m", "appliance.cli", "--config", str(self.config_path), "run", daemon],
            stdout=log, stderr=log, env={**os.environ, "APPLIANCE_CONFIG": str(self.config_path)})
        if daemon == "web":
            wait_for(lambda: self.listening(), timeout=30, what=f"{self.name}'s web server")

    def listening(self):
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self, daemon):
        process = self.daemons.pop(daemon)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)

    def cli(self, *args):
        return subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(self.config_path), *args],
                              capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def boxes(tmp_path_factory):
    """A branch and head office, each knowing the other as a peer; both running (for the
    module: four daemons take seconds to start)."""
    root = tmp_path_factory.mktemp("boxes")
    branch, head = Box(root, "branch", free_port()), Box(root, "head-office", free_port())
    secrets, certs = {}, {}
    for box, other in ((branch, head), (head, branch)):
        ensure_data_dir(box.config)
        certs[box.name], _ = ensure_certificate(box.config)
        with box.db() as database:
            dbmod.migrate(database)
            _, secrets[other.name] = tokens.create_token(other.name, "operator")  # what `other` uses here
    for box, other in ((branch, head), (head, branch)):
        box.settings["tickets.peers"] = [f"{other.name}=https://127.0.0.1:{other.port}|{secrets[box.name]}"]
        box.settings["tickets.peer_cafile"] = str(certs[other.name])
        box.write_config()
        box.start("web")
        box.start("services")
    yield branch, head
    for box in (branch, head):
        for daemon in list(box.daemons):
            box.stop(daemon)


def a_complaint(box):
    with box.db():
        ticket = open_ticket("complaint", "sms", number=CALLER, text="理赔太慢，请总部核实")
        return ticket.number


def ticket_on(box, **where):
    with box.db():
        query = Ticket.select()
        for name, value in where.items():
            query = query.where(getattr(Ticket, name) == value)
        ticket = query.first()
        return ticket and (ticket, lifecycle.history(ticket))


def test_a_branch_hands_a_complaint_to_head_office_and_the_answer_comes_back(boxes):
    branch, head = boxes
    number = a_complaint(branch)
    handed = branch.cli("tickets", "hand-off", number, "head-office", "--note", "请总部核实", "--by", "前台王")
    assert handed.returncode == 0, handed.stderr
    there, history = ticket_on(head, remote="branch", remote_number=number)
    assert handed.stdout.strip() == f"ticket {number} handed to head-office: their number {there.number}"
    assert (there.source, there.caller, there.text, there.status) == ("remote", CALLER, "理赔太慢，请总部核实", "new")
    assert ("前台王@branch", "handed_off", "→ head-office: 请总部核实") in [(e.by, e.action, e.text) for e in history]
    here, _ = ticket_on(branch, number=number)
    assert (here.remote, here.remote_number) == ("head-office", there.number)

    with head.db():  # head office answers; its services daemon sends the answer back
        lifecycle.answer(there.id, by="张经理", text="已核实，三日内赔付", config=head.config)
    here, history = wait_for(lambda: (found := ticket_on(branch, number=number, status="answered")) and found,
                             what="the answer back at the branch")
    assert here.resolution == "已核实，三日内赔付"
    # the answer came back, and the branch told its customer (head office does not: not its customer)
    assert [(e.by, e.action, e.to_status) for e in history][-2:] == [
        ("张经理@head-office", "remote_update", "answered"), ("system", "notified", "answered")]

    with branch.db():  # the front desk told the customer and closes: head office's copy closes too
        lifecycle.close(here.id, by="前台王", text="已电话告知客户")
    there, history = wait_for(lambda: ticket_on(head, id=there.id, status="closed"), what="the close at head office")
    assert [(e.by, e.action, e.text) for e in history][-1] == ("前台王@branch", "remote_update", "已电话告知客户")
    for box, ticket in ((branch, here), (head, there)):  # each update arrived once, and none echoed back
        with box.db():
            assert TicketEvent.select().where((TicketEvent.ticket == ticket.id)
                                              & (TicketEvent.action == "remote_update")).count() == 1


def test_a_hand_off_made_while_head_office_is_down_arrives_when_it_is_up(boxes):
    branch, head = boxes
    head.stop("web")
    number = a_complaint(branch)
    handed = branch.cli("tickets", "hand-off", number, "head-office")
    assert handed.returncode == 0, handed.stderr
    assert "not taken yet (peer head-office unreachable" in handed.stdout
    with branch.db():
        row = TicketHandoff.select().join(Ticket).where(Ticket.number == number).get()
        assert (row.delivered_at, row.ticket.remote, row.ticket.remote_number) == (None, "head-office", "")
    assert ticket_on(head, remote_number=number) is None
    assert doctor(branch) == [
        "FAIL  ticket peer head-office: peer head-office unreachable: [Errno 111] Connection refused",
        "WARN  ticket peer head-office: 1 hand-off(s) with something the peer has not taken; the latest error: "
        "peer head-office unreachable: [Errno 111] Connection refused"]
    head.start("web")
    there, _ = wait_for(lambda: ticket_on(head, remote_number=number), what="the hand-off at head office")
    wait_for(lambda: ticket_on(branch, number=number, remote_number=there.number),
             what="head office's number at the branch")
    with head.db():
        assert Ticket.select().where(Ticket.remote_number == number).count() == 1
    assert doctor(branch) == ["OK    ticket peer head-office: answers; it knows this box as 'branch'"]


def doctor(box):
    return [line for line in box.cli("doctor").stdout.splitlines() if "ticket peer" in line]


def test_the_command_line_names_what_it_refuses(boxes):
    branch, _ = boxes
    for args, said in ((("2611309999", "head-office"), "ticket 2611309999 does not exist"),
                       ((a_complaint(branch), "branch-b"), "peer: no peer 'branch-b' in tickets.peers")):
        refused = branch.cli("tickets", "hand-off", *args)
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert said in refused.stderr


# --- the routes' refusals, on one in-process server --------------------------------------

@pytest.fixture
def web_config(tmp_path):
    return Config({"data_dir": str(tmp_path / "data"), "web.listen": f"127.0.0.1:{free_port()}",
                   "web.threads": 4, "tickets.peers": [f"head-office=http://127.0.0.1:{free_port()}|apt_x"],
                   "tickets.handoff_retry": 30.0})


HANDOFF = {"key": "2611300001-7", "number": "2611300001", "kind": "complaint", "caller": CALLER,
           "text": "理赔太慢", "history": [{"id": 7, "by": "前台王", "action": "handed_off", "text": "请核实"}]}


def test_a_peer_hands_over_once_however_often_it_sends(server):
    _, peer = tokens.create_token("head-office", "operator")
    client = Client(server)
    first = client.api("POST", "/api/v1/ticket-handoffs", peer, HANDOFF)
    again = client.api("POST", "/api/v1/ticket-handoffs", peer, HANDOFF)
    assert (first.status, again.status) == (201, 200), first.text
    assert first.json["number"] == again.json["number"] and (first.json["created"], again.json["created"]) == (
        True, False)
    assert Ticket.select().count() == 1
    events = {"side": "out", "events": [{"id": 9, "by": "前台王", "action": "noted", "text": "客户来电催促"}]}
    for _ in range(2):
        answer = client.api("POST", "/api/v1/ticket-handoffs/2611300001-7/events", peer, events)
        assert (answer.status, answer.json) == (200, {"received_through": 9})
    assert TicketEvent.select().where(TicketEvent.action == "remote_update").count() == 1
    unknown = client.api("POST", "/api/v1/ticket-handoffs/2611300009-1/events", peer, events)
    assert (unknown.status, unknown.json["error"]["field"]) == (404, "key")


def test_only_a_peers_token_hands_over_and_a_bad_body_is_named(server):
    _, stranger = tokens.create_token("core-system", "operator")
    _, peer = tokens.create_token("head-office", "operator")
    client = Client(server)
    refused = client.api("POST", "/api/v1/ticket-handoffs", stranger, HANDOFF)
    assert (refused.status, refused.json["error"]["field"]) == (409, "peer"), refused.text
    assert "core-system" in refused.json["error"]["message"]
    assert client.api("POST", "/api/v1/ticket-handoffs", None, HANDOFF).status == 401
    bad = client.api("POST", "/api/v1/ticket-handoffs", peer, {**HANDOFF, "kind": "party"})
    assert (bad.status, bad.json["error"]["field"]) == (400, "kind")
    bad = client.api("POST", "/api/v1/ticket-handoffs", peer,
                     {**HANDOFF, "history": [{"id": 7, "action": "deleted"}]})
    assert (bad.status, bad.json["error"]["field"]) == (400, "history[0].action")
    assert Ticket.select().count() == 0


def test_a_ticket_handed_off_through_the_api_waits_for_its_peer(server):
    _, secret = tokens.create_token("front-desk", "operator")
    ticket = open_ticket("complaint", "sms", number=CALLER, text="理赔太慢")
    client = Client(server)
    unknown = client.api("POST", f"/api/v1/tickets/{ticket.number}/hand-off", secret, {"peer": "branch-b"})
    assert (unknown.status, unknown.json["error"]["field"]) == (404, "peer")
    handed = client.api("POST", f"/api/v1/tickets/{ticket.number}/hand-off", secret,
                        {"peer": "head-office", "note": "请核实"})
    assert handed.status == 201, handed.text
    assert (handed.json["delivered"], handed.json["peer"]) == (False, "head-office")
    assert "head-office unreachable" in handed.json["error"]
    again = client.api("POST", f"/api/v1/tickets/{ticket.number}/hand-off", secret, {"peer": "head-office"})
    assert (again.status, again.json["error"]["field"]) == (409, "ticket")
    assert TicketHandoff.select().count() == 1


def test_the_document_describes_the_hand_off_routes(server, api_token):
    document = Client(server).api("GET", "/api/v1/openapi.json", api_token).json
    assert {"/ticket-handoffs", "/ticket-handoffs/{key}/events", "/tickets/{number}/hand-off"} <= set(
        document["paths"])
    assert document["paths"]["/ticket-handoffs"]["post"]["responses"].keys() >= {"200", "201", "409"}

