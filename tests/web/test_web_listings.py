"""The listings (message history, inbox, calls, tickets): one query and one serialiser
each, so the page, the API and the command line give the same rows for the
same filter; every filter of a page is an API parameter and narrows the result."""
import datetime
import json
import re

import pytest

from appliance import tokens
from appliance.ivr import tickets
from appliance.ivr.models import Call
from appliance.services.models import InboundRoute
from appliance.sms.models import InboundMessage, Message, MessagePart
from appliance.tickets import lifecycle

DAY = datetime.datetime(2026, 11, 20, 10, 0)


@pytest.fixture
def messages(web_db):
    """Five messages differing in one filter each from the first."""
    def add(to, state="delivered", category="service", days=0):
        at = DAY + datetime.timedelta(days=days)
        message = Message.create(to_number=to, text=f"{state} {category} {to}", state=state, category=category,
                                 created_at=at, updated_at=at)
        MessagePart.create(message=message, seq=1, state=state)
        return message.id
    return {"base": add("+8613800138000"), "failed": add("+8613800138000", state="failed"),
            "marketing": add("+8613800138000", category="marketing"), "other": add("+8613900139000"),
            "later": add("+8613800138000", days=3)}


@pytest.fixture
def inbound(web_db):
    new = InboundMessage.create(from_number="+8613912345678", text="查询保单")
    handled = InboundMessage.create(from_number="+8613912345679", text="谢谢", state="handled")
    InboundRoute.create(inbound=handled, action="ticket", detail="ticket 2611200001")
    deleted = InboundMessage.create(from_number="+8613912345670", text="广告", state="deleted")
    return {"new": new.id, "handled": handled.id, "deleted": deleted.id}


def api_ids(client, token, path):
    resp = client.api("GET", path, token=token)
    assert resp.status == 200, resp.text
    return [item["id"] for item in resp.json["items"]]


def page_ids(admin_client, path, link):
    html = admin_client.page(path).text
    return [int(i) for i in re.findall(rf'<a href="/{link}/(\d+)"', html)]


def cli_ids(run_cli, config_file, *args):
    result = run_cli(*args, "--json", config_path=config_file)
    assert result.returncode == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


@pytest.mark.parametrize("query, expected", [
    ("", ["later", "other", "marketing", "failed", "base"]),
    ("state=failed", ["failed"]),
    ("category=marketing", ["marketing"]),
    ("to=139%200013%209000", ["other"]),
    ("since=2026-11-21", ["later"]),
    ("until=2026-11-20&to=13800138000&state=delivered&category=service", ["base"]),
])
def test_each_message_filter_narrows_the_api_result(client, api_token, messages, query, expected):
    assert api_ids(client, api_token, f"/api/v1/messages?{query}") == [messages[k] for k in expected]


def test_page_api_and_cli_give_the_same_messages_for_the_same_filter(admin_client, client, api_token, messages,
                                                                     run_cli, config_file):
    page = page_ids(admin_client, "/history?to=13800138000&until=2026-11-21", "history")
    assert page == [messages[k] for k in ("marketing", "failed", "base")]
    assert api_ids(client, api_token, "/api/v1/messages?to=13800138000&until=2026-11-21") == page
    assert cli_ids(run_cli, config_file, "outbox", "--to", "13800138000", "--until", "2026-11-21") == page


def test_message_listing_pages_and_masks_as_the_pages_do(client, api_token, messages):
    first = client.api("GET", "/api/v1/messages?limit=2", token=api_token).json
    assert [m["id"] for m in first["items"]] == [messages["later"], messages["other"]]
    rest = client.api("GET", f"/api/v1/messages?before={first['next_before']}", token=api_token).json
    assert [m["id"] for m in rest["items"]] == [messages[k] for k in ("marketing", "failed", "base")]
    assert rest["next_before"] is None and rest["items"][0]["parts"][0]["state"] == "delivered"
    assert first["items"][1]["to_number"] == "+8613900139000"  # operators see mobiles
    _, auditor = tokens.create_token("auditor", "auditor")
    masked = client.api("GET", "/api/v1/messages?limit=1", token=auditor).json["items"]
    assert masked[0]["to_number"] == "+86138****8000"


@pytest.mark.parametrize("path, field", [
    ("/api/v1/messages?state=lost", "state"), ("/api/v1/messages?category=spam", "category"),
    ("/api/v1/messages?to=12345", "to"), ("/api/v1/messages?since=yesterday", "since"),
    ("/api/v1/messages?until=2026-02-30", "until"), ("/api/v1/inbox?state=unread", "state"),
    ("/api/v1/calls?outcome=exploded", "outcome"), ("/api/v1/calls?since=2026-13-01", "since"),
    ("/api/v1/tickets?status=done", "status"), ("/api/v1/tickets?kind=praise", "kind"),
])
def test_a_bad_filter_is_400_naming_the_field(client, api_token, web_db, path, field):
    resp = client.api("GET", path, token=api_token)
    assert resp.status == 400, resp.text
    assert resp.json["error"]["field"] == field


def test_history_page_shows_a_bad_filter_above_an_empty_table(admin_client, messages):
    html = admin_client.page("/history?until=2026-02-30").text
    assert "until" in html and "/history/" not in html.split('id="history"')[1]


