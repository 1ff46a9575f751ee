"""`appliance voice monitor [report]` as a real process: each target's last test, the daily
answer-rate figure, and a bad --days refused in one line with exit 2."""
import datetime
import json

from appliance import clock, db as dbmod
from appliance.config import load_config
from appliance.voice import monitor
from appliance.voice.models import CallAttempt


def test_monitor_status_and_daily_report(run_cli, tmp_path):
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\ntimezone = "UTC"\n[voice]\n'
                    'monitor_numbers = ["客服热线=95500", "营业部=057187654321"]\nmonitor_answer_seconds = 10\n')
    config = load_config(path)
    db = dbmod.open_and_migrate(config)
    today = clock.now().replace(hour=1, minute=0, second=0, microsecond=0)
    try:
        for hours, hotline in ((-23, ("answered", 2)), (0, ("no_answer", None)), (1, ("answered", 14))):
            now = today + datetime.timedelta(hours=hours)
            campaign = monitor.start_due(config, now=now)
            for attempt in CallAttempt.select().where(CallAttempt.campaign == campaign.id):
                result, seconds = hotline if attempt.number == "95500" else ("answered", 4)
                CallAttempt.update(state="done", result=result, answer_seconds=seconds, dialled_at=now,
                                   ended_at=now).where(CallAttempt.id == attempt.id).execute()
    finally:
        db.close()

    out = run_cli("voice", "monitor", "report", "--days", "2", "--json", config_path=path)
    assert out.returncode == 0, out.stderr
    rows = {(r["day"], r["target"]): r for r in json.loads(out.stdout)}
    day = today.date().isoformat()
    assert (rows[(day, "客服热线")]["tests"], rows[(day, "客服热线")]["answered"],
            rows[(day, "客服热线")]["in_time"]) == (2, 1, 0)
    assert rows[(day, "营业部")]["answer_rate"] == 1.0 and len(rows) == 4

    out = run_cli("voice", "monitor", "report", config_path=path)
    assert out.returncode == 0 and "客服热线" in out.stdout and "50.0%" in out.stdout, out.stdout
    out = run_cli("voice", "monitor", config_path=path)
    assert out.returncode == 0 and "slow" in out.stdout and "14 s" in out.stdout, out.stdout
    out = run_cli("voice", "monitor", "report", "--days", "0", config_path=path)
    assert out.returncode == 2 and out.stderr.strip().splitlines() == ["appliance: error: days: must be 1 to 366"], out.stderr


def test_doctor_reports_the_dialer_and_the_monitored_numbers(run_cli, tmp_path):
    from peer_support import free_port
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[voice]\nami = "127.0.0.1:{free_port()}"\n'
                    'monitor_numbers = ["客服热线=95500"]\n')
    dbmod.open_and_migrate(load_config(path)).close()
    out = run_cli("doctor", "--json", config_path=path)
    lines = {r["check"]: r for r in json.loads(out.stdout)}
    assert lines["voice.ami"]["status"] == "warn" and "dialer not running" in lines["voice.ami"]["detail"]
    assert "dialer" in lines["daemons"]["detail"]  # among the daemons that do not run
    assert (lines["answer monitoring"]["status"], lines["answer monitoring"]["detail"]) == (
        "ok", "0 number(s) answer in time; 1 not tested yet")


def test_appliance_run_dialer_is_ready_without_asterisk_and_stops_on_sigterm(tmp_path):
    """The real command under a real notify socket: READY while Asterisk is absent (it waits
    for it, saying so once), then SIGTERM: STOPPING and exit 0."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    from peer_support import free_port, wait_for
    path = tmp_path / "appliance.toml"
    port = free_port()
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[voice]\nami = "127.0.0.1:{port}"\n')
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(20)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "2000000"}
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(path), "run", "dialer"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        heard = [notify.recv(256).decode()]
        assert heard == ["READY=1"]
        heard.append(notify.recv(256).decode())
        assert heard[-1] == "WATCHDOG=1"  # petted while it waits for Asterisk
        proc.send_signal(signal.SIGTERM)
        wait_for(lambda: heard.append(notify.recv(256).decode()) or heard[-1] == "STOPPING=1", 10, "STOPPING=1")
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        notify.close()
    errors = [line for line in proc.stderr.read().splitlines() if "cannot reach the Asterisk manager" in line]
    assert len(errors) == 1 and f"127.0.0.1:{port}" in errors[0]
