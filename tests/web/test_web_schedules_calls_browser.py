"""Headless Chromium at a laptop's 1366×900 and a phone's 390×844: edit a schedule with the
recurrence picker (only the chosen kind's fields shown; weekly on ticked days at a time; then
once on a date from the date picker), deleting it through its confirmation; filter the call
records by days, the last 4 digits of the caller and the outcome, play the caller's recorded
message and export what is shown as CSV through the page's own link; send an SMS survey through
its confirmation, filter the surveys by day and export their tallies. Nothing wider than the window. Screenshots in
tests/screenshots/. One Chromium for the module. Skipped, saying why, without Chromium."""
import csv
import datetime
import io
import wave
from pathlib import Path

import pytest
import browser_support
from browser_support import fits, loaded_after
from web_support import PASSWORD, make_user

from appliance import clock
from appliance.ivr import tickets
from appliance.ivr.models import Call
from appliance.models import ContactGroup, Customer
from appliance.services import schedules
from appliance.services.models import Campaign

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
SIZES = [(1366, 900), (390, 844)]


def sign_in(d, server, width, height, path):
    d.delete_all_cookies()
    d.set_window_size(width, height)
    make_user("root", "admin")
    browser_support.sign_in(d, server, "root", PASSWORD, next=path)


def pick(d, element_id, value):
    """A value into a date or time picker as the picker itself sets it (its typed form
    follows the browser's locale)."""
    d.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                     d.find_element(By.ID, element_id), value)


def visible(d, element_id):
    return d.find_element(By.ID, element_id).is_displayed()


@pytest.mark.parametrize("width, height", SIZES)
def test_edit_a_schedule_with_the_pickers_then_delete_it(chromium, server, web_db, web_config, width, height):
    d = chromium
    group = ContactGroup.create(name="个险一部", kind="customer", rule="region", rule_value="福州")
    schedule = schedules.create(web_config, "月度提醒", template_key="birthday", group=str(group.id),
                                cron="0 9 1 * *", created_by="root")
    sign_in(d, server, width, height, "/schedules")
    row = d.find_element(By.CSS_SELECTOR, f'tr[data-schedule="{schedule.id}"]')
    assert "每月 1 日 09:00" in row.text and "分组 个险一部" in row.text and "0 9 1" not in row.text and fits(d)

    loaded_after(d, d.find_element(By.ID, f"edit-{schedule.id}").click)
    assert d.find_element(By.TAG_NAME, "h1").text == "编辑定时任务"
    assert Select(d.find_element(By.ID, "repeat")).first_selected_option.text == "每月某日"
    assert visible(d, "monthday") and not visible(d, "date") and not visible(d, "cron") and fits(d)
    Select(d.find_element(By.ID, "repeat")).select_by_visible_text("每周（勾选的日子）")
    assert visible(d, "weekday-1") and not visible(d, "monthday")
    for day in ("2", "5"):
        d.find_element(By.ID, f"weekday-{day}").click()
    pick(d, "time", "08:45")
    d.save_screenshot(str(SHOTS / f"schedule-edit-{width}x{height}.png"))
    loaded_after(d, d.find_element(By.ID, "schedule-save").click)
    assert d.find_element(By.CSS_SELECTOR, ".flash.ok").text == "定时任务已保存。"
    assert schedules.get(schedule.id).cron == "45 8 * * 2,5"
    assert "每周周二、周五 08:45" in d.find_element(By.CSS_SELECTOR, f'tr[data-schedule="{schedule.id}"]').text

    loaded_after(d, d.find_element(By.ID, f"edit-{schedule.id}").click)
    Select(d.find_element(By.ID, "repeat")).select_by_visible_text("一次（指定日期）")
    assert visible(d, "date") and not visible(d, "weekday-1")
    pick(d, "date", "2030-03-08")
    loaded_after(d, d.find_element(By.ID, "schedule-save").click)
    changed = schedules.get(schedule.id)
    assert (changed.cron, changed.run_at) == ("", clock.parse("2030-03-08T08:45"))

    loaded_after(d, d.find_element(By.ID, f"delete-{schedule.id}").click)
    assert "确定删除定时任务“月度提醒”" in d.find_element(By.ID, "schedule-delete").text and fits(d)
    loaded_after(d, d.find_element(By.ID, "confirm-no").click)
    assert schedules.get(schedule.id)
    loaded_after(d, d.find_element(By.ID, f"delete-{schedule.id}").click)
    loaded_after(d, d.find_element(By.ID, "confirm-yes").click)
    assert d.find_element(By.CSS_SELECTOR, ".flash.ok").text == "定时任务已删除。"
    assert d.execute_script(f"return document.querySelector('tr[data-schedule=\"{schedule.id}\"]')") is None


