"""The dashboard's health and alarms, and its refresh without a reload: the daemons by
their real locks (appliance.daemon.running_lock), Asterisk's manager interface as a real
TCP listener that comes and goes, the disk of data_dir, and the IVR lockout (made through
the domain's own verification failures) among the alarms. A browser at 1366×900 and
390×844 sees the numbers, alarms and health change on the page it already has."""
import datetime
import socket
from pathlib import Path

import pytest
from peer_support import free_port, wait_for
from web_support import PASSWORD, Client, make_user

from appliance.config import Config
from appliance.daemon import running_lock
from appliance.ivr import verification
from appliance.models import Customer, Policy, Product
from appliance.sms.models import Message, ModemStatus


@pytest.fixture
def ami_port():
    return free_port()


@pytest.fixture
def web_config(tmp_path, ami_port):
    return Config({"data_dir": str(tmp_path / "data"), "web.listen": f"127.0.0.1:{free_port()}",
                   "web.threads": 4, "voice.ami": f"127.0.0.1:{ami_port}"})


class Listener:
    """Something accepting TCP connections where the AMI is configured (as Asterisk would)."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)

    def close(self):
        self.sock.close()


def lock_out_a_policy():
    product = Product.create(code="A1", name="寿险", kind="main")
    holder = Customer.create(name="张三", mobile="13800138000")
    policy = Policy.create(policy_no="P-1", product=product, holder=holder, premium=100)
    for _ in range(3):
        verification.record_failure(policy, "13912345678", max_failures=3, lock_minutes=60)
    return policy


def health_of(data):
    return {row["key"]: row for row in data["health"]}


def test_health_follows_the_daemons_the_ami_and_the_disk(admin_client, web_config, ami_port):
    data = admin_client.api("GET", "/dashboard.json").json
    rows = health_of(data)
    assert {"smsd", "services", "agi", "dialer", "web", "ami", "disk"} <= set(rows)
    assert rows["smsd"]["state"] == "fail" and rows["smsd"]["text"] == "未运行"
    assert rows["ami"]["state"] == "fail" and "无法连接" in rows["ami"]["text"]
    assert rows["disk"]["state"] == "ok" and "MB" in rows["disk"]["text"]

    listener = Listener(ami_port)
    try:
        with running_lock(web_config.data_dir, "smsd"):  # what `appliance run smsd` holds
            rows = health_of(admin_client.api("GET", "/dashboard.json").json)
            assert rows["smsd"] == {"key": "smsd", "label": "短信服务", "state": "ok", "text": "运行中"}
            assert rows["ami"]["state"] == "ok" and ami_port and str(ami_port) in rows["ami"]["text"]
    finally:
        listener.close()
    rows = health_of(admin_client.api("GET", "/dashboard.json").json)
    assert rows["smsd"]["state"] == "fail" and rows["ami"]["state"] == "fail"
    page = admin_client.page("/").text
    assert 'data-health="ami"' in page and "Asterisk" in page


def test_the_ivr_lockout_is_among_the_alarms(admin_client):
    assert not any("锁定" in a for a in admin_client.api("GET", "/dashboard.json").json["alarms"])
    lock_out_a_policy()
    alarms = admin_client.api("GET", "/dashboard.json").json["alarms"]
    assert any("语音" in a and "锁定" in a and "1" in a for a in alarms), alarms
    assert "电话验证" in admin_client.page("/").text


def test_the_json_counts_today_as_the_page_does(admin_client, server):
    make_user("audrey", "auditor")
    auditor_client = Client(server)
    assert auditor_client.sign_in("audrey").status == 303
    now = datetime.datetime.now()
    Message.insert_many([{"to_number": "+8613800138000", "text": "x", "state": state, "created_at": now,
                          "updated_at": now} for state in ("queued", "delivered", "failed")]).execute()
    numbers = auditor_client.api("GET", "/dashboard.json").json["numbers"]
    assert numbers["queue"] == "1" and numbers["delivered"] == "1" and numbers["failed"] == "1"


def test_the_menu_is_grouped(admin_client):
    page = admin_client.page("/").text
    for heading in ("短信", "语音", "联系人", "工单", "报表", "系统"):
        assert f'<span class="nav-head">{heading}</span>' in page, heading


# --- in a browser ------------------------------------------------------------------------

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        pytest.skip("chromium and chromium-driver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_the_dashboard_refreshes_without_a_reload(chromium, server, web_config, ami_port, width, height):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    make_user("root", "admin")
    d.get(f"{server}/signin?next=/")
    d.find_element(By.ID, "username").send_keys("root")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.ID, "signin").click()
    WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "dashboard"))
    assert d.find_element(By.CSS_SELECTOR, "[data-field=queue]").text == "0"
    assert d.find_element(By.CSS_SELECTOR, "[data-health=ami] .state").get_attribute("class") == "state fail"
    d.execute_script("window.__same_page = true")

    now = datetime.datetime.now()
    Message.create(to_number="+8613800138000", text="x", state="queued", created_at=now, updated_at=now)
    # A modem smsd reports, then takes out to reset: its row follows without a reload.
    ModemStatus.create(port="gsm0", state="ok", sim_state="READY", registration="home", signal_dbm=-71,
                       sent_today=3)
    lock_out_a_policy()
    listener = Listener(ami_port)
    try:
        with running_lock(web_config.data_dir, "services"):
            WebDriverWait(d, 15).until(lambda drv: drv.find_element(By.CSS_SELECTOR, "[data-field=queue]").text == "1")
            wait_for(lambda: "电话验证" in d.find_element(By.ID, "alarms").text, 10, "the lockout alarm")
            wait_for(lambda: d.find_element(By.CSS_SELECTOR, "[data-health=ami] .state").get_attribute("class")
                     == "state ok", 10, "the AMI reachable")
            wait_for(lambda: d.find_element(By.CSS_SELECTOR, "[data-health=services] .state").text == "运行中",
                     10, "the services daemon running")
            wait_for(lambda: modem_row(d) == ["gsm0", "正常", "就绪", "- 本地网络", "-71", "3"], 10, "the modem")
            ModemStatus.update(state="resetting", sim_state="SIM PIN", registration="searching",
                               sent_today=4).execute()
            wait_for(lambda: modem_row(d) == ["gsm0", "重启中", "需要输入 PIN 码", "- 正在搜索网络", "-71", "4"], 10,
                     "the modem's new state")
            assert d.execute_script("return document.querySelector('[data-modem=gsm0] .state').className") == \
                "state resetting"
            assert d.execute_script("return window.__same_page === true")  # no reload
            wide = d.execute_script("""return Array.from(document.querySelectorAll('body *')).filter(
                e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)""")
            assert d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), wide
            SHOTS.mkdir(exist_ok=True)
            d.save_screenshot(str(SHOTS / f"dashboard-{width}.png"))
    finally:
        listener.close()


def modem_row(d):
    """A modem row's cells as shown (its last report time left out), [] while it is absent."""
    return d.execute_script("""return Array.from(document.querySelectorAll('#modem-rows tr[data-modem] td'))
        .slice(0, 6).map(td => td.textContent.trim())""")  # in one go: the refresh replaces the rows
