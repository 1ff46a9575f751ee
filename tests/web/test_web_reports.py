"""The reports page: charts drawn on the box as inline SVG, well-formed, one bar
per day with sent parts, texts escaped; auditors may view it, operators not."""
import datetime
import re
import xml.etree.ElementTree as ET

from web_support import Client, make_user

from appliance.sms.models import Message, MessagePart

SVG = "{http://www.w3.org/2000/svg}"


def sent(day, state="delivered", parts=1, reason="", department="理赔部", number="+8613800138000"):
    at = datetime.datetime.combine(day, datetime.time(10, 0))
    message = Message.create(to_number=number, text="您好", part_count=parts, state=state, created_at=at,
                             sent_at=at, failure_reason=reason, department=department)
    for seq in range(1, parts + 1):
        MessagePart.create(message=message, seq=seq, state=state, sent_at=at)
    return message


def charts(html):
    return {m.group(1): ET.fromstring(m.group(2)) for m in
            re.finditer(r'<section class="card" id="(chart-\w+)">(?:(?!</section>).)*?(<svg .*?</svg>)', html, re.S)}


def test_reports_charts_are_wellformed_svg_with_escaped_texts(server, admin_client):
    today = datetime.date.today()
    sent(today, parts=2)
    sent(today, state="failed", reason="<script>alert(1)</script>", department="")
    sent(today - datetime.timedelta(days=3), department="销售部")
    sent(today - datetime.timedelta(days=29))
    sent(today - datetime.timedelta(days=45))  # older than 30 days: no bar
    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    resp = auditor.get("/reports")
    assert resp.status == 200
    html = resp.text
    assert "<script>alert" not in html, re.findall(r".{80}<script>alert.{20}", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, html[html.index("chart-reasons"):][:1500]
    svgs = charts(html)
    assert set(svgs) == {"chart-volume", "chart-reasons", "chart-costs", "chart-calls"}
    bars = [r for r in svgs["chart-volume"].iter(f"{SVG}rect") if "bar-volume" in r.get("class")]
    assert len(bars) == 3
    assert sorted(b.find(f"{SVG}title").text for b in bars) == sorted(
        [f"{today}: 3", f"{today - datetime.timedelta(days=3)}: 1", f"{today - datetime.timedelta(days=29)}: 1"])
    assert max(float(b.get("height")) for b in bars) > 2.9 * min(float(b.get("height")) for b in bars)
    reason_labels = [t.text for t in svgs["chart-reasons"].iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in reason_labels
    dept_labels = [t.text for t in svgs["chart-costs"].iter(f"{SVG}text")]
    assert "理赔部" in dept_labels and "（未填部门）" in dept_labels
    assert 'style="' not in html.split("<main>")[1]  # the CSP forbids inline styles


def test_reports_refused_for_operators_and_shown_empty(server, admin_client):
    make_user("olga", "operator")
    operator = Client(server)
    operator.sign_in("olga")
    assert operator.get("/reports").status == 403
    html = admin_client.get("/reports").text
    svgs = charts(html)
    assert list(svgs) == ["chart-volume", "chart-calls"]
    assert not [r for r in svgs["chart-volume"].iter(f"{SVG}rect")]
    assert "近 30 天没有发送失败" in html


def test_reports_show_ivr_calls_per_day_and_outcomes(server, admin_client):
    from appliance.ivr.models import Call
    now = datetime.datetime.now().replace(hour=10)
    for days_ago, outcome in ((0, "completed"), (0, "transferred"), (2, "caller_hung_up"), (40, "completed")):
        Call.create(caller_id="+8613800138000", started_at=now - datetime.timedelta(days=days_ago), outcome=outcome)
    svgs = charts(admin_client.get("/reports").text)
    bars = [r for r in svgs["chart-calls"].iter(f"{SVG}rect") if "bar-volume" in r.get("class")]
    assert sorted(b.find(f"{SVG}title").text for b in bars) == sorted(
        [f"{now.date()}: 2", f"{now.date() - datetime.timedelta(days=2)}: 1"])
    labels = [t.text for t in svgs["chart-outcomes"].iter(f"{SVG}text")]
    assert labels == ["来电者挂断", "1", "已完成", "1", "已转人工", "1"]