def call(caller, outcome, day):
    started = clock.parse(f"{day}T10:00")
    record = Call(caller_id=caller, outcome=outcome, started_at=started,
                  ended_at=started + datetime.timedelta(seconds=30))
    record.save(force_insert=True)
    return record


def fetch_text(d, url):
    """GET url from the page, with its session (as the page's own link would)."""
    return d.execute_async_script(
        "var done = arguments[1]; fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(function (r) { return r.text(); }).then(done)", url)


def recorded_message(config, call_id):
    folder = config.data_dir / "recordings" / "2026-11-20"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"call{call_id}-100000.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\x01\x00" * 800)
    return tickets.open_ticket("complaint", "ivr", number="13800138000", recording=str(path), call_id=call_id)


@pytest.mark.parametrize("width, height", SIZES)
def test_filter_the_call_records_and_export_them(chromium, server, web_db, web_config, width, height):
    d = chromium
    wanted = call("+8613800138000", "transferred", "2026-11-20")
    ticket = recorded_message(web_config, wanted.id)
    call("13800138000", "transferred", "2026-11-10")        # before the days chosen
    call("13900139000", "transferred", "2026-11-20")        # another caller
    call("13800138000", "caller_hung_up", "2026-11-21")     # another outcome
    sign_in(d, server, width, height, "/calls")
    assert len(d.find_elements(By.CSS_SELECTOR, "tr[data-call]")) == 4 and fits(d)
    pick(d, "filter-since", "2026-11-15")
    pick(d, "filter-until", "2026-11-30")
    d.find_element(By.ID, "filter-caller").send_keys("8000")
    Select(d.find_element(By.ID, "filter-outcome")).select_by_visible_text("已转人工")
    loaded_after(d, d.find_element(By.ID, "filter").click)
    rows = d.find_elements(By.CSS_SELECTOR, "tr[data-call]")
    assert [r.get_attribute("data-call") for r in rows] == [str(wanted.id)]
    assert "已转人工" in rows[0].text and "transferred" not in rows[0].text and fits(d)
    d.save_screenshot(str(SHOTS / f"calls-filtered-{width}x{height}.png"))

    player = rows[0].find_element(By.TAG_NAME, "audio")
    assert player.get_attribute("src").endswith(f"/tickets/{ticket.id}/recording.wav")
    assert d.execute_script("return arguments[0].canPlayType('audio/wav')", player)
    assert fetch_text(d, player.get_attribute("src")).startswith("RIFF")

    text = fetch_text(d, d.find_element(By.ID, "calls-csv").get_attribute("href"))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["开始时间", "来电人", "流程", "结果"]
    assert [r[1:4] for r in rows[1:]] == [["+8613800138000", "语音导航", "已转人工"]]


@pytest.mark.parametrize("width, height", SIZES)
def test_send_an_sms_survey_then_filter_and_export(chromium, server, web_db, width, height):
    d = chromium
    for i, mobile in enumerate(("+8613800138001", "+8613800138002", "+8613800138003")):
        Customer.create(name=f"陈{i}", gender="M", mobile=mobile, region="厦门")
    ContactGroup.create(name="厦门客户", kind="customer", rule="region", rule_value="厦门")
    sign_in(d, server, width, height, "/surveys")
    assert d.find_element(By.ID, "surveys-none").is_displayed() and fits(d)
    d.find_element(By.ID, "survey-name").send_keys("柜面回访")
    Select(d.find_element(By.ID, "survey-group")).select_by_visible_text("厦门客户")
    d.find_element(By.ID, "survey-question").send_keys("您对柜面服务满意吗？")
    loaded_after(d, d.find_element(By.ID, "survey-check").click)
    assert d.find_element(By.ID, "confirm-count").text == "3" and fits(d)
    assert "您对柜面服务满意吗？" in d.find_element(By.ID, "confirm-text").text
    assert not Campaign.select().exists()
    loaded_after(d, d.find_element(By.ID, "confirm-yes").click)
    campaign = Campaign.get()
    assert d.find_element(By.CSS_SELECTOR, ".flash.ok").text.startswith("调查已发送：3 条短信")
    assert d.find_element(By.CSS_SELECTOR, f'[data-survey="{campaign.id}"] [data-field="sent"]').text == "3"

    today = clock.format(clock.now(), "%Y-%m-%d")
    pick(d, "filter-since", today)
    pick(d, "filter-until", today)
    loaded_after(d, d.find_element(By.ID, "filter").click)
    assert len(d.find_elements(By.CSS_SELECTOR, "[data-survey]")) == 1 and fits(d)
    d.save_screenshot(str(SHOTS / f"surveys-filtered-{width}x{height}.png"))
    rows = list(csv.reader(io.StringIO(fetch_text(d, d.find_element(By.ID, "surveys-csv").get_attribute("href"))
                                       .lstrip("\ufeff"))))
    assert rows[1][:4] == ["柜面回访", "您对柜面服务满意吗？", "3", "0"]
