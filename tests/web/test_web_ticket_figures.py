"""Ticket figures over the API (JSON and CSV, as its document says) and on the admin page
(charts and a table, in Chinese; CSV download), on the known data set of
tests/ticket_figures_support.py, for the roles that see reports only."""
import csv
import datetime
import io
import json

import pytest
from ticket_figures_support import load_known

from appliance import tokens
from appliance.tickets import figures
from web.api import check_schema, json_default, openapi_document

WEEKS = "period=week&from=2026-11-09&to=2026-11-22"  # W46 and W47: past, whatever the day the test runs


@pytest.fixture
def known(web_db):
    return load_known()


@pytest.fixture
def auditor_token(web_db):
    return tokens.create_token("assessment", "auditor")[1]


def expected(period="week", first=datetime.date(2026, 11, 9), last=datetime.date(2026, 11, 22)):
    """The domain's figures as the API serialises them (as_of left out: a different now)."""
    data = json.loads(json.dumps(figures.figures(period, first, last), default=json_default))
    data.pop("as_of")
    return data


def test_api_figures_are_the_domains_and_keep_to_the_document(known, client, auditor_token):
    resp = client.api("GET", f"/api/v1/tickets/figures?{WEEKS}", token=auditor_token)
    assert resp.status == 200, resp.text
    body = resp.json
    w46, w47 = body["periods"]
    assert (w46["label"], w46["start"], w46["end"]) == ("2026-W46", "2026-11-09T00:00:00+08:00",
                                                        "2026-11-16T00:00:00+08:00")
    assert (w47["opened"], w47["sla"]["missed"], w47["answered_by"]) == (1, 1, {"bob": 2, "carol": 1})
    assert w46["backlog"]["by_age"] == {"0-1d": 0, "1-3d": 1, "3-7d": 1, "7d+": 1}
    assert w46["complaints_by_agent"][0]["name"] == "张三"
    assert {k: v for k, v in body.items() if k != "as_of"} == expected()
    operation = openapi_document()["paths"]["/tickets/figures"]["get"]
    check_schema(body, operation["responses"]["200"]["content"]["application/json"]["schema"], "response")
    assert operation["x-permission"] == "reports"
    months = client.api("GET", "/api/v1/tickets/figures?period=month&from=2026-11-01&to=2026-11-01",
                        token=auditor_token).json
    assert [p["label"] for p in months["periods"]] == ["2026-11"] and months["periods"][0]["opened"] == 9


def test_api_figures_as_csv(known, client, auditor_token):
    resp = client.get(f"/api/v1/tickets/figures.csv?{WEEKS}", headers={"Authorization": f"Bearer {auditor_token}"})
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "ticket-figures-week-2026-11-09-2026-11-22.csv" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.text)))
    assert rows[0] == list(figures.CSV_HEADER)
    data = figures.figures("week", datetime.date(2026, 11, 9), datetime.date(2026, 11, 22))
    assert rows[1:] == [[str(v) for v in row] for row in figures.csv_rows(data)]
    assert ["2026-W47", "2026-11-16", "2026-11-22", "sla_handler", "bob", "missed", "1"] in rows
    assert "text/csv" in openapi_document()["paths"]["/tickets/figures.csv"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("query, field", [
    ("period=day", "period"), ("from=2026-11-22&to=2026-11-09", "from"), ("from=2026-02-30", "from"),
    ("to=yesterday", "to"), ("period=month&from=2000-01-01&to=2026-11-01", "from"), ("form=2026-11-01", "form"),
])
def test_api_refuses_bad_input_naming_the_field(web_db, client, auditor_token, query, field):
    for path in ("/api/v1/tickets/figures", "/api/v1/tickets/figures.csv"):
        resp = client.api("GET", f"{path}?{query}", token=auditor_token)
        assert resp.status == 400 and resp.json["error"]["field"] == field, resp.text


def test_api_figures_only_for_roles_that_see_reports(web_db, client, api_token):
    for path in ("/api/v1/tickets/figures", "/api/v1/tickets/figures.csv"):
        assert client.api("GET", path, token=api_token).status == 403  # an operator's token
        assert client.api("GET", path).status == 401