def test_inbox_filters_and_the_same_rows_everywhere(admin_client, client, api_token, inbound, run_cli, config_file):
    everything = [inbound[k] for k in ("deleted", "handled", "new")]
    assert api_ids(client, api_token, "/api/v1/inbox") == everything
    assert cli_ids(run_cli, config_file, "inbox") == everything
    for state, expected in (("new", ["new"]), ("handled", ["handled"]), ("deleted", ["deleted"]),
                            ("all", ["handled", "new"])):
        ids = [inbound[k] for k in expected]
        assert api_ids(client, api_token, f"/api/v1/inbox?state={state}") == ids
        assert cli_ids(run_cli, config_file, "inbox", "--state", state) == ids
        if state != "deleted":  # the page has no tab for deleted messages
            assert page_ids(admin_client, f"/inbox?view={state}", "inbox") == ids


def test_inbox_items_say_how_each_was_handled_and_mask_for_auditors(client, api_token, inbound):
    items = {m["id"]: m for m in client.api("GET", "/api/v1/inbox", token=api_token).json["items"]}
    assert items[inbound["handled"]]["handled_as"] == "ticket"
    assert items[inbound["handled"]]["detail"] == "ticket 2611200001"
    assert items[inbound["new"]]["handled_as"] is None and items[inbound["new"]]["reply_id"] is None
    assert items[inbound["new"]]["from_number"] == "+8613912345678"
    _, viewer = tokens.create_token("viewer", "operator")
    assert client.api("GET", "/api/v1/inbox?limit=1", token=viewer).json["next_before"] == inbound["deleted"]


def test_call_filters_narrow_the_api_result(client, api_token, web_db, run_cli, config_file):
    early = Call.create(caller_id="+8613800138000", outcome="completed", started_at=DAY)
    late = Call.create(caller_id="+8613900139000", outcome="completed", script="notify",
                       started_at=DAY + datetime.timedelta(days=2))
    hung_up = Call.create(caller_id="+8613800138000", outcome="caller_hung_up",
                          started_at=DAY + datetime.timedelta(days=1))
    assert api_ids(client, api_token, "/api/v1/calls") == [hung_up.id, late.id, early.id]
    assert api_ids(client, api_token, "/api/v1/calls?outcome=completed") == [late.id, early.id]
    assert api_ids(client, api_token, "/api/v1/calls?caller=%2B8613800138000") == [hung_up.id, early.id]
    assert api_ids(client, api_token, "/api/v1/calls?script=notify") == [late.id]
    assert api_ids(client, api_token, "/api/v1/calls?since=2026-11-21") == [hung_up.id, late.id]
    assert api_ids(client, api_token, "/api/v1/calls?until=2026-11-21T10:00") == [early.id]
    assert cli_ids(run_cli, config_file, "calls", "--outcome", "completed", "--since", "2026-11-20",
                   "--until", "2026-11-21") == [early.id]


def test_call_filter_takes_the_caller_in_any_form(client, api_token, web_db):
    national = Call.create(caller_id="13800138000", outcome="completed", started_at=DAY)  # as Asterisk gave it
    e164 = Call.create(caller_id="+8613800138000", outcome="completed", started_at=DAY)
    Call.create(caller_id="13900139000", outcome="completed", started_at=DAY)
    for form in ("%2B8613800138000", "13800138000", "%2B86%20138%200013%208000", "8613800138000"):
        assert api_ids(client, api_token, f"/api/v1/calls?caller={form}") == [e164.id, national.id], form
    withheld = Call.create(caller_id="anonymous", outcome="completed", started_at=DAY)
    assert api_ids(client, api_token, "/api/v1/calls?caller=anonymous") == [withheld.id]


def test_openapi_describes_the_listing_filters(client, api_token):
    doc = client.api("GET", "/api/v1/openapi.json", token=api_token).json
    params = {path: {p["name"] for p in doc["paths"][path]["get"]["parameters"]}
              for path in ("/messages", "/inbox", "/calls", "/tickets")}
    assert params["/messages"] == {"limit", "before", "state", "category", "to", "since", "until"}
    assert params["/inbox"] == {"limit", "before", "state"}
    assert params["/calls"] == {"limit", "before", "caller", "outcome", "script", "since", "until"}
    assert params["/tickets"] == {"limit", "before", "status", "kind", "source", "department", "assignee",
                                  "overdue", "number", "since", "until"}


def test_ticket_filters_and_the_same_rows_on_the_page(admin_client, client, api_token, web_db):
    complaint = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    callback = tickets.open_ticket("callback", "ivr", number="13900139000")
    closed = tickets.open_ticket("callback", "ivr", number="13900139001")
    lifecycle.close(lifecycle.answer(closed, by="root", text="已回电"), by="root")
    assert api_ids(client, api_token, "/api/v1/tickets") == [closed.id, callback.id, complaint.id]
    assert api_ids(client, api_token, "/api/v1/tickets?kind=complaint") == [complaint.id]
    assert api_ids(client, api_token, "/api/v1/tickets?source=ivr") == [closed.id, callback.id]
    assert api_ids(client, api_token, "/api/v1/tickets?status=new&source=ivr") == [callback.id]
    html = admin_client.page("/tickets?status=new").text
    numbers = re.findall(r'<tr data-ticket="\d+"><td><a href="/tickets/\d+">(\d+)</a>', html)
    assert numbers == [callback.number, complaint.number]
    _, auditor = tokens.create_token("auditor", "auditor")
    masked = client.api("GET", "/api/v1/tickets?kind=complaint", token=auditor).json["items"]
    assert masked[0]["caller"] == "+86138****8000"
