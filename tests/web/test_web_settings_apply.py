"""Settings applied from the page: "apply now" asks the box to restart the daemons the
changed keys need, and the page shows when each came back. The request channel
(appliance/system/restarts.py) is acted on by the demo's supervisor (a real daemon
process restarted here) and on the box by the root helper behind appliance-restart.path
(its units checked with systemd-analyze; systemctl itself stands in as a recording script,
as no systemd runs these tests)."""
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_web_settings import config_path, file_server, form_fields, signed_in  # noqa: F401  (fixtures)

from appliance import clock
from appliance.config import load_config
from appliance.demo import Child, READY_TIMEOUT, serve_restarts, stop_children
from appliance.models import AuditLog
from appliance.system import restarts

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def data_dir(config_path):
    return Path(load_config(str(config_path)).data_dir)


def save_run_at(admin, value="08:30"):
    fields = form_fields(admin.page("/settings").text)
    fields["notices.run_at"] = value
    assert admin.post("/settings", fields).status == 303


def test_saving_offers_apply_now_for_the_daemons_it_needs(file_server, config_path):
    admin = signed_in(file_server, "admin")
    save_run_at(admin)
    page = admin.page("/settings").text
    assert "已保存" in page and "立即生效" in page  # the flash and the button, in Chinese
    assert 'name="daemon" value="services"' in page and 'name="daemon" value="smsd"' not in page
    assert "systemctl" not in page

    resp = admin.post("/settings/apply", {"daemon": "services"})
    assert resp.status == 303
    asked = (data_dir(config_path) / "restart" / "services.request").read_text()
    assert abs((clock.now() - clock.datetime.datetime.fromisoformat(asked)).total_seconds()) < 60
    assert AuditLog.select().where(AuditLog.action == "settings.apply").get().target == "services"
    live = admin.api("GET", "/settings/restarts.json").json
    assert live["services"]["state"] == "waiting" and "请求重启" in live["services"]["text"]
    assert live["smsd"]["state"] == "none"


def test_a_spoken_text_changed_offers_the_prompts_rebuild_too(file_server, config_path):
    admin = signed_in(file_server, "admin")
    fields = form_fields(admin.page("/settings").text)
    fields["hotline"] = "95511"
    assert admin.post("/settings", fields).status == 303
    page = admin.page("/settings").text
    assert 'name="daemon" value="prompts"' in page and "prompts build" not in page  # no shell step left
    assert admin.post("/settings/apply", {"daemon": ["agi", "prompts"]}).status == 303
    live = admin.api("GET", "/settings/restarts.json").json
    assert live["prompts"]["state"] == "waiting" and "请求重新生成" in live["prompts"]["text"]


def test_apply_refuses_a_name_that_is_not_a_daemon(file_server, config_path):
    admin = signed_in(file_server, "admin")
    admin.page("/settings")
    resp = admin.post("/settings/apply", {"daemon": "../../etc/passwd"}, headers={"Referer": "/settings"})
    assert resp.status == 303
    page = admin.page("/settings").text
    assert "daemon" in page and "输入有误" in page
    assert not (data_dir(config_path) / "restart").exists() or not list((data_dir(config_path) / "restart").iterdir())


def test_operators_cannot_apply(file_server, config_path):
    operator = signed_in(file_server, "operator")
    operator.page("/")
    assert operator.post("/settings/apply", {"daemon": "services"}).status == 403
    assert operator.get("/settings/restarts.json").status == 403
    assert not (data_dir(config_path) / "restart").exists()


def start_daemon(config_path, name="services"):
    argv = [sys.executable, "-m", "appliance.cli", "--config", str(config_path), "run", name]
    child = Child(name, argv, daemon=True)
    assert child.wait_ready(time.monotonic() + READY_TIMEOUT), child.reason()
    return child


def test_the_demo_supervisor_restarts_the_daemon_and_records_it_back(config_path):
    folder = data_dir(config_path)
    children = [start_daemon(config_path)]
    try:
        first = children[0].proc.pid
        serve_restarts(folder, children)  # nothing asked: nothing happens
        assert children[0].proc.pid == first
        restarts.request(folder, ["services"])
        assert restarts.status(folder, ["services"])["services"]["state"] == "waiting"
        serve_restarts(folder, children)
        assert children[0].proc.pid != first and children[0].proc.poll() is None
        state = restarts.status(folder, ["services"])["services"]
        assert state["state"] == "back" and state["back"] >= state["requested"]
        assert not list(folder.glob("restart/*.request")) and not list(folder.glob("restart/*.taking"))
    finally:
        stop_children(children)


