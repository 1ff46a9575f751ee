"""Headless Chromium on the settings page at 1366×900 and 390×844, in the demo's setup: a
real services daemon started and supervised by the demo's own code (appliance.demo.Child,
supervise() in a thread: `appliance demo`'s own loop). The admin changes the
notice run's time, saves, presses "apply now", and sees on the same page, without a
reload, when the daemon came back; the daemon is a new process reading the new value."""
import threading
from pathlib import Path

import pytest
from browser_support import fits, loaded_after, start_chromium, sign_in  # skips without Chromium
from peer_support import wait_for
from test_web_settings import config_path, file_server  # noqa: F401  (fixtures)
from test_web_settings_apply import data_dir, start_daemon
from web_support import PASSWORD, make_user

from appliance.config import load_config
from appliance.demo import stop_children, supervise

pytestmark = [pytest.mark.browser]
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chrome"))
    yield driver
    driver.quit()


@pytest.fixture
def supervised(config_path):  # noqa: F811
    """The services daemon under the demo's own supervisor loop; yields the children list."""
    children = [start_daemon(config_path)]
    stop = threading.Event()

    thread = threading.Thread(target=supervise, args=(data_dir(config_path), children, stop), daemon=True)
    thread.start()
    yield children
    stop.set()
    thread.join(60)
    stop_children(children)


def absent(d, element_id):
    """Without the implicit wait's 5 s that find_elements spends on an element not there."""
    return d.execute_script("return document.getElementById(arguments[0]) === null", element_id)


def sticking_out(d):
    """The first elements wider than the window, to say which."""
    return d.execute_script("""return Array.from(document.querySelectorAll('main *')).filter(
        e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName).slice(0, 6)""")


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_apply_now_restarts_the_daemon_and_shows_it_back(chromium, file_server, config_path, supervised,  # noqa: F811
                                                           width, height):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    make_user("root", "admin")
    first_pid = supervised[0].proc.pid
    sign_in(d, file_server, "root", PASSWORD, next="/settings")
    assert absent(d, "apply-now")  # nothing changed yet

    field = d.find_element(By.NAME, "notices.run_at")
    field.clear()
    field.send_keys("07:45")
    loaded_after(d, d.find_element(By.CSS_SELECTOR, "#settings-form button[type=submit]").click)
    assert load_config(str(config_path))["notices.run_at"] == "07:45"
    assert "立即生效" in d.find_element(By.ID, "apply-now").text
    assert fits(d), sticking_out(d)
    assert supervised[0].proc.pid == first_pid  # saving alone restarts nothing

    loaded_after(d, d.find_element(By.ID, "apply-now").click)
    d.execute_script("window.__same_page = true")
    status = d.find_element(By.CSS_SELECTOR, "#restarts [data-daemon=services] [data-field=text]")
    WebDriverWait(d, 60).until(lambda drv: "重新运行" in status.text)  # restarts.js, no reload
    assert d.execute_script("return window.__same_page === true")
    assert status.get_attribute("class") == "restart back"
    wait_for(lambda: supervised[0].proc.pid != first_pid and supervised[0].proc.poll() is None, 10,
             "a new services process")
    assert fits(d), sticking_out(d)
    SHOTS.mkdir(exist_ok=True)
    d.execute_script("document.getElementById('restarts').scrollIntoView()")
    d.save_screenshot(str(SHOTS / f"settings-applied-{width}.png"))
    d.refresh()  # the daemon came back after the change: nothing left to apply
    assert absent(d, "apply-now")
