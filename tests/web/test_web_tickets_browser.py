"""Headless Chromium on the tickets' pages at a laptop's 1366×900 and a phone's 390×844:
open a ticket from the page, assign it to a department and a person, answer it, close it
through its confirmation, and read the history in Chinese; nothing wider than the window.
Screenshots in tests/screenshots/. Skipped, saying why, without Chromium."""
from pathlib import Path

import pytest
from browser_support import fits, loaded_after, start_chromium, sign_in
from web_support import PASSWORD, make_user

from appliance.sms.models import Message
from appliance.tickets.models import Department, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture
def chromium(tmp_path):
    driver = start_chromium(tmp_path / "chrome-profile")
    yield driver
    driver.quit()


def history(d):
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in d.find_elements(By.CSS_SELECTOR, "#ticket-history tr[data-action]")]


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_open_assign_answer_and_read_the_history(chromium, server, web_db, width, height):
    d = chromium
    d.set_window_size(width, height)
    make_user("root", "admin")
    make_user("li", "operator")
    Department.create(name="客户服务部")
    sign_in(d, server, "root", PASSWORD, next="/tickets")
    assert d.find_element(By.TAG_NAME, "h1").text == "工单" and fits(d)

    Select(d.find_element(By.ID, "new-kind")).select_by_visible_text("投诉")
    d.find_element(By.ID, "new-caller").send_keys("138 0013 8000")
    d.find_element(By.ID, "new-text").send_keys("理赔款迟迟未到账")
    loaded_after(d, d.find_element(By.ID, "new-open").click)
    ticket = Ticket.get()
    assert d.find_element(By.TAG_NAME, "h1").text == f"工单 {ticket.number}"
    assert d.find_element(By.ID, "ticket-status").text == "未处理" and fits(d)

    Select(d.find_element(By.ID, "assign-department")).select_by_visible_text("客户服务部")
    Select(d.find_element(By.ID, "assign-assignee")).select_by_visible_text("li")
    d.find_element(By.ID, "assign-text").send_keys("请今天回复")
    loaded_after(d, d.find_element(By.ID, "ticket-assign").click)
    assert d.find_element(By.ID, "ticket-status").text == "已分派"
    d.find_element(By.ID, "answer-text").send_keys("已加急，明天到账")
    loaded_after(d, d.find_element(By.ID, "ticket-answer").click)
    assert d.find_element(By.ID, "ticket-status").text == "已答复"
    assert [m.to_number for m in Message.select()] == ["+8613800138000"]  # the customer is told

    loaded_after(d, d.find_element(By.ID, "ticket-close").click)  # asks first
    assert Ticket.get().status == "answered" and fits(d)
    loaded_after(d, d.find_element(By.ID, "confirm-yes").click)
    assert d.find_element(By.ID, "ticket-status").text == "已关闭"
    rows = history(d)
    assert [r[2].split(" → ")[0] for r in rows] == ["已创建", "已分派", "已答复", "已短信告知客户答复",
                                                   "已关闭（已告知客户）"]
    assert rows[1][1] == "root" and "客户服务部" in rows[1][2] and rows[1][4] == "请今天回复"
    assert rows[2][3] == "已答复" and rows[2][4] == "已加急，明天到账"
    assert fits(d)
    SHOTS.mkdir(exist_ok=True)
    d.save_screenshot(str(SHOTS / f"ticket-{width}.png"))
    d.get(f"{server}/tickets")
    assert fits(d)
    d.save_screenshot(str(SHOTS / f"tickets-{width}.png"))
