"""The dashboard's sending capacity in words: the SIMs of boxes that beat, their daily cap,
what is queued, and what must wait for a later day (appliance.sms.capacity)."""
import re

import pytest
from peer_support import free_port

from appliance.cluster import boxes
from appliance.config import Config
from appliance.sms.models import ModemStatus
from appliance.sms.outbox import queue_message


@pytest.fixture
def web_config(tmp_path):
    return Config({"data_dir": str(tmp_path / "data"), "web.listen": f"127.0.0.1:{free_port()}",
                   "web.threads": 4, "modems.daily_cap": 2, "modems.monthly_cap": 0})


def test_dashboard_says_todays_capacity_and_what_waits_in_chinese(admin_client):
    boxes.beat("a")
    boxes.beat("b", now=boxes.clock.now().replace(year=2000))  # silent: its SIM does not count
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="460001")
    ModemStatus.create(box="b", port="gsm0", state="ok", imsi="460002")
    for n in range(3):
        queue_message(f"+861380000000{n}", "您好", source="test")
    html = admin_client.get("/").text
    panel = re.search(r'<p class="card" id="capacity">([^<]*)</p>', html).group(1)
    assert panel.startswith("今天在用的 1 张 SIM 卡还能发送 2 个短信分段"), panel
    assert "每个分段约 6 秒；现有 3 个分段在排队。有 1 个排队的分段今天发不出去" in panel
    assert "发送能力" in html
    admin_client.get("/lang/en?next=/")
    panel = re.search(r'<p class="card" id="capacity">([^<]*)</p>', admin_client.get("/").text).group(1)
    assert panel.startswith("Today the 1 SIM(s) in service can still send 2 SMS parts"), panel
    assert panel.endswith("3 parts are queued. 1 queued parts cannot go today and wait for a later day.")


def test_dashboard_shows_the_stored_forecast_of_the_next_runs(admin_client):
    import datetime

    from appliance import clock
    from appliance.services import forecast
    from appliance.services.models import NoticeForecast
    html = admin_client.get("/").text
    assert "暂无预测：服务进程在每次通知运行后计算" in html and 'id="forecast"' not in html
    day = clock.today() + datetime.timedelta(days=1)
    held = {"notices": 7, "greetings": [{"target": "holiday:元旦节:2027-01-01", "not_sent": 5}]}
    NoticeForecast.create(run_date=day, computed_at=clock.now(), figures=forecast.json.dumps(
        {"service": 90, "service_parts": 180, "greetings": 300, "greeting_parts": 310, "held": held}))
    html = admin_client.get("/").text
    assert "接下来几天的通知运行预测" in html
    row = re.search(r'<table id="forecast">.*?<tr><td>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r">([^<]+)</td>", "<td>" + row) == [day.isoformat(), "90 (180)", "300 (310)", "7", "5"]
    assert "服务类通知（分段）" in html and "当天未能发出的问候" in html

