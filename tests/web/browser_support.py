"""What the browser tests share: headless Chromium, waiting for the next page, the phone-width
check and the screenshots (as tests/web/test_web_screenshots.py saves them). Importing it skips
the module, saying why, where Chromium or selenium is missing."""
import io
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
Image = pytest.importorskip("PIL.Image")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def start_chromium(profile_dir, lang="zh-CN"):
    """A headless Chromium with its own profile (the caller quits it)."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", f"--lang={lang}",
                 f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    return driver


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


def sign_in(d, server, username, password, next=""):
    """Sign in through the sign-in form and wait for the page it leads to (`next`, or the dashboard)."""
    from selenium.webdriver.common.by import By
    d.get(f"{server}/signin" + (f"?next={next}" if next else ""))
    d.find_element(By.ID, "username").send_keys(username)
    d.find_element(By.ID, "password").send_keys(password)
    loaded_after(d, d.find_element(By.ID, "signin").click)
