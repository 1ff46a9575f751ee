"""The tickets over the HTTP API against a real server: opening one (source api), every
step of its life with its history, 409 for an impossible step, 400 naming the field and
404, each refusal leaving the ticket and its history as they were; the list's filters
(the same query as the page's) and masking for roles that do not see mobiles."""
import datetime
import json
import urllib.parse

import pytest

from appliance import cli, clock, tokens
from appliance.errors import InputError
from appliance.ivr import tickets
from appliance.models import AuditLog
from appliance.sms.models import Message
from appliance.tickets.models import Department, Ticket, TicketEvent
from web_support import make_user


@pytest.fixture
def desk(web_db):
    """A department and a person to assign to."""
    make_user("li", "operator")
    return Department.create(name="客户服务部")


def api(client, token, method, path, payload=None):
    return client.api(method, "/api/v1" + path, token=token, payload=payload)


def unchanged(ticket):
    """The ticket's row and history as they are, to compare after a refusal."""
    row = Ticket.get_by_id(ticket.id)
    return (row.status, row.department_id, row.assignee, row.resolution,
            [(e.action, e.text) for e in TicketEvent.select().where(TicketEvent.ticket == ticket.id)])


def test_a_ticket_through_its_whole_life(client, api_token, desk):
    made = api(client, api_token, "POST", "/tickets", {"kind": "complaint", "caller": "138 0013 8000",
                                                      "text": "理赔太慢"})
    assert made.status == 201, made.json
    number = made.json["number"]
    assert (made.json["source"], made.json["status"], made.json["caller"]) == ("api", "new", "+8613800138000")
    steps = [("assign", {"department": "客户服务部", "assignee": "li", "text": "请跟进"}, "assigned"),
             ("start", {}, "in_progress"),
             ("answer", {"text": "已加急处理，三日内到账"}, "answered"),
             ("return", {"text": "客户说仍未到账"}, "returned"),
             ("answer", {"text": "已到账"}, "answered"),
             ("close", {"text": "已电话告知"}, "closed"),
             ("reopen", {"text": "客户再次来电"}, "assigned"),
             ("note", {"text": "等财务回复"}, "assigned")]
    for step, body, status in steps:
        resp = api(client, api_token, "POST", f"/tickets/{number}/{step}", body)
        assert resp.status == 200 and resp.json["status"] == status, (step, resp.json)
    got = api(client, api_token, "GET", f"/tickets/{number}").json
    assert (got["department"], got["assignee"], got["resolution"]) == ("客户服务部", "li", "已到账")
    history = api(client, api_token, "GET", f"/tickets/{number}/history").json["items"]
    actions = [e["action"] for e in history if e["action"] != "notified"]
    assert actions == ["opened", "assigned", "started", "answered", "returned", "answered", "closed", "reopened",
                       "noted"]
    assert {e["by"] for e in history[1:] if e["action"] != "notified"} == {"api:core-system"}
    assert [e["text"] for e in history if e["action"] == "answered"] == ["已加急处理，三日内到账", "已到账"]
    # Each answer queued the customer's SMS with the ticket's number.
    assert [m.to_number for m in Message.select()] == ["+8613800138000"] * 2
    assert number in Message.select().first().text
    assert AuditLog.select().where(AuditLog.action == "ticket.answer").count() == 2


def test_an_impossible_step_is_409_and_changes_nothing(client, api_token, desk):
    ticket = tickets.open_ticket("callback", "ivr", number="13900139000")
    before = unchanged(ticket)
    for step, body in (("close", {}), ("return", {"text": "重办"}), ("reopen", {"text": "再看"}),
                       ("start", {})):
        resp = api(client, api_token, "POST", f"/tickets/{ticket.number}/{step}", body)
        assert resp.status == 409, (step, resp.json)
        assert resp.json["error"]["field"] == "status"
        assert unchanged(ticket) == before


def test_bad_input_is_400_naming_the_field_and_changes_nothing(client, api_token, desk):
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000")
    before, count = unchanged(ticket), Ticket.select().count()
    cases = [("POST", f"/tickets/{ticket.number}/answer", {}, "text"),
             ("POST", f"/tickets/{ticket.number}/answer", {"text": "  "}, "text"),
             ("POST", f"/tickets/{ticket.number}/note", {"text": "x", "colour": "red"}, "colour"),
             ("POST", f"/tickets/{ticket.number}/assign", {"department": "财务部"}, "department"),
             ("POST", f"/tickets/{ticket.number}/assign", {"assignee": "nobody"}, "assignee"),
             ("POST", f"/tickets/{ticket.number}/assign", {"text": "谁来?"}, "department"),
             ("POST", "/tickets", {"kind": "praise", "caller": "13800138000"}, "kind"),
             ("POST", "/tickets", {"kind": "complaint", "caller": "12345"}, "caller"),
             ("POST", "/tickets", {"kind": "complaint"}, "caller"),
             ("POST", "/tickets", {"kind": "complaint", "caller": "13800138000", "customer_id": 99},
              "customer_id")]
    for method, path, body, field in cases:
        resp = api(client, api_token, method, path, body)
        assert resp.status == 400 and resp.json["error"]["field"] == field, (path, body, resp.json)
        assert unchanged(ticket) == before and Ticket.select().count() == count
    for path in ("/tickets/2611309999", "/tickets/2611309999/history"):
        assert api(client, api_token, "GET", path).status == 404
    missing = api(client, api_token, "POST", "/tickets/2611309999/note", {"text": "x"})
    assert missing.status == 404 and missing.json["error"]["field"] == "ticket"
    assert api(client, api_token, "GET", "/tickets?since=2026-13-01").json["error"]["field"] == "since"


