"""Headless Chromium on the voice campaigns' page, at a laptop's 1366×900 and a phone's
390×844: create a campaign from a pasted list through the confirmation step, start it, let
the dialer call the test network through the real Asterisk, watch the counts change
without a reload, and read the results in Chinese. Screenshots in tests/screenshots/.
Skipped, saying why, without Chromium or the Asterisk build (tests/asterisk_support.py)."""
import sys
from pathlib import Path

import pytest
from peer_support import wait_for
from web_support import PASSWORD, make_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agi"))  # the test network's fixtures
from asterisk_support import asterisk, asterisk_install  # noqa: E402,F401  (fixtures)
from browser_support import fits, loaded_after, start_chromium, sign_in
from test_dialer_real_asterisk import make_dialer, manager, network, run_in_thread  # noqa: E402,F401

from appliance.voice.models import CallAttempt, VoiceCampaign  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
# The test network (tests/agi/test-network.conf): answers and hangs up, busy, unallocated.
CALLEES = {"13030000001": "已接听未确认", "13040000001": "占线", "13110000001": "空号"}


@pytest.fixture
def chromium(tmp_path):
    driver = start_chromium(tmp_path / "chrome-profile")
    yield driver
    driver.quit()


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_create_start_and_read_the_results(chromium, server, network, manager, width, height):
    d = chromium
    d.set_window_size(width, height)
    make_user("root", "admin")
    sign_in(d, server, "root", PASSWORD, next="/voice")
    assert d.current_url.endswith("/voice") and fits(d)
    assert d.find_element(By.TAG_NAME, "h1").text == "语音外呼"
    SHOTS.mkdir(exist_ok=True)
    d.save_screenshot(str(SHOTS / f"voice-list-{width}.png"))

    d.find_element(By.ID, "voice-name").send_keys("到期提醒")
    d.find_element(By.ID, "voice-numbers").send_keys("，".join(CALLEES) + "\n13030000001")
    d.find_element(By.ID, "voice-text").send_keys("您好，您的保单将于下月到期，请及时续保。")
    d.find_element(By.ID, "voice-window").send_keys("always")  # the default window depends on the hour
    d.find_element(By.ID, "voice-tries").send_keys("1")
    loaded_after(d, d.find_element(By.ID, "voice-next").click)
    assert d.find_element(By.ID, "confirm-count").text == "3"  # the repeated number once
    assert d.find_element(By.ID, "confirm-text").text == "您好，您的保单将于下月到期，请及时续保。"
    assert VoiceCampaign.select().count() == 0 and fits(d)
    d.save_screenshot(str(SHOTS / f"voice-confirm-{width}.png"))
    loaded_after(d, d.find_element(By.ID, "voice-create").click)
    assert "任务已创建为草稿" in d.find_element(By.CSS_SELECTOR, "p.flash").text

    loaded_after(d, d.find_element(By.ID, "voice-start").click)
    state = d.find_element(By.CSS_SELECTOR, "#voice-summary [data-field=state]")
    assert state.text == "外呼中"
    campaign = VoiceCampaign.get()
    assert campaign.state == "running" and campaign.max_tries == 1
    d.execute_script("window.__same_page = true")
    run_in_thread(make_dialer(manager, network, channels=3))
    assert {a.number: a.state for a in CallAttempt.select()} == dict.fromkeys(CALLEES, "done")
    # static/voice.js brings the counts in without a reload.
    WebDriverWait(d, 15).until(lambda drv: drv.find_element(
        By.CSS_SELECTOR, "#voice-summary [data-field=done]").text == "3")
    assert d.execute_script("return window.__same_page === true")
    finished = d.find_element(By.CSS_SELECTOR, "#voice-summary [data-field=state]")
    assert finished.text == "已完成" and finished.get_attribute("class") == "state done"
    assert d.find_element(By.CSS_SELECTOR, "#voice-summary [data-field=answer_rate]").text == "33.3%"

    d.refresh()
    rows = d.find_elements(By.CSS_SELECTOR, "#voice-attempts tr[data-attempt]")
    got = {row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[2].text
           for row in rows}
    assert got == CALLEES
    assert fits(d)
    d.save_screenshot(str(SHOTS / f"voice-results-{width}.png"))
    filtered = d.find_element(By.ID, "filter-number")
    filtered.send_keys("0001")
    loaded_after(d, d.find_element(By.ID, "filter").click)
    assert len(d.find_elements(By.CSS_SELECTOR, "#voice-attempts tr[data-attempt]")) == 3
    wait_for(lambda: d.find_element(By.ID, "voice-csv").is_displayed(), 5, "the CSV link")
