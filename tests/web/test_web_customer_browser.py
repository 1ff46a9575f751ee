"""Headless Chromium on the customers' and the inbox's pages at a laptop's 1366×900 and a
phone's 390×844: add a customer (a refused field first), find them by the last 4 digits
of their mobile, open their page; open a sender's conversation in the inbox and ask to
delete a message. Nothing wider than the window. Screenshots in tests/screenshots/.
Skipped, saying why, without Chromium."""
import datetime

import pytest
from browser_support import fits, loaded_after, shot, sign_in
from web_support import PASSWORD, make_user

from appliance import clock
from appliance.models import Customer
from appliance.sms.models import InboundMessage, Message

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
Image = pytest.importorskip("PIL.Image")
from selenium.webdriver.common.by import By


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_add_find_and_open_a_customer_then_their_conversation(chromium, server, web_db, width, height):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    size = f"{width}x{height}"
    assert d.execute_script("return window.innerWidth") == width
    make_user("root", "admin")
    Customer.create(name="李雷", mobile="13900139000")
    sign_in(d, server, "root", PASSWORD, next="/customers")
    assert d.find_element(By.TAG_NAME, "h1").text == "客户" and fits(d)

    loaded_after(d, d.find_element(By.ID, "add-customer").click)
    assert d.find_element(By.TAG_NAME, "h1").text == "添加客户" and fits(d)
    d.find_element(By.ID, "new-mobile").send_keys("138 0013 8000")
    loaded_after(d, d.find_element(By.ID, "new-save").click)  # no name: refused, the form kept
    assert d.find_element(By.ID, "form-error").text.endswith("姓名：请填写客户姓名。")
    assert d.find_element(By.ID, "new-mobile").get_attribute("value") == "138 0013 8000"
    assert Customer.select().count() == 1 and fits(d)
    shot(d, "customer-new", size)
    d.find_element(By.ID, "new-name").send_keys("王芳")
    d.find_element(By.ID, "new-id-number").send_keys("11010519491231002X")
    loaded_after(d, d.find_element(By.ID, "new-save").click)
    assert d.find_element(By.TAG_NAME, "h1").text == "王芳" and "已添加客户 王芳。" in d.page_source

    d.get(f"{server}/customers")
    d.find_element(By.ID, "q").send_keys("8000")
    loaded_after(d, d.find_element(By.CSS_SELECTOR, "#customer-search button[type=submit]").click)
    found = d.find_elements(By.CSS_SELECTOR, "#customers td a")
    assert [a.text for a in found] == ["王芳"] and fits(d)
    shot(d, "customer-search", size)
    loaded_after(d, found[0].click)
    assert d.find_element(By.TAG_NAME, "h1").text == "王芳"
    assert "1949" in d.find_element(By.ID, "customer-form").text and fits(d)

    customer = Customer.get(Customer.name == "王芳")
    then = clock.now() - datetime.timedelta(hours=1)
    InboundMessage.create(from_number=customer.mobile, text="保单何时到期？", customer=customer, received_at=then)
    Message.create(to_number=customer.mobile, text="2027年1月1日到期。", created_at=then + datetime.timedelta(minutes=3))
    d.refresh()
    assert "保单何时到期？" in d.find_element(By.ID, "customer-messages").text
    shot(d, "customer-page", size)

    d.get(f"{server}/inbox")
    loaded_after(d, d.find_element(By.CSS_SELECTOR, "#inbox td.actions a").click)
    assert d.find_element(By.TAG_NAME, "h1").text == "对话"
    bubbles = d.find_elements(By.CSS_SELECTOR, "#conversation li")
    assert [(b.get_attribute("data-direction"), b.find_element(By.CLASS_NAME, "bubble").text) for b in bubbles] == [
        ("in", "保单何时到期？"), ("out", "2027年1月1日到期。")]
    assert fits(d)
    shot(d, "inbox-conversation", size)
    loaded_after(d, d.find_element(By.ID, "delete").click)  # asks first
    assert d.find_element(By.TAG_NAME, "h1").text == "删除这条短信？" and fits(d)
    assert InboundMessage.get().state == "new"
    loaded_after(d, d.find_element(By.ID, "confirm-yes").click)
    assert InboundMessage.get().state == "deleted" and fits(d)
