"""Headless Chromium against the real stack: the web server (cheroot, in this
process), smsd and the pty modem simulator (their own processes), one database.

Signs in (first sign-in forces a new password), sends an SMS that reaches the
simulator's air log, answers an inbound SMS, imports a CSV with a bad row, edits
an IVR menu; visits every page of the admin's side menu (and an import job's
page) and saves a screenshot of each into tests/screenshots/.
"""
import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from peer_support import free_port

from appliance import db as dbmod, demo_data
from appliance.config import Config, ensure_data_dir
from appliance.ivr.menus import ensure_default_menu
from appliance.ivr.models import MenuNode
from appliance.sms.models import InboundMessage
from appliance.users import create_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
FIRST_PASSWORD = "first-time-pass"
NEW_PASSWORD = "新密码-long-enough"

webdriver = pytest.importorskip("selenium.webdriver")
from peer_support import wait_for
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)


def wait_until(check, timeout=30.0, what="condition"):
    return wait_for(check, timeout, what, interval=0.2)


def air_texts(modems_dir):
    """(number, text) of every part the simulated modems were given to send."""
    from modem.pdu import decode
    from modem.sim import read_air
    out = []
    for record in read_air(modems_dir):
        if record.get("result") == "ok":
            info = decode(record["pdu"])
            out.append((info["number"], info["text"]))
    return out


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    modems = base / "modems"
    modems.mkdir()
    port = free_port()
    config_path = base / "appliance.toml"
    config_path.write_text(f'data_dir = "{base / "data"}"\n[modems]\nports = ["{modems}/gsm*"]\n'
                           f'rejoin_interval = 1.0\n[web]\nlisten = "127.0.0.1:{port}"\n')
    config = Config({"data_dir": str(base / "data"), "modems.ports": [f"{modems}/gsm*"],
                     "web.listen": f"127.0.0.1:{port}", "modems.rejoin_interval": 1.0})
    ensure_data_dir(config)
    database = dbmod.open_database(config)
    dbmod.migrate(database)
    demo_data.seed(customers=30)
    ensure_default_menu()
    create_user("admin", FIRST_PASSWORD, "admin", actor="test")

    argv = [sys.executable, "-m", "appliance.cli", "--config", str(config_path)]
    sim = subprocess.Popen(argv + ["sim", "--modems", "1", "--dir", str(modems), "--latency", "0"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    from modem.sim import wait_for_links
    assert wait_for_links(modems, 1, timeout=20)
    smsd = subprocess.Popen(argv + ["run", "smsd"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)

    from web.app import build_app
    from web.server import make_server, serve_in_thread
    server = make_server(config, build_app(config))
    serve_in_thread(server)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 "--window-size=1280,900", f"--user-data-dir={base / 'chrome-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    SHOTS.mkdir(exist_ok=True)
    try:
        yield {"driver": driver, "url": f"http://127.0.0.1:{port}", "modems": modems, "argv": argv,
               "config": config, "base": base}
    finally:
        driver.quit()
        server.stop()
        for proc in (smsd, sim):
            os.killpg(proc.pid, 15)
        for proc in (smsd, sim):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        database.close()
        shutil.rmtree(base / "chrome-profile", ignore_errors=True)


def go(stack, path):
    stack["driver"].get(stack["url"] + path)


def shot(stack, name):
    stack["driver"].save_screenshot(str(SHOTS / f"{name}.png"))


def _navigate(d, action):
    """Run action (a click) and wait until the next page has loaded.

    selenium's staleness_of races chromedriver ("Node with given id does not
    belong to the document") when the old page is torn down mid-check, so the
    old page is tagged with a window property instead: a new page lacks it."""
    d.execute_script("window.__old_page = true")
    action()

    def loaded(drv):
        try:
            return drv.execute_script(
                "return window.__old_page === undefined && document.readyState === 'complete'")
        except WebDriverException:  # the page is being replaced right now
            return False
    WebDriverWait(d, 20).until(loaded)


def click(stack, element_id):
    """Click a submit button or link and wait for the next page to load."""
    d = stack["driver"]
    _navigate(d, d.find_element(By.ID, element_id).click)


def follow(stack, link_text):
    d = stack["driver"]
    _navigate(d, d.find_element(By.LINK_TEXT, link_text).click)


def flash(stack):
    return stack["driver"].find_element(By.CSS_SELECTOR, "p.flash").text


def test_1_sign_in_forces_a_new_password(stack):
    d = stack["driver"]
    go(stack, "/inbox")
    assert "/signin" in d.current_url
    shot(stack, "signin")
    d.find_element(By.ID, "username").send_keys("admin")
    d.find_element(By.ID, "password").send_keys(FIRST_PASSWORD)
    click(stack, "signin")
    assert d.current_url.endswith("/password")
    d.find_element(By.ID, "old_password").send_keys(FIRST_PASSWORD)
    d.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
    d.find_element(By.ID, "new_password2").send_keys(NEW_PASSWORD)
    click(stack, "change")
    assert d.current_url == stack["url"] + "/"
    assert "密码已修改" in flash(stack)
    # smsd reports the simulated modem; the dashboard shows it with its signal bars.
    # The row can appear before the first signal reading, so wait for both.
    wait_until(lambda: (d.refresh() or "gsm0" in d.find_element(By.ID, "modems").text
                        and d.find_elements(By.CSS_SELECTOR, "#modems .bars i.on")), 40, "modem with signal")
    shot(stack, "dashboard")


def test_2_send_an_sms_that_reaches_the_simulator(stack):
    d = stack["driver"]
    go(stack, "/send")
    d.find_element(By.ID, "to").send_keys("13800138000")
    text = "您好，您的保单已续保成功。浏览器测试"
    d.find_element(By.ID, "text").send_keys(text)
    # The live preview asks the box for parts and cost as the text is typed.
    wait_until(lambda: d.find_element(By.ID, "preview-text").text == text, 10, "live preview")
    assert d.find_element(By.ID, "preview-parts").text == "1"
    assert d.find_element(By.ID, "preview-cost").text == "¥0.05"
    shot(stack, "send")
    click(stack, "send")
    assert "/history/" in d.current_url and "短信已排队" in flash(stack)
    wait_until(lambda: ("+8613800138000", text) in air_texts(stack["modems"]), 40, "the SMS on the air")
    go(stack, "/history")
    wait_until(lambda: d.refresh() or "已送达" in d.find_element(By.ID, "history").text
               or "已发送" in d.find_element(By.ID, "history").text, 30, "sent state in the history")
    shot(stack, "history")


def test_3_answer_an_inbox_message(stack):
    d = stack["driver"]
    subprocess.run(stack["argv"] + ["sim", "inject", "--dir", str(stack["modems"]), "--modem", "gsm0",
                                    "--from", "13900139000", "--text", "请问<b>保单</b>什么时候到期？"],
                   check=True, capture_output=True, timeout=30)
    wait_until(lambda: InboundMessage.select().where(InboundMessage.from_number == "+8613900139000").exists(),
               40, "the inbound SMS in the database")
    go(stack, "/inbox")
    table = d.find_element(By.ID, "inbox").text
    assert "请问<b>保单</b>什么时候到期？" in table  # shown as text, not markup
    shot(stack, "inbox")
    follow(stack, "打开")
    d.find_element(By.ID, "reply-text").send_keys("您的保单将于2027年1月1日到期。")
    click(stack, "reply")
    assert "回复已排队" in flash(stack)
    wait_until(lambda: ("+8613900139000", "您的保单将于2027年1月1日到期。") in air_texts(stack["modems"]),
               40, "the reply on the air")
    message = InboundMessage.get(InboundMessage.from_number == "+8613900139000")
    assert message.state == "handled" and message.handled_by == "admin"


def test_4_import_a_csv_with_a_bad_row(stack, tmp_path):
    d = stack["driver"]
    path = tmp_path / "新客户.csv"
    path.write_text("客户号,姓名,手机号码\nB001,陈一,13800138111\nB002,林二,1380013\nB003,黄三,13800138333\n",
                    encoding="utf-8")
    go(stack, "/import")
    Select(d.find_element(By.ID, "import-kind")).select_by_value("customers")
    d.find_element(By.ID, "import-file").send_keys(str(path))
    click(stack, "import-submit")
    errors = d.find_element(By.ID, "import-errors").text
    assert "3" in errors and "手机号码" in errors
    assert "未导入任何数据" in d.find_element(By.ID, "import-error").text
    shot(stack, "import")


def test_5_edit_an_ivr_menu(stack):
    d = stack["driver"]
    go(stack, "/ivr")
    shot(stack, "ivr")
    follow(stack, "理赔查询")
    title = d.find_element(By.ID, "ivr-title")
    title.clear()
    title.send_keys("理赔进度查询")
    timeout = d.find_element(By.ID, "ivr-timeout")
    timeout.clear()
    timeout.send_keys("7000")
    click(stack, "ivr-save")
    assert "已保存" in flash(stack)
    node = MenuNode.get(MenuNode.name == "claim")
    assert (node.title, node.timeout_ms) == ("理赔进度查询", 7000)
    shot(stack, "ivr_node")


def test_6_screenshots_of_the_other_pages_in_both_languages(stack):
    d = stack["driver"]
    for path, name in (("/customers", "customers"), ("/policies", "policies"), ("/users", "users"),
                       ("/audit", "audit"), ("/groups", "groups"), ("/settings", "settings")):
        go(stack, path)
        assert d.find_element(By.TAG_NAME, "h1").text
        shot(stack, name)
    go(stack, "/audit")
    audit = d.find_element(By.ID, "audit").text  # the IVR edit of test_5, in words (never ivr.update)
    assert "语音菜单 · 已修改" in audit and "ivr.update" not in audit
    follow(stack, "English")
    assert d.find_element(By.TAG_NAME, "h1").text == "Audit log"
    go(stack, "/")
    shot(stack, "dashboard_en")
    follow(stack, "中文")


def page_problem(d, path):
    """Why the page now shown is not a good page for `path`, or None."""
    status = d.execute_script("var e = performance.getEntriesByType('navigation')[0];"
                              " return e ? e.responseStatus : null;")
    body = d.find_element(By.TAG_NAME, "body").text
    headings = [h.text.strip() for h in d.find_elements(By.TAG_NAME, "h1")]
    if status != 200:
        return f"{path}: HTTP {status}"
    if urllib.parse.urlsplit(d.current_url).path != path:
        return f"{path}: ended on {d.current_url}"
    if not headings or not headings[0]:
        return f"{path}: no heading"
    for sign in ("Traceback", "Internal Server Error", "Critical error", "返回总览"):
        if sign in body:  # 返回总览: the error page's 'Back to the dashboard' link
            return f"{path}: {sign!r} on the page"
    return None


def test_7_every_menu_page_and_an_import_job_render(stack, tmp_path):
    """Every link of the signed-in admin's side menu (read from the page, so new
    pages are covered as they are added) and an import job's page: no error,
    a heading, a screenshot named after the path."""
    d = stack["driver"]
    go(stack, "/")
    paths = [urllib.parse.urlsplit(a.get_attribute("href")).path
             for a in d.find_elements(By.CSS_SELECTOR, "nav.side a")]
    assert {"/", "/send", "/inbox", "/customers", "/import", "/reports", "/audit"} <= set(paths), paths
    upload = tmp_path / "菜单测试.csv"
    upload.write_text("客户号,姓名,手机号码\nM001,周一,13800138901\nM002,吴二,13800138902\n", encoding="utf-8")
    go(stack, "/import")
    Select(d.find_element(By.ID, "import-kind")).select_by_value("customers")
    d.find_element(By.ID, "import-file").send_keys(str(upload))
    click(stack, "import-submit")
    assert d.find_element(By.ID, "import-report").text
    job_path = urllib.parse.urlsplit(d.find_element(By.CSS_SELECTOR, "#import-jobs a").get_attribute("href")).path
    assert job_path.startswith("/import/jobs/")
    problems = []
    for path in [*paths, job_path]:
        go(stack, path)
        problem = page_problem(d, path)
        if problem:
            problems.append(problem)
        shot(stack, "page_" + (path.strip("/").replace("/", "_") or "root"))
    assert not problems, problems
    go(stack, job_path)
    assert d.find_element(By.ID, "job-progress").get_attribute("value") == "100"
    assert "已完成" in d.find_element(By.ID, "job-state").text


def test_8_a_large_import_moves_its_progress_bar_then_shows_the_report(stack, tmp_path, monkeypatch):
    """The job page's script (static/import_job.js) moves the bar from the job's
    JSON without reloading, and reloads once to show the report."""
    import threading

    from appliance import importer
    from appliance.models import Customer
    from web.pages import imports as page_import
    monkeypatch.setattr(page_import, "IMPORT_WAIT", 0)  # the server runs in this process
    # The import waits (importer.barrier) once staged until the page has shown its bar,
    # then after its first published batch until the bar has moved: however fast it is.
    page_seen, bar_moved = threading.Event(), threading.Event()
    waits = {"staged": page_seen, "published": bar_moved}

    def barrier(point):
        if point in waits:
            waits[point].wait(120)
    monkeypatch.setattr(importer, "barrier", barrier)
    d = stack["driver"]
    rows = 4000
    upload = tmp_path / "大批客户.csv"
    upload.write_text("客户号,姓名,手机号码\n" + "".join(f"L{i:05d},客户{i},139{i:08d}\n" for i in range(rows)),
                      encoding="utf-8")
    go(stack, "/import")
    Select(d.find_element(By.ID, "import-kind")).select_by_value("customers")
    d.find_element(By.ID, "import-file").send_keys(str(upload))
    click(stack, "import-submit")
    assert "/import/jobs/" in d.current_url
    d.execute_script("window.__job_page = true")  # gone once the script reloads the page
    first = int(d.find_element(By.ID, "job-progress").get_attribute("value"))
    page_seen.set()
    moved = []

    def report_shown():
        try:
            if d.execute_script("return window.__job_page === true"):
                value = int(d.find_element(By.ID, "job-progress").get_attribute("value"))
                if first < value < 100:
                    moved.append(value)
                    bar_moved.set()
                return False
            return d.find_elements(By.ID, "import-report")
        except WebDriverException:  # the page is being reloaded right now
            return False
    wait_until(report_shown, 120, "the job page to show the report")
    shot(stack, "import_job")
    assert moved, f"the bar never moved from {first} before the report"
    assert f"{rows}" in d.find_element(By.ID, "import-report").text
    assert Customer.select().where(Customer.customer_no.startswith("L")).count() == rows
