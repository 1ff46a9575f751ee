"""Ticket figures over the API (JSON and CSV, as its document says) and on the admin page
(charts and a table, in Chinese; CSV download), on the known data set of
tests/ticket_figures_support.py, for the roles that see reports only."""
import csv
import datetime
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from ticket_figures_support import load_known
from web_support import Client, make_user

from appliance import tokens
from appliance.tickets import figures
from web.api import check_schema, json_default, openapi_document

SVG = "{http://www.w3.org/2000/svg}"
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


def sections(html):
    """{section id: its well-formed SVG} of the page's charts."""
    return {m.group(1): ET.fromstring(m.group(2)) for m in
            re.finditer(r'<section class="card" id="(chart-[\w-]+)">(?:(?!</section>).)*?(<svg .*?</svg>)', html, re.S)}


def bars(svg):
    """{label: the bar's value} of a horizontal bar chart, from the bars' tooltips."""
    return dict(rect.find(f"{SVG}title").text.rsplit(": ", 1) for rect in svg.iter(f"{SVG}rect"))


def test_page_shows_the_figures_in_charts_and_a_table_in_chinese(known, server):
    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    html = auditor.get(f"/tickets/figures?{WEEKS}").text
    assert "<h1>工单统计</h1>" in html and 'href="/tickets/figures"' in html  # in the menu
    assert "<label>起始日期<input" in html and "<label>结束日期<input" in html
    svgs = sections(html)
    opened = [r.find(f"{SVG}title").text for r in svgs["chart-opened"].iter(f"{SVG}rect")]
    assert opened == ["2026-W46: 4", "2026-W47: 1"]
    rates = [c.find(f"{SVG}title").text for c in svgs["chart-opened"].iter(f"{SVG}circle")]
    assert rates == ["2026-W46: 按时答复 100.0%", "2026-W47: 按时答复 0.0%"]
    assert bars(svgs["chart-sla"]) == {"按时答复": "1", "超时答复": "1", "已超时未答复": "1"}
    assert bars(svgs["chart-kind"]) == {"投诉": "2", "回电请求": "1", "业务员拜访报告": "1", "告警": "1"}
    assert bars(svgs["chart-source"]) == {"短信": "1", "语音导航": "2", "管理页面": "1", "本设备自动": "1"}
    assert bars(svgs["chart-department"]) == {"（未填部门）": "3", "客服部": "1", "理赔部": "1"}
    assert bars(svgs["chart-handler"]) == {"（未指定处理人）": "3", "alice": "1", "bob": "1"}
    assert bars(svgs["chart-answers"]) == {"alice": "2", "bob": "2", "carol": "1"}
    assert bars(svgs["chart-agents"]) == {"A001 张三": "2"}
    assert bars(svgs["chart-complaint-departments"]) == {"客服部": "1", "理赔部": "1"}
    assert bars(svgs["chart-backlog"]) == {"3 至 7 天": "1", "7 天以上": "2"}  # at W47's end
    row = re.search(r'<tr id="period-2026-W47">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "1", "0", "1", "0", "0", "3", "2"]
    assert 'style="' not in html.split("<main>")[1]  # the CSP forbids inline styles
    csv_link = re.search(r'<a href="([^"]+)" id="figures-csv">', html).group(1).replace("&amp;", "&")
    download = auditor.get(csv_link)
    assert download.status == 200 and download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.text.startswith("\ufeffperiod,first,last,")  # for Excel
    data = figures.figures("week", datetime.date(2026, 11, 9), datetime.date(2026, 11, 22))
    assert list(csv.reader(io.StringIO(download.text)))[1:] == [[str(v) for v in r] for r in figures.csv_rows(data)]


def test_page_names_a_bad_field_in_chinese_and_is_refused_to_operators(web_db, server, admin_client):
    resp = admin_client.get("/tickets/figures?period=week&from=2026-11-22&to=2026-11-09")
    assert resp.status == 400
    error = re.search(r'<p class="flash error" id="figures-error">(.*?)</p>', resp.text).group(1)
    assert error == "输入有误: from：2026-11-22 晚于结束日期（2026-11-09）"
    assert 'value="2026-11-22"' in resp.text  # the form keeps what was given
    resp = admin_client.get("/tickets/figures?from=2026-02-30")
    assert resp.status == 400 and "from：应为 年-月-日（YYYY-MM-DD）格式的日期" in resp.text, resp.text[-3000:]
    empty = admin_client.get("/tickets/figures?period=month&from=2026-01-01&to=2026-02-01").text
    assert "所选周期内没有工单。" in empty and list(sections(empty)) == ["chart-opened"]
    make_user("olga", "operator")
    operator = Client(server)
    operator.sign_in("olga")
    assert operator.get("/tickets/figures").status == 403
    assert operator.get("/tickets/figures.csv").status == 403
    assert 'href="/tickets/figures"' not in operator.get("/").text
