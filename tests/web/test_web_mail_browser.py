"""Headless Chromium on the e-mail pages at a laptop's 1366×900 and a phone's 390×844: a
customer's page with their address, preference and mails, and /mail with an interrupted
mail offered again. Nothing wider than the window. Screenshots in tests/screenshots/.
Skipped, saying why, without Chromium."""
import pytest
from browser_support import fits, shot, sign_in
from web_support import PASSWORD, make_user

from appliance.mail.models import MailMessage
from appliance.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
Image = pytest.importorskip("PIL.Image")
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_the_mail_pages_fit(chromium, server, web_db, width, height):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    size = f"{width}x{height}"
    make_user("root", "admin")
    c = Customer.create(name="李娜", mobile="13900139000", email="li.na@example.com", channel="email")
    for state, subject in (("sent", "【平安保险】续期缴费提醒"), ("unknown", "【平安保险】生日祝福"),
                           ("failed", "【平安保险】保单确认")):
        MailMessage.create(to_address=c.email, subject=subject, text_body="t", html_body="<p>t</p>", customer=c,
                           state=state, failure_reason="550 5.1.1 <l***@example.com>: no such mailbox"
                           if state == "failed" else "")
    sign_in(d, server, "root", PASSWORD, next="/mail")
    assert d.find_element(By.TAG_NAME, "h1").text == "电子邮件" and fits(d)
    assert len(d.find_elements(By.CSS_SELECTOR, "#mail tr[data-state]")) == 3
    shot(d, "mail", size)
    d.get(f"{server}/customers/{c.id}")
    assert d.find_element(By.ID, "email").get_attribute("value") == "li.na@example.com"
    assert len(d.find_elements(By.CSS_SELECTOR, "#customer-mails td .state")) == 3 and fits(d)
