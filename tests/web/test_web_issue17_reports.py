"""Issue 17's reports on the admin page (letters against SMS and calls, collection after
reminders, campaign effect and surveys, delivery and answer rates): the known data set of
tests/report_support.py shown in Chinese, with its chart, and exported as CSV and XLSX read
back (csv module, openpyxl) and matched with figures worked out by hand; bad input named in
Chinese with a 400; operators refused."""
import csv
import http.client
import io
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest
from report_support import build
from web_support import Client, make_user

RANGE = "from=2026-11-01&to=2026-11-30"
LETTERS = [["渠道", "续期通知", "短信条数、通话分钟或邮件数", "费用（元）", "按信函计（元）", "节省（元）"],
           ["短信", "6", "7", "0.40", "7.20", "6.80"], ["语音电话", "3", "3", "0.30", "3.60", "3.30"],
           ["电子邮件", "2", "2", "0.00", "2.40", "2.40"], ["合计", "11", "12", "0.70", "13.20", "12.50"]]
COLLECTION_HEAD = ["渠道", "应缴保费笔数", "应收金额（元）", "已提醒", "提醒后按期缴费", "实收金额（元）", "提醒后缴费率"]
COLLECTION = [["短信", "5", "3800.00", "5", "2", "2200.00", "0.4000"],
              ["语音电话", "5", "3800.00", "2", "1", "1200.00", "0.5000"],
              ["电子邮件", "5", "3800.00", "2", "1", "1000.00", "0.5000"],
              ["任一渠道提醒", "5", "3800.00", "5", "2", "2200.00", "0.4000"]]


@pytest.fixture
def known(web_db):
    return build()


