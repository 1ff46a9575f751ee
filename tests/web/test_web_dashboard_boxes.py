"""The dashboard with several boxes on one database: every box with its heartbeat, every
box's modems named BOX/gsm0, and a silent box among the alarms, in Chinese."""
import datetime

from appliance import clock
from appliance.cluster import boxes
from appliance.sms.models import ModemStatus


def test_every_box_and_its_modems_and_a_silent_box_alarm(admin_client):
    now = clock.now()
    boxes.beat("fuzhou-1", now)
    boxes.beat("fuzhou-2", now - datetime.timedelta(seconds=300))
    for box in ("fuzhou-1", "fuzhou-2"):
        ModemStatus.create(box=box, port="gsm0", state="ok", sim_state="READY")
    page = admin_client.page("/").text
    assert 'id="boxes"' in page and "共用本数据库的设备" in page
    assert "<td>fuzhou-1/gsm0</td>" in page and "<td>fuzhou-2/gsm0</td>" in page
    assert "运行中" in page and "无心跳" in page
    alarms = admin_client.api("GET", "/dashboard.json").json["alarms"]
    assert any(a.startswith("设备 fuzhou-2 已 ") and "秒没有心跳" in a and "绝不重发" in a for a in alarms), alarms
    assert not any("fuzhou-1" in a for a in alarms)


def test_one_box_shows_no_box_table_and_plain_port_names(admin_client):
    boxes.beat("fuzhou-1", clock.now())
    ModemStatus.create(box="fuzhou-1", port="gsm0", state="ok", sim_state="READY")
    page = admin_client.page("/").text
    assert 'id="boxes"' not in page and "<td>gsm0</td>" in page