def test_a_role_that_may_not_handle_tickets_reads_them_masked(client, api_token, web_db):
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    _, auditor = tokens.create_token("auditor", "auditor")
    assert api(client, auditor, "GET", f"/tickets/{ticket.number}").json["caller"] == "+86138****8000"
    assert api(client, api_token, "GET", f"/tickets/{ticket.id}").json["caller"] == "+8613800138000"
    before = unchanged(ticket)
    refused = api(client, auditor, "POST", f"/tickets/{ticket.number}/note", {"text": "看过"})
    assert refused.status == 403 and unchanged(ticket) == before


def ids(client, token, query):
    resp = api(client, token, "GET", "/tickets" + urllib.parse.quote(query, safe="?=&"))
    return [t["id"] for t in resp.json["items"]]


def test_the_list_filters(client, api_token, desk, web_config, capsys):
    day = datetime.datetime(2026, 11, 20, 2, 0)  # 10:00 in the box's zone
    old = tickets.open_ticket("complaint", "sms", number="13800138000", now=day)
    late = tickets.open_ticket("callback", "ivr", number="13900139001", now=day + datetime.timedelta(days=3))
    mine = tickets.open_ticket("inquiry", "web", number="13700137000", now=day + datetime.timedelta(days=5))
    Ticket.update(due_at=clock.now() - datetime.timedelta(hours=1)).where(Ticket.id.in_([old.id, late.id])).execute()
    Ticket.update(due_at=clock.now() + datetime.timedelta(hours=1)).where(Ticket.id == mine.id).execute()
    assert api(client, api_token, "POST", f"/tickets/{mine.number}/assign",
               {"department": str(desk.id), "assignee": "li"}).status == 200
    assert api(client, api_token, "POST", f"/tickets/{late.number}/answer", {"text": "已回电"}).status == 200
    assert ids(client, api_token, "") == [mine.id, late.id, old.id]
    assert ids(client, api_token, "?kind=callback") == [late.id]
    assert ids(client, api_token, "?source=web") == [mine.id]
    assert ids(client, api_token, "?status=answered") == [late.id]
    assert ids(client, api_token, f"?department={desk.id}") == ids(client, api_token, "?department=客户服务部")
    assert ids(client, api_token, "?department=客户服务部") == [mine.id]
    assert ids(client, api_token, "?assignee=li") == [mine.id]
    assert ids(client, api_token, "?overdue=true") == [old.id]  # the answered one waits no longer
    assert ids(client, api_token, "?overdue=false") == [mine.id, late.id, old.id]
    for form in ("8000", "+86 138-0013-8000", "008613800138000", old.number, old.number[-4:]):
        assert ids(client, api_token, f"?number={form}") == [old.id], form
    assert ids(client, api_token, "?since=2026-11-23&until=2026-11-23") == [late.id]
    assert ids(client, api_token, "?since=2026-11-21") == [mine.id, late.id]
    assert ids(client, api_token, "?until=2026-11-20") == [old.id]
    first = api(client, api_token, "GET", "/tickets?limit=2").json
    assert len(first["items"]) == 2 and ids(client, api_token, f"?before={first['next_before']}") == [old.id]
    listed = api(client, api_token, "GET", "/tickets?overdue=1").json["items"][0]
    assert listed["overdue"] is True and listed["department"] == ""
    # `appliance tickets list` is the same query and serialiser.
    for argv, query in ((["--department", "客户服务部"], "?department=客户服务部"), (["--overdue"], "?overdue=1"),
                        (["--number", "8000"], "?number=8000"), (["--since", "2026-11-21"], "?since=2026-11-21")):
        assert cli_ids(web_config, capsys, argv) == ids(client, api_token, query), argv
    with pytest.raises(InputError) as refused:  # exit 2 naming it, in cli.main
        cli_ids(web_config, capsys, ["--since", "2026-13-01"])
    assert refused.value.field == "since"


def cli_ids(config, capsys, argv):
    """`appliance tickets list --json …` on the server's own database (cli.main would open it again)."""
    args = cli.build_parser().parse_args(["tickets", "list", "--json", *argv])
    assert args.handler(args, config) == 0
    return [t["id"] for t in json.loads(capsys.readouterr().out)["tickets"]]