def test_the_demo_runs_the_prompts_rebuild_with_its_own_configuration(config_path):
    """The demo's job runs `appliance prompts build` on the demo's file: here its prompts
    folder is a file, so the build fails at once, and the page is told why."""
    folder = data_dir(config_path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prompts").write_text("not a folder")
    children = [start_daemon(config_path)]
    try:
        restarts.request(folder, ["prompts"])
        serve_restarts(folder, children)
        state = restarts.status(folder, ["prompts"])["prompts"]
        assert state["state"] == "failed" and str(folder / "prompts") in state["detail"], state
        assert children[0].proc.poll() is None  # the daemons are left alone
    finally:
        stop_children(children)


def test_a_request_taken_but_not_finished_is_taken_again(tmp_path):
    """kill -9 of the supervisor between taking a request and recording it back."""
    restarts.request(tmp_path, ["smsd"])
    assert [name for name, _ in restarts.take(tmp_path)] == ["smsd"]  # …and the supervisor dies here
    assert restarts.status(tmp_path, ["smsd"])["smsd"]["state"] == "restarting"
    assert [name for name, _ in restarts.take(tmp_path)] == ["smsd"]


@pytest.fixture
def systemctl(tmp_path):
    """A systemctl that records its arguments and fails for appliance-smsd (a unit that does not start)."""
    script = tmp_path / "systemctl"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {tmp_path / 'systemctl.log'}
case "$2" in appliance-smsd.service) echo "Job failed" >&2; exit 1;; esac
""")
    script.chmod(0o755)
    return script


def test_the_root_helper_restarts_known_units_only(tmp_path, systemctl):
    restarts.request(tmp_path, ["services", "smsd", "sshd", "prompts"])
    code = restarts.run_with_systemd(tmp_path, {"services", "smsd", "web", "prompts"}, systemctl=str(systemctl))
    assert code == 1  # smsd failed
    assert (tmp_path / "systemctl.log").read_text().split("\n")[:-1] == [
        "restart appliance-prompts.service", "restart appliance-services.service", "restart appliance-smsd.service"]
    state = restarts.status(tmp_path, ["services", "smsd", "sshd"])
    assert state["services"]["state"] == "back"
    assert state["smsd"]["state"] == "failed" and "Job failed" in state["smsd"]["detail"]
    assert state["sshd"]["state"] == "failed" and state["sshd"]["detail"] == "unknown daemon"
    back = json.loads((tmp_path / "restart" / "services.back").read_text())
    assert back["ok"] is True and (tmp_path / "restart" / "services.back").stat().st_mode & 0o044 == 0o044


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_helper_units_are_valid_and_watch_the_request_files(tmp_path):
    path_unit = (UNITS / "appliance-restart.path").read_text()
    assert "PathExistsGlob=/var/lib/appliance/restart/*.request" in path_unit
    assert "appliance-restart.path" in (UNITS / "appliance.target").read_text()
    service = (UNITS / "appliance-restart.service").read_text()
    assert "ExecStart=/opt/appliance/current/bin/python -m appliance.system.restarts" in service
    assert "ExecStart=/opt/appliance/current/bin/appliance prompts build" in (UNITS / "appliance-prompts.service").read_text()
    for name in ("appliance-restart.path", "appliance-restart.service", "appliance-prompts.service"):
        text = (UNITS / name).read_text().replace("/opt/appliance/current/bin/python", sys.executable)
        text = text.replace("/opt/appliance/current/bin/appliance", str(Path(sys.executable).parent / "appliance"))
        (tmp_path / name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "appliance-restart.path"),
                             str(tmp_path / "appliance-restart.service"), str(tmp_path / "appliance-prompts.service")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # The module the helper runs is importable as written there.
    assert subprocess.run([sys.executable, "-c", "import appliance.system.restarts as r; r.main"],
                          capture_output=True).returncode == 0
