"""Screenshots of every page of the admin page at 1366×900 (a desk) and 390×844 (a phone),
in Chinese into tests/screenshots/NAME-1366x900.png and NAME-390x844.png, and in English into
NAME-en-1366x900.png and NAME-en-390x844.png (committed; the README opens with the
dashboard's). Every page of the signed-in admin's side menu (read
from the page, so pages added later are covered) and the detail pages with demo data.

Chromium's PNG is reduced to a 64-colour palette (Pillow): a page is mostly flat colour
and text, and a few dozen KB each keep the repository small.
"""
import io
import shutil
import urllib.parse
from pathlib import Path

import pytest
from peer_support import free_port
from web_support import PASSWORD, make_user

from appliance import db as dbmod, demo_data
from appliance.config import Config, ensure_data_dir
from appliance.ivr.menus import ensure_default_menu
from appliance.ivr.models import MenuNode
from appliance.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

webdriver = pytest.importorskip("selenium.webdriver")
Image = pytest.importorskip("PIL.Image")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
SIZES = ((1366, 900), (390, 844))
MAX_BYTES = 120_000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The web server on a demo database, and one headless Chromium."""
    from web.app import build_app
    from web.server import make_server, serve_in_thread
    base = tmp_path_factory.mktemp("shots")
    config = Config({"data_dir": str(base / "data"), "web.listen": f"127.0.0.1:{free_port()}"})
    ensure_data_dir(config)
    database = dbmod.open_database(config)
    dbmod.migrate(database)
    demo_data.seed(customers=30, staff=10)
    ensure_default_menu()
    make_user("admin", "admin")
    server = make_server(config, build_app(config))
    serve_in_thread(server)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 "--hide-scrollbars", f"--user-data-dir={base / 'chrome-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    SHOTS.mkdir(exist_ok=True)
    try:
        yield driver, "http://%s:%s" % server.bind_addr[:2], config
    finally:
        driver.quit()
        server.stop()
        database.close()
        shutil.rmtree(base / "chrome-profile", ignore_errors=True)


def open_page(d, url):
    d.get(url)
    WebDriverWait(d, 20).until(lambda drv: drv.execute_script("return document.readyState") == "complete")


def size_to(d, width, height):
    """The exact viewport (the window's size would include Chromium's frame)."""
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def save_shot(d, name, width, height):
    """The viewport as a small palette PNG; returns its path."""
    image = Image.open(io.BytesIO(d.get_screenshot_as_png())).convert("RGB")
    path = SHOTS / f"{name}-{width}x{height}.png"
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def sign_in(d):
    """Sign in on the sign-in page now shown."""
    d.find_element(By.ID, "username").send_keys("admin")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.ID, "signin").click()
    WebDriverWait(d, 20).until(lambda drv: "/signin" not in drv.current_url)


def page_name(path):
    return path.strip("/").replace("/", "-") or "dashboard"


def pages(d, base):
    """(name, path) of every side-menu page and the detail pages with data."""
    open_page(d, base + "/")
    menu = [urllib.parse.urlsplit(a.get_attribute("href")).path
            for a in d.find_elements(By.CSS_SELECTOR, "nav.side a")]
    main = MenuNode.get(MenuNode.name == "main")
    claim = MenuNode.get(MenuNode.name == "claim")
    customer = Customer.select().order_by(Customer.id).first()
    details = [("ivr-menu", f"/ivr/{main.id}"), ("ivr-entry", f"/ivr/{claim.id}"),
               ("customer", f"/customers/{customer.id}"), ("prompt", "/prompts/menu_main")]
    return [(page_name(p), p) for p in dict.fromkeys(menu)] + details


LANGUAGES = (("zh", ""), ("en", "-en"))  # the page's language, and its suffix in the file names


def test_every_page_at_both_sizes(site):
    d, base, config = site
    size_to(d, 1366, 900)
    for lang, suffix in LANGUAGES:  # the sign-in page first, as everyone sees it
        open_page(d, f"{base}/lang/{lang}?next=/signin")
        for width, height in SIZES:
            size_to(d, width, height)
            save_shot(d, f"signin{suffix}", width, height)
    open_page(d, f"{base}/lang/zh?next=/signin")
    sign_in(d)
    shown = pages(d, base)
    assert {"dashboard", "ivr", "send", "customers"} <= {name for name, _ in shown}, shown
    problems = []
    for lang, suffix in LANGUAGES:
        open_page(d, f"{base}/lang/{lang}?next=/")
        for width, height in SIZES:
            size_to(d, width, height)
            for name, path in shown:
                open_page(d, base + path)
                if urllib.parse.urlsplit(d.current_url).path != path or not d.find_elements(By.TAG_NAME, "h1"):
                    problems.append(f"{path} at {width} in {lang}: ended on {d.current_url} without a heading")
                    continue
                if d.find_element(By.TAG_NAME, "html").get_attribute("lang")[:2] != lang:
                    problems.append(f"{path} at {width}: not in {lang}")
                shot = save_shot(d, name + suffix, width, height)
                with Image.open(shot) as image:
                    assert image.size == (width, height), (shot, image.size)
                if shot.stat().st_size > MAX_BYTES:
                    problems.append(f"{shot.name}: {shot.stat().st_size} bytes")
    open_page(d, f"{base}/lang/zh?next=/")  # the tests after this one read Chinese
    assert not problems, problems


def test_ivr_editor_shows_the_fields_of_the_chosen_action_and_plays_prompts(site):
    """(Same Chromium: signed in by the test above, or here.) The number field only for a transfer;
    play plays the chosen prompt's file, and says so when there is none."""
    import wave

    from selenium.webdriver.support.ui import Select
    d, base, config = site
    built = Path(config.data_dir) / "prompts" / "zh" / "menu_main.wav"
    built.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(built), "wb") as out:  # a second of silence, as Asterisk's prompts are made
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)
    size_to(d, 390, 844)
    main = MenuNode.get(MenuNode.name == "main")
    open_page(d, f"{base}/ivr/{main.id}")
    if "/signin" in d.current_url:
        sign_in(d)
        open_page(d, f"{base}/ivr/{main.id}")
    form = d.find_element(By.ID, "ivr-child-form")
    number = form.find_element(By.ID, "child-number")
    assert Select(form.find_element(By.ID, "child-digit")).first_selected_option.get_attribute("value") == "7"
    assert not number.is_displayed()
    Select(form.find_element(By.ID, "child-action")).select_by_value("transfer")
    assert number.is_displayed() and not form.find_element(By.ID, "child-after").is_displayed()
    Select(form.find_element(By.ID, "child-prompt")).select_by_value("after_hours")
    form.find_element(By.CSS_SELECTOR, "[data-role=play]").click()
    status = form.find_element(By.CSS_SELECTOR, "[data-role=play-status]")
    WebDriverWait(d, 10).until(lambda drv: status.text)
    assert status.text == "这段提示音还没有音频文件（请先生成提示音）。"
    Select(form.find_element(By.ID, "child-prompt")).select_by_value("menu_main")
    form.find_element(By.CSS_SELECTOR, "[data-role=play]").click()
    WebDriverWait(d, 10).until(lambda drv: form.get_attribute("data-playing") == "menu_main")
    assert status.text == ""
