"""What the JSON API refuses, over HTTP: odd numbers (NaN, Infinity, 1e999999,
integers past 64 bits) in bodies, paths and queries answered 400 naming the field
and never stored; months and dates that do not exist; methods a path does not
take (405 with Allow); and concurrent upserts that all succeed."""
import json
import threading

from web_support import Client

from appliance import tokens
from appliance.models import AuditLog, Customer, Policy


def raw(client, method, path, token, text):
    resp = client.request(method, path, text.encode(), {"Authorization": f"Bearer {token}",
                                                        "Content-Type": "application/json"})
    resp.json = json.loads(resp.text)
    return resp


def test_odd_numbers_in_a_body_are_refused_naming_the_field(client, api_token):
    for number in ("NaN", "Infinity", "-Infinity", "1e999999", "123456789012345678901234", "9223372036854775808",
                   '"NaN"', '"Infinity"', '"1e999999"', "1" + "0" * 5000):
        resp = raw(client, "PUT", "/api/v1/policies/P1", api_token,
                   '{"premium": %s, "holder_no": "C1", "product_code": "X"}' % number)
        assert resp.status == 400, (number, resp.text)
        assert resp.json["error"]["field"] == "premium", number
    nested = raw(client, "POST", "/api/v1/events", api_token,
                 '{"type": "premium_due", "policy_no": "P1", "variables": {"a": [1, NaN]}}')
    assert nested.status == 400 and nested.json["error"]["field"] == "variables.a[1]"
    payment = raw(client, "POST", "/api/v1/payments", api_token,
                  '{"policy_no": "P1", "amount": 1e400, "paid_on": "2026-01-05"}')
    assert payment.status == 400 and payment.json["error"]["field"] == "amount"
    assert Policy.select().count() == 0
    assert not AuditLog.select().where(AuditLog.action.startswith("policies.")).exists()


def test_odd_numbers_in_paths_and_queries_are_refused(client, web_db):
    api_token = tokens.create_token("reports", "admin")[1]
    for path, name in (("/api/v1/messages/99999999999999999999", "message_id"),
                       ("/api/v1/messages/9223372036854775808", "message_id"),
                       ("/api/v1/messages/" + "9" * 5000, "message_id"),
                       ("/api/v1/messages/x", "message_id"),
                       ("/api/v1/surveys/18446744073709551616", "campaign_id"),
                       ("/api/v1/calls?before=99999999999999999999", "before"),
                       ("/api/v1/messages?limit=NaN", "limit"),
                       ("/api/v1/reports/statement?month=0000-00", "month"),
                       ("/api/v1/reports/statement?month=2026-13", "month"),
                       ("/api/v1/messages?since=2026-02-30", "since"),
                       ("/api/v1/tickets?status=", "status")):
        resp = client.api("GET", path, api_token)
        assert resp.status == 400, (path, resp.text)
        assert resp.json["error"]["field"] == name, path
    assert client.api("GET", "/api/v1/reports/statement?month=2026-12", api_token).status == 200


def test_a_method_a_path_does_not_take_is_405_with_allow(client, api_token):
    resp = client.api("DELETE", "/api/v1/me", api_token)
    assert resp.status == 405 and resp.getheader("Allow") == "GET, HEAD"
    resp = client.api("OPTIONS", "/api/v1/messages/1", api_token)
    assert resp.status == 405 and resp.getheader("Allow") == "GET, HEAD"
    assert client.api("GET", "/api/v1/nothing", api_token).status == 404
    assert client.api("DELETE", "/api/v1/me").status == 401  # without a token, nothing is revealed


def test_eight_clients_upserting_at_once_all_succeed(server, api_token):
    results, lock = [], threading.Lock()

    def work(worker):
        client = Client(server)
        for i in range(25):  # the same 20 customers from every client, and one of its own
            key = f"C{i % 20}" if i < 24 else f"W{worker}"
            resp = client.api("PUT", f"/api/v1/customers/{key}", api_token,
                              {"name": f"客户{worker}", "mobile": f"138001380{i % 20:02d}"})
            with lock:
                results.append((resp.status, resp.text))
    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    statuses = [status for status, _ in results]
    assert len(statuses) == 200
    assert set(statuses) <= {200, 201}, [r for r in results if r[0] not in (200, 201)][:3]
    assert statuses.count(201) == 28  # each key created once
    assert Customer.select().count() == 28
