"""Rebuilding the default prompts from the prompts page, in headless Chromium at 1366×900
and 390×844: the button asks first, the request goes through appliance/system/restarts.py,
the box's supervisor (the demo's, running the real `appliance prompts build` on the box's
configuration file) rebuilds what the new company name changed, and the page shows the
progress and the result in Chinese without a reload."""
import shutil
import sys

import pytest
from browser_support import fits, loaded_after, start_chromium
from peer_support import wait_for
from selenium.webdriver.common.by import By
from web_support import PASSWORD, make_user

from agi import prompts
from appliance.config import Config
from appliance.demo import run_job
from appliance.models import AuditLog
from appliance.system import restarts

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chrome"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The default prompts as the box built them under the old company name (built once)."""
    root = tmp_path_factory.mktemp("prompts-built")
    prompts.build(Config({"data_dir": str(root)}))
    return root / "prompts"


def state_text(d):
    return d.execute_script("return document.getElementById('rebuild-state').textContent").strip()


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_rebuild_the_default_prompts_from_the_page(chromium, server, web_config, built, tmp_path, width, height):
    data_dir = web_config.data_dir
    shutil.copytree(built, data_dir / "prompts")
    welcome, goodbye = data_dir / "prompts/zh/welcome.wav", data_dir / "prompts/zh/goodbye.wav"
    before = {path: path.stat().st_mtime_ns for path in (welcome, goodbye)}
    # Branch admin renamed the company in the file the box's daemons read.
    config_file = tmp_path / "appliance.toml"
    config_file.write_text(f'data_dir = "{data_dir}"\ncompany_name = "华安保险"\n', encoding="utf-8")

    make_user("root", "admin")
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    d.get(f"{server}/signin?next=/prompts")
    d.find_element(By.ID, "username").send_keys("root")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    loaded_after(d, lambda: d.find_element(By.ID, "signin").click())
    assert state_text(d) == "尚未从本页重新生成"

    loaded_after(d, lambda: d.find_element(By.ID, "rebuild-prompts").click())
    assert d.find_element(By.ID, "confirm-question").text.startswith("重新生成默认语音提示？")
    assert fits(d)
    assert not (data_dir / "restart").exists()  # asked, nothing requested yet
    loaded_after(d, lambda: d.find_element(By.ID, "confirm-yes").click())
    assert "已请求重新生成" in d.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert state_text(d).startswith("已于 ") and "等待设备执行" in state_text(d)
    assert fits(d)
    assert AuditLog.select().where(AuditLog.action == "prompt.rebuild").count() == 1
    d.execute_script("window.__same_page = true")

    # The box's supervisor takes the request and runs the job, as `appliance demo` does.
    argv = [sys.executable, "-m", "appliance.cli", "--config", str(config_file), "run", "agi"]
    for name, asked in restarts.take(data_dir):
        assert name == "prompts"
        wait_for(lambda: state_text(d) == "正在重新生成…", 10, "the page saying it is rebuilding")
        run_job(data_dir, name, asked, argv)
    wait_for(lambda: state_text(d).startswith("已于 ") and state_text(d).endswith(" 重新生成"), 10,
             "the page saying it is rebuilt")
    assert d.execute_script("return window.__same_page === true")  # no reload
    assert welcome.stat().st_mtime_ns != before[welcome]  # says the new name
    assert goodbye.stat().st_mtime_ns == before[goodbye]  # unchanged text, kept
