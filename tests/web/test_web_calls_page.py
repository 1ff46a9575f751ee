"""The call records page over HTTP (a real server, no browser): filters by days, by the
caller in any written form or its last 4 digits, by outcome and script; outcomes and
scripts in words, never codes; paging; the CSV of what the filters select; playback of the
caller's recorded message only where the file is under data_dir; a bad filter is said in
Chinese with a 400. The browser test at two widths is test_web_schedules_calls_browser.py."""
import csv
import datetime
import io
import re
import wave

import pytest
from web_support import Client, make_user

from appliance import clock
from appliance.ivr import tickets
from appliance.ivr.models import Call, MenuNode
from appliance.models import Customer
from web.pages import PAGE_SIZE


def call(caller, outcome="completed", script="ivr", day="2026-11-20", path=("main",)):
    started = clock.parse(f"{day}T10:00")
    c = Call(caller_id=caller, outcome=outcome, script=script, started_at=started,
             ended_at=started + datetime.timedelta(seconds=42))
    for node in path:
        c.enter(node)
    c.save(force_insert=True)
    return c


def shown(html):
    return [int(n) for n in re.findall(r'data-call="(\d+)"', html)]


@pytest.fixture
def records(web_db):
    MenuNode.create(name="main", title="主菜单", prompt="welcome")
    return {"national": call("13800138000", day="2026-11-18"),
            "e164": call("+8613800138000", "caller_hung_up", day="2026-11-20"),
            "other": call("13900139123", "transferred", script="notify", day="2026-11-22"),
            "anonymous": call("anonymous", "error", day="2026-11-22")}


def test_filters_words_and_csv(admin_client, records):
    r = records
    html = admin_client.page("/calls").text
    assert shown(html) == [r["anonymous"].id, r["other"].id, r["e164"].id, r["national"].id]
    assert "来电者挂断" in html and "已转人工" in html and "通知外呼" in html and "主菜单" in html
    assert ">caller_hung_up<" not in html and ">notify<" not in html and ">anonymous<" not in html
    assert "未显示号码" in html  # a withheld caller ID in words
    customer = Customer.create(name="王芳", mobile="+8613800138000")
    Call.update(customer=customer).where(Call.id == r["e164"].id).execute()
    assert html.count('class="customer-link"') == 0
    assert f'href="/customers/{customer.id}" class="customer-link"' in admin_client.page("/calls").text
    assert shown(admin_client.page("/calls?caller=8000").text) == [r["e164"].id, r["national"].id]
    assert shown(admin_client.page("/calls?caller=%2B86+138+0013+8000").text) == [r["e164"].id, r["national"].id]
    assert shown(admin_client.page("/calls?caller=anonymous").text) == [r["anonymous"].id]
    assert shown(admin_client.page("/calls?outcome=transferred").text) == [r["other"].id]
    assert shown(admin_client.page("/calls?script=notify").text) == [r["other"].id]
    assert shown(admin_client.page("/calls?since=2026-11-19&until=2026-11-20").text) == [r["e164"].id]

    export = admin_client.get("/calls.csv?caller=8000&since=2026-11-19")
    assert export.getheader("Content-Type").startswith("text/csv") and "attachment" in export.getheader("Content-Disposition")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["开始时间", "来电人", "流程", "结果"]
    assert [row[1:5] for row in rows[1:]] == [["+8613800138000", "语音导航", "来电者挂断", "42"]]
    assert rows[1][0] == "2026-11-20 10:00:00" and rows[1][5] == "主菜单"


def test_bad_filters_say_which_field_in_chinese(admin_client, records):
    bad = admin_client.get("/calls?since=20-11")
    assert bad.status == 400 and "输入有误" in bad.text and "since" in bad.text and shown(bad.text) == []
    bad = admin_client.get("/calls?outcome=busy")
    assert bad.status == 400 and "outcome" in bad.text
    assert admin_client.get("/calls.csv?until=tomorrow").status == 400


def test_paging_and_masking(server, web_db):
    for i in range(PAGE_SIZE + 3):
        call(f"1380013{i:04d}")
    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    first = auditor.page("/calls").text
    assert len(shown(first)) == PAGE_SIZE and "13800130052" not in first  # numbers masked for auditors
    older = re.search(r'href="(/calls\?before=\d+)"', first).group(1)
    assert len(shown(auditor.page(older).text)) == 3
    rows = list(csv.reader(io.StringIO(auditor.get("/calls.csv").text.lstrip("\ufeff"))))
    assert len(rows) == PAGE_SIZE + 4 and all("13800130052" not in row[1] for row in rows)


def test_a_recorded_message_plays_only_from_data_dir(admin_client, web_config, records):
    folder = web_config.data_dir / "recordings" / "2026-11-20"
    folder.mkdir(parents=True)
    path = folder / "call1-100000.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\x01\x00" * 800)
    played = tickets.open_ticket("complaint", "ivr", number="13800138000", recording=str(path),
                                 call_id=records["e164"].id)
    outside = web_config.data_dir.parent / "elsewhere.wav"
    outside.write_bytes(path.read_bytes())
    tickets.open_ticket("complaint", "ivr", number="13900139123", recording=str(outside), call_id=records["other"].id)
    html = admin_client.page("/calls").text
    assert html.count("<audio") == 1 and f'src="/tickets/{played.id}/recording.wav"' in html
    assert admin_client.get(f"/tickets/{played.id}/recording.wav").text.startswith("RIFF")
