"""Headless Chromium on the customers' and the inbox's pages at a laptop's 1366×900 and a
phone's 390×844: add a customer (a refused field first), find them by the last 4 digits
of their mobile, open their page; open a sender's conversation in the inbox and ask to
delete a message. Nothing wider than the window. Screenshots in tests/screenshots/.
Skipped, saying why, without Chromium."""
import datetime
import io
from pathlib import Path

import pytest
from web_support import PASSWORD, make_user

from appliance import clock
from appliance.models import Customer
from appliance.sms.models import InboundMessage, Message

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
Image = pytest.importorskip("PIL.Image")
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def loaded_after(d, action):
    """Run a click and wait for the next page (see test_web_browser._navigate)."""
    d.execute_script("window.__old_page = true")
    action()
    WebDriverWait(d, 20).until(lambda drv: drv.execute_script(
        "return window.__old_page === undefined && document.readyState === 'complete'"))


def fits(d):
    """Nothing wider than the window: no sideways scrolling of the page itself."""
    return d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def shot(d, name, size):
    """The viewport as a 64-colour PNG, as test_web_screenshots.py saves them (small in git)."""
    SHOTS.mkdir(exist_ok=True)
    image = Image.open(io.BytesIO(d.get_screenshot_as_png())).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(SHOTS / f"{name}-{size}.png", optimize=True)


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_add_find_and_open_a_customer_then_their_conversation(chromium, server, web_db, width, height):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    size = f"{width}x{height}"
    assert d.execute_script("return window.innerWidth") == width
    make_user("root", "admin")
    Customer.create(name="李雷", mobile="13900139000")
    d.get(f"{server}/signin?next=/customers")
    d.find_element(By.ID, "username").send_keys("root")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    loaded_after(d, d.find_element(By.ID, "signin").click)
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
