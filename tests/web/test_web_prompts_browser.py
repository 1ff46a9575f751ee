"""Re-recording a prompt in headless Chromium: web/static/prompts.js opens the
microphone (Chromium's fake capture device, a beeping tone), makes a WAV in the
page and posts it with the CSRF header; the box stores it as 8 kHz mono."""
import subprocess
import wave
from pathlib import Path

import pytest
from web_support import PASSWORD, make_user

from appliance.ivr import prompt_files
from appliance.models import AuditLog

pytestmark = [pytest.mark.browser, pytest.mark.slow]

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)


@pytest.fixture
def chromium(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 "--window-size=1280,900", f"--user-data-dir={tmp_path / 'chrome-profile'}",
                 # A fake microphone, granted without a prompt: the recorder gets real samples.
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def test_record_in_the_browser_and_save(chromium, server, web_config, web_db):
    default = prompt_files.default_path(web_config, "goodbye", "zh")
    default.parent.mkdir(parents=True)
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(default), "synth", "0.5", "sine", "300"],
                   check=True)
    make_user("root", "admin")
    d = chromium
    d.get(f"{server}/signin?next=/prompts/goodbye")
    d.find_element(By.ID, "username").send_keys("root")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.ID, "signin").click()
    WebDriverWait(d, 20).until(lambda drv: drv.find_elements(By.ID, "recorder-zh"))
    assert d.find_element(By.ID, "prompt-zh").find_element(By.TAG_NAME, "audio").get_attribute("src") \
        .startswith(f"{server}/prompts/goodbye/zh.wav?v=")

    box = d.find_element(By.ID, "recorder-zh")
    status = box.find_element(By.CSS_SELECTOR, "[data-role=status]")
    assert not box.find_element(By.CSS_SELECTOR, "[data-role=preview]").is_displayed()  # nothing recorded yet
    assert not box.find_element(By.CSS_SELECTOR, "[data-role=save]").is_enabled()
    box.find_element(By.CSS_SELECTOR, "[data-role=start]").click()
    WebDriverWait(d, 10).until(lambda drv: "正在录音" in status.text, message=status.text)
    d.execute_script("return new Promise(function (done) { setTimeout(done, 1500); })")
    box.find_element(By.CSS_SELECTOR, "[data-role=stop]").click()
    WebDriverWait(d, 10).until(lambda drv: "已录制" in status.text, message=status.text)
    preview = box.find_element(By.CSS_SELECTOR, "[data-role=preview]")
    assert preview.is_displayed() and preview.get_attribute("src").startswith("blob:")
    d.execute_script("window.__old_page = true")
    box.find_element(By.CSS_SELECTOR, "[data-role=save]").click()
    WebDriverWait(d, 20).until(lambda drv: drv.execute_script(
        "return window.__old_page === undefined && document.readyState === 'complete'"))

    flash = d.find_element(By.CSS_SELECTOR, ".flash").text
    assert "提示音已替换" in flash, flash
    with wave.open(str(prompt_files.custom_path(web_config, "goodbye", "zh"))) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert 1.0 < audio.getnframes() / 8000 < 3.0
    row = AuditLog.get(AuditLog.action == "prompt.browser")
    assert row.actor == "root" and row.target == "prompt:goodbye/zh"
    assert "已由管理员替换" in d.find_element(By.ID, "prompt-zh").text
