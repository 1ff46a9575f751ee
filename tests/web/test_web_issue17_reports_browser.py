"""Headless Chromium at 1366×900 and 390×844 on issue 17's four report pages with the known
data set of tests/report_support.py: a range chosen in the form, the figures in Chinese (no
raw code), the chart drawn, the export links there, and nothing wider than the window;
screenshots in tests/screenshots/report-NAME-WxH.png.
Skipped, saying why, without Chromium."""
import re

import pytest
from browser_support import fits, loaded_after, shot, sign_in
from report_support import build
from web_support import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

CODES = re.compile(r"\b(sms|voice|email|survey_call|return_visit|renewal_due|total|any|None)\b")
PAGES = {"letters": ("信函与短信、电话对比", "合计"), "collection": ("提醒后缴费", "任一渠道提醒"),
         "campaigns": ("活动效果与调查", "电话回访问卷"), "rates": ("送达率与接通率", "2026-11-02")}


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_report_pages_in_a_browser(chromium, server, web_db, width, height):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    make_user("root", "admin")
    build()
    sign_in(d, server, "root", PASSWORD, next="/reports/letters")
    for name, (title, word) in PAGES.items():
        d.get(f"{server}/reports/{name}")
        for field, day in (("report-from", "2026-11-01"), ("report-to", "2026-11-30")):
            d.execute_script("arguments[0].value = arguments[1]", d.find_element(By.ID, field), day)
        loaded_after(d, d.find_element(By.ID, "report-submit").click)
        assert d.find_element(By.TAG_NAME, "h1").text == title
        assert "from=2026-11-01&to=2026-11-30" in d.current_url
        main = d.find_element(By.TAG_NAME, "main").text
        assert word in main and not CODES.findall(main), CODES.findall(main)
        shown = [svg for svg in d.find_elements(By.CSS_SELECTOR, "#report-chart-0 svg") if svg.is_displayed()]
        assert len(shown) == 1 and shown[0].size["width"] <= width, name  # of a pair, the wide or the narrow one
        if name == "rates":
            assert ("chart-narrow" if width < 720 else "chart-wide") in shown[0].get_attribute("class")
        href = d.find_element(By.ID, "report-xlsx").get_attribute("href")
        assert f"/reports/{name}.xlsx?from=2026-11-01&to=2026-11-30" in href, href
        assert fits(d), (name, width)
        shot(d, f"report-{name}", f"{width}x{height}")
