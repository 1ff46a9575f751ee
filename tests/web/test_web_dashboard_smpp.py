"""The dashboard's capacity names the SMPP account apart from the SIMs (issue 18): the SIMs'
parts, then the account's rate, its link in words and what it can still send today."""
import re

import pytest
from peer_support import free_port

from appliance import clock
from appliance.cluster import boxes
from appliance.config import Config
from appliance.sms import capacity
from appliance.sms.models import ModemStatus


@pytest.fixture
def web_config(tmp_path):
    return Config({"data_dir": str(tmp_path / "data"), "web.listen": f"127.0.0.1:{free_port()}",
                   "web.threads": 4, "modems.daily_cap": 2, "modems.monthly_cap": 0,
                   "smpp.enabled": True, "smpp.system_id": "branch01", "smpp.rate": 5.0})


def test_dashboard_names_the_smpp_account_apart_from_the_sims(admin_client, web_config):
    boxes.beat("a")
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="460001")
    ModemStatus.create(box="a", port="smpp", device="smpp://127.0.0.1:2775", state="ok", last_activity=clock.now())
    before = capacity.outlook(web_config, days=1)["days"][0]["smpp_day"]
    panel = re.search(r'<p class="card" id="capacity">([^<]*)</p>', admin_client.get("/").text).group(1)
    after = capacity.outlook(web_config, days=1)["days"][0]["smpp_day"]  # the day's seconds run out meanwhile
    assert panel.startswith("今天在用的 1 张 SIM 卡还能发送 2 个短信分段"), panel
    shown = re.search(r"SMPP 账号（每秒 5 个分段，已连接）今天还能发送 (\d+) 个分段", panel)
    assert shown and after <= int(shown.group(1)) <= before, panel
    ModemStatus.update(state="absent", last_activity=clock.now().replace(year=2000)).where(
        ModemStatus.port == "smpp").execute()
    admin_client.get("/lang/en?next=/")
    panel = re.search(r'<p class="card" id="capacity">([^<]*)</p>', admin_client.get("/").text).group(1)
    assert "The SMPP account (5 parts/s, out of service, not counted) can still send 0 parts today" in panel, panel
