"""Headless Chromium at 1366×900 and 390×844 on the pages of issue 13's last part: adding a
department with its head, handing a ticket off to a peer that is down (the page says it waits),
and unlocking a staff member's PIN; nothing wider than the window. Screenshots in
tests/screenshots/. Skipped, saying why, without Chromium."""
import datetime
from pathlib import Path

import pytest
from browser_support import fits, loaded_after, sign_in
from peer_support import free_port
from web_support import PASSWORD, make_user

from appliance.ivr import tickets
from appliance.models import Staff
from appliance.tickets.models import Department, TicketHandoff
from web.app import build_app
from web.server import make_server, serve_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture
def box(web_config, web_db):
    """A server with one peer, head-office, on a port nothing listens on."""
    config = web_config.replace(**{"tickets.peers": [f"head-office=http://127.0.0.1:{free_port()}|apt_nobody"]})
    srv = make_server(config, build_app(config))
    serve_in_thread(srv)
    yield f"http://{config['web.listen']}"
    srv.stop()


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_departments_hand_off_and_pin_unlock_in_a_browser(chromium, box, width, height):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    make_user("root", "admin")
    Staff.create(badge_no="H001", name="李主任", mobile="+8613900139000", pin_hash="x",
                 pin_locked_until=datetime.datetime(2099, 1, 1))
    sign_in(d, box, "root", PASSWORD, next="/departments")
    assert d.find_element(By.TAG_NAME, "h1").text == "处理部门" and fits(d)
    d.find_element(By.ID, "department-name").send_keys("客户服务部")
    d.find_element(By.ID, "department-head").send_keys("H001")
    loaded_after(d, d.find_element(By.ID, "department-submit").click)
    row = d.find_element(By.CSS_SELECTOR, 'tr[data-department="客户服务部"]')
    assert "李主任 · H001" in row.text and Department.get().head.badge_no == "H001" and fits(d)
    SHOTS.mkdir(exist_ok=True)
    d.save_screenshot(str(SHOTS / f"departments-{width}.png"))

    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    d.get(f"{box}/tickets/{ticket.id}")
    Select(d.find_element(By.ID, "handoff-peer")).select_by_visible_text("head-office")
    d.find_element(By.ID, "handoff-text").send_keys("请总部处理")
    loaded_after(d, d.find_element(By.ID, "ticket-handoff").click)
    assert d.find_element(By.ID, "ticket-where").text.startswith("等待 head-office 接收（已失败 1 次")
    assert TicketHandoff.get().delivered_at is None and fits(d)
    d.save_screenshot(str(SHOTS / f"ticket-handoff-{width}.png"))

    d.get(f"{box}/staff/{Staff.get().id}")
    assert d.find_element(By.ID, "pin-state").text.startswith("已锁定")
    loaded_after(d, d.find_element(By.ID, "pin-unlock").click)
    assert d.find_element(By.ID, "pin-state").text == "已设置密码" and fits(d)
    assert Staff.get().pin_locked_until is None
    d.save_screenshot(str(SHOTS / f"staff-pin-{width}.png"))