def download(client, path):
    """The raw bytes and headers of a download (the test Client decodes text)."""
    conn = http.client.HTTPConnection(client.host, client.port, timeout=30)
    conn.request("GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 200, (path, resp.status, body[:300])
    return body, resp


def csv_sections(body):
    """The CSV's tables: [(title, header and rows)], split at the blank lines."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    sections, current = [], []
    for row in csv.reader(io.StringIO(text[1:])):
        if not row:
            sections.append(current)
            current = []
        else:
            current.append(row)
    sections.append(current)
    return [(s[0][0], s[1:]) for s in sections]


def xlsx_sheets(body):
    book = openpyxl.load_workbook(io.BytesIO(body))
    return {sheet.title: [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def table_cells(html, name):
    section = re.search(rf'<section class="card" id="table-{name}">(.*?)</section>', html, re.DOTALL).group(1)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)]
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.DOTALL)]


def test_letters_page_csv_and_xlsx(known, admin_client):
    resp = admin_client.get(f"/reports/letters?{RANGE}")
    assert resp.status == 200
    html = resp.text
    assert "<h1>信函与短信、电话对比</h1>" in html, re.findall("<h1>.*?</h1>", html)
    assert table_cells(html, "letters") == LETTERS
    assert "信函: ¥1.20 · 通话每分钟: ¥0.10 · 电子邮件: ¥0.00" in html
    svg = ET.fromstring(re.search(r'<section class="card" id="report-chart-0">.*?(<svg .*?</svg>)', html,
                                  re.DOTALL).group(1))
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert labels == ["按信函计", "¥13.20", "短信", "¥0.40", "语音电话", "¥0.30", "电子邮件", "¥0.00"]
    body, resp = download(admin_client, f"/reports/letters.csv?{RANGE}")
    assert resp.getheader("Content-Type").startswith("text/csv")
    assert csv_sections(body) == [("续期通知：信函与短信、电话的费用对比", LETTERS)]
    body, resp = download(admin_client, f"/reports/letters.xlsx?{RANGE}")
    assert "spreadsheetml" in resp.getheader("Content-Type")
    sheet = xlsx_sheets(body)["letters"]
    assert sheet[0] == ["续期通知：信函与短信、电话的费用对比"] + [""] * 5 and sheet[1] == LETTERS[0]
    assert [[str(v) for v in row] for row in sheet[2:]] == [
        ["短信", "6", "7", "0.4", "7.2", "6.8"], ["语音电话", "3", "3", "0.3", "3.6", "3.3"],
        ["电子邮件", "2", "2", "0", "2.4", "2.4"], ["合计", "11", "12", "0.7", "13.2", "12.5"]]


def test_collection_page_csv_and_xlsx_with_days(known, admin_client):
    html = admin_client.get(f"/reports/collection?{RANGE}").text
    assert table_cells(html, "by_channel") == [COLLECTION_HEAD] + [
        row[:-1] + [f"{float(row[-1]) * 100:.2f}%" if row[-1] else "—"] for row in COLLECTION]
    agents = table_cells(html, "by_agent")
    assert [row[0] for row in agents] == ["业务员", "（无业务员）", "A001 王芳", "A002 李强"]
    sections = csv_sections(download(admin_client, f"/reports/collection.csv?{RANGE}")[0])
    assert [title for title, _ in sections] == ["应缴保费及提醒后缴费（按渠道）", "按营业部", "按业务员"]
    assert sections[0][1] == [COLLECTION_HEAD] + COLLECTION
    assert sections[1][1][1:] == [["（无营业部）", "1", "300.00", "1", "0", "0.00", "0.0000"],
                                  ["城东营业部", "2", "1500.00", "2", "1", "1000.00", "0.5000"],
                                  ["城西营业部", "2", "2000.00", "2", "1", "1200.00", "0.5000"]]
    sheets = xlsx_sheets(download(admin_client, f"/reports/collection.xlsx?{RANGE}&days=30")[0])
    assert list(sheets) == ["by_channel", "by_branch", "by_agent"]
    assert sheets["by_channel"][2] == ["短信", 5, 3800.0, 5, 4, 3300.0, 0.8]


def test_campaign_and_rate_pages_and_exports(known, admin_client):
    html = admin_client.get(f"/reports/campaigns?{RANGE}").text
    assert table_cells(html, "effect")[1:] == [
        ["十一月满意度", "短信", "短信调查", "4", "3", "75.00%", "3", "100.00%", "0.25"],
        ["邮件推广", "电子邮件", "群发", "2", "1", "50.00%", "0", "0.00%", "0.00"],
        ["续期语音提醒", "语音电话", "语音通知", "3", "2", "66.67%", "1", "50.00%", "0.30"],
        ["电话回访问卷", "语音电话", "电话调查", "3", "2", "66.67%", "2", "100.00%", "0.30"]]
    reached = ET.fromstring(re.search(r'<section class="card" id="report-chart-0">.*?(<svg .*?</svg>)', html,
                                      re.DOTALL).group(1))
    assert [t.text for t in reached.iter("{http://www.w3.org/2000/svg}text")] == [
        "十一月满意度 · 短信", "3", "邮件推广 · 电子邮件", "1", "续期语音提醒 · 语音电话", "2", "电话回访问卷 · 语音电话", "2"]
    assert "电话回访问卷 · 您对本次服务满意吗？ · 是" in html  # the survey chart: campaign, question, answer
    surveys = csv_sections(download(admin_client, f"/reports/campaigns.csv?{RANGE}")[0])[1][1]
    assert surveys[6:8] == [["电话回访问卷", "语音电话", "您对本次服务满意吗？", "是", "1", "0.5000"],
                            ["电话回访问卷", "语音电话", "您对本次服务满意吗？", "否", "1", "0.5000"]]
    week = "from=2026-11-01&to=2026-11-07&step=week"
    html = admin_client.get(f"/reports/rates?{week}").text
    assert table_cells(html, "rates")[1:] == [["2026-W44", "1", "0", "0.00%", "0", "0", "—", "0", "0", "—"],
                                              ["2026-W45", "7", "6", "85.71%", "4", "2", "50.00%", "2", "1", "50.00%"]]
    sheet = xlsx_sheets(download(admin_client, f"/reports/rates.xlsx?{week}")[0])["rates"]
    assert sheet[2:] == [["2026-W44", 1, 0, 0.0, 0, 0, "", 0, 0, ""], ["2026-W45", 7, 6, 0.8571, 4, 2, 0.5, 2, 1, 0.5]]


@pytest.mark.parametrize("query, words", [("from=2026-11-31", "from：应为"), ("from=2026-12-02&to=2026-12-01", "from："),
                                          ("days=abc", "days：必须是 0 到 365 之间的整数"),
                                          ("step=month", "step：必须是 day 或 week")])
def test_bad_input_is_named_in_chinese(known, admin_client, query, words):
    path = "/reports/rates" if "step" in query else "/reports/collection"
    resp = admin_client.get(f"{path}?{query}")
    assert resp.status == 400
    error = re.search(r'<p class="flash error" id="report-error">([^<]*)</p>', resp.text).group(1)
    assert error.startswith("输入有误") and words in error, error


def test_operators_may_not_see_the_reports(known, server):
    make_user("olga", "operator")
    operator = Client(server)
    operator.sign_in("olga")
    for path in ("/reports/letters", "/reports/collection.csv", "/reports/rates.xlsx"):
        assert operator.get(path).status == 403


def test_the_api_gives_the_same_figures(known, client):
    from appliance import tokens
    auditor = tokens.create_token("assessment", "auditor")[1]
    operator = tokens.create_token("core-system", "operator")[1]
    resp = client.api("GET", f"/api/v1/reports/letters?{RANGE}", auditor)
    assert resp.status == 200 and resp.json["report"] == "letters" and resp.json["from"] == "2026-11-01"
    assert resp.json["tables"]["letters"][-1] == {"channel": "total", "notices": 11, "units": 12, "cost": "0.70",
                                                  "letter_cost": "13.20", "saving": "12.50"}
    data = client.api("GET", f"/api/v1/reports/collection?{RANGE}&days=30", auditor).json
    assert data["days"] == 30 and data["tables"]["by_channel"][0] == {
        "group": "sms", "dues": 5, "amount_due": "3800.00", "reminded": 5, "paid_within": 4,
        "paid_amount": "3300.00", "rate": "0.8000"}
    data = client.api("GET", "/api/v1/reports/rates?from=2026-11-01&to=2026-11-07&step=week", auditor).json
    assert [r["period"] for r in data["tables"]["rates"]] == ["2026-W44", "2026-W45"] and data["step"] == "week"
    assert client.api("GET", f"/api/v1/reports/campaign-effect?{RANGE}", auditor).json["tables"]["surveys"][3] == {
        "campaign": "十一月满意度", "channel": "sms", "question": "您对服务满意吗？", "answer": "4", "count": 1,
        "share": "0.3333"}
    refused = client.api("GET", "/api/v1/reports/letters?from=2026-12-01&to=2026-11-30", auditor)
    assert refused.status == 400 and refused.json["error"]["field"] == "from"
    assert client.api("GET", f"/api/v1/reports/letters?{RANGE}", operator).status == 403
