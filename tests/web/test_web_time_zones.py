"""Pages and the API show the box's local time, whatever the OS zone; inputs in box
time (or ISO with an offset on the API) become stored instants
(tests/appliance/test_time_zones.py runs the rules)."""
import datetime

import pytest

from appliance import clock
from appliance.sms import outbox
from appliance.sms.models import Message

SWAPPED = [("UTC", "Asia/Shanghai"), ("Asia/Shanghai", "UTC")]
STORED = datetime.datetime(2026, 11, 30, 1, 15)  # an instant: 09:15 in Shanghai


@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_pages_and_api_show_box_time(zones, os_zone, box_zone, admin_client, api_token):
    zones(os_zone, box_zone)
    shanghai = box_zone == "Asia/Shanghai"
    message = outbox.queue_message("13800138000", "时间")
    Message.update(created_at=STORED).where(Message.id == message.id).execute()
    page = admin_client.page(f"/history/{message.id}").text
    assert ("2026-11-30 09:15:00" if shanghai else "2026-11-30 01:15:00") in page
    listing = admin_client.page("/history").text
    assert ("11-30 09:15" if shanghai else "11-30 01:15") in listing
    data = admin_client.api("GET", f"/api/v1/messages/{message.id}", token=api_token).json
    assert data["created_at"] == ("2026-11-30T09:15:00+08:00" if shanghai else "2026-11-30T01:15:00+00:00")


@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_api_times_in_are_box_time_or_carry_their_offset(zones, os_zone, box_zone, client, api_token):
    zones(os_zone, box_zone)
    later = clock.local_now() + datetime.timedelta(days=2)
    wall = later.replace(hour=10, minute=0, second=0, microsecond=0)
    resp = client.api("POST", "/api/v1/messages", token=api_token,
                      payload={"to": "13800138000", "text": "x", "not_after": wall.strftime("%Y-%m-%dT%H:%M")})
    assert resp.status == 201, resp.text
    assert Message.get_by_id(resp.json["id"]).not_after == clock.instant(wall)
    offset = wall.strftime("%Y-%m-%dT10:00:00+08:00")
    resp = client.api("POST", "/api/v1/messages", token=api_token,
                      payload={"to": "13800138000", "text": "y", "not_after": offset})
    assert resp.status == 201, resp.text
    assert Message.get_by_id(resp.json["id"]).not_after == wall.replace(hour=2)
