"""A paced campaign on the send page (services.campaign_pace, issue 18): the confirmation says,
in the page's language, what goes today, on the following days and not at all; the launch
queues today's share and says how many wait."""
import html
import re

import pytest
from peer_support import free_port

from appliance.cluster import boxes
from appliance.config import Config
from appliance.models import ContactGroup, Staff
from appliance.services.models import Campaign
from appliance.sms.models import Message, ModemStatus


@pytest.fixture
def web_config(tmp_path):
    return Config({"data_dir": str(tmp_path / "data"), "web.listen": f"127.0.0.1:{free_port()}", "web.threads": 4,
                   "services.campaign_pace": True, "modems.daily_cap": 1, "modems.monthly_cap": 0})


def test_confirmation_states_the_paced_numbers_and_the_launch_queues_today_s_share(admin_client):
    for badge, name, mobile in (("101", "陈明", "+8613900000011"), ("102", "王芳", "+8613900000012"),
                                ("103", "李强", "+8613900000013")):
        Staff.create(badge_no=badge, name=name, mobile=mobile, department="个险一部")
    group = ContactGroup.create(name="个险一部", kind="staff", rule="department", rule_value="个险一部")
    boxes.beat("a")
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="I1")  # one SIM, one part a day
    form = {"mode": "group", "group": str(group.id), "text": "周五下午三点开会", "category": "internal", "name": "例会"}
    admin_client.page("/send")
    resp = admin_client.post("/send", form)
    assert resp.status == 200
    pace = html.unescape(re.search(r'id="confirm-pace">([^<]*)<', resp.text).group(1))
    assert pace.startswith("今天剩余的发送能力可发 1 条（1 个分段）；2 条（2 个分段）在随后几天发送；")
    assert Message.select().count() == 0
    resp = admin_client.post("/send", {**form, "confirmed": "1"})
    assert resp.status == 303 and Message.select().count() == 1
    assert Campaign.get().pending == 2
    assert "另有 2 条在随后几天发送" in admin_client.page("/campaigns").text
