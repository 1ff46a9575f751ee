"""The box's doctor checks (appliance/system/checks/): daemons, modems and SIMs, clock,
last backup — each OK/WARN/FAIL with what to do, said in the box's language.

No systemd runs these tests: systemctl and timedatectl stand in as scripts answering what
a box would (their output format as systemd 252 prints it); the real timedatectl of this
machine is asked too (it cannot tell, and the line says so)."""
import datetime
import os
import shutil

import pytest

from appliance import db as dbmod
from appliance.config import Config
from appliance.sms.models import ModemStatus
from appliance.system.checks import backups, daemons, modems, time_sync


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def config(tmp_path):
    config = Config({"data_dir": str(tmp_path / "data"), "modems.ports": [str(tmp_path / "gsm*")]})
    dbmod.open_and_migrate(config)
    return config


def test_daemons_under_systemd_name_the_unit_that_is_down_and_what_to_do(config, tmp_path):
    systemctl = script(tmp_path, "systemctl", 'case "$2" in appliance-smsd.service) echo failed; exit 3;; '
                                              'appliance-web.service) echo activating; exit 3;; esac; echo active')
    [(status, what, detail)] = daemons.check(config, ["agi", "smsd", "web"], systemctl, systemd=True)
    assert (status, what) == ("fail", "daemons")
    assert detail == ("not active: smsd (failed), web (activating); see journalctl -u appliance-smsd -n 50, "
                      "then systemctl restart appliance.target")
    all_up = script(tmp_path, "systemctl-up", "echo active")
    assert daemons.check(config, ["agi", "smsd"], all_up, systemd=True) == [("ok", "daemons", "all active: agi, smsd")]


def test_daemons_outside_systemd_say_so_and_read_the_locks(config):
    [(status, _, detail)] = daemons.check(config, ["agi", "smsd"], systemd=False)
    assert status == "warn" and detail == "not under systemd: running: none; not running: agi, smsd"


def test_the_clock_is_synchronised_or_not_or_cannot_tell(config, tmp_path):
    assert time_sync.check(config, script(tmp_path, "yes", "echo yes"))[0][0] == "ok"
    status, _, detail = time_sync.check(config, script(tmp_path, "no", "echo no"))[0]
    assert status == "warn" and "timedatectl timesync-status" in detail
    status, _, detail = time_sync.check(config, str(tmp_path / "missing"))[0]
    assert status == "warn" and detail.startswith("cannot tell whether the clock is synchronised")
    if shutil.which("timedatectl") and not os.path.isdir("/run/systemd/system"):
        assert time_sync.check(config)[0][0] == "warn"  # this machine's own, without systemd


def test_sims_and_signal_from_the_modem_state(config, tmp_path):
    for n in range(3):
        (tmp_path / f"gsm{n}").touch()
    ModemStatus.create(port="gsm0", state="ok", sim_state="READY", registration="home", signal_dbm=-71)
    ModemStatus.create(port="gsm1", state="ok", sim_state="SIM PIN", signal_dbm=-111)
    ModemStatus.create(port="gsm2", state="removed", alarm="no answer to AT for 3 tries")
    lines = modems.check(config)
    assert lines[0][0] == "warn" and "gsm2 removed (no answer to AT for 3 tries)" in lines[0][2]
    assert ("fail", "SIM in gsm1", "SIM PIN: set modems.pin") in lines
    assert ("warn", "signal in gsm1", "-111 dBm is weak: move the antenna or the box") in lines
    assert not any("gsm0" in what for _, what, _ in lines)  # a healthy modem: only the pool line


def test_the_last_backup_line_by_age(config, tmp_path):
    assert backups.check(config)[0][0] == "warn"
    folder = tmp_path / "data" / "backups"
    folder.mkdir()
    archive = folder / "nightly-20261101-023000.tar.gz"
    archive.write_bytes(b"x")
    now = datetime.datetime.fromtimestamp(archive.stat().st_mtime, datetime.timezone.utc).replace(tzinfo=None)
    assert backups.check(config, now=now + datetime.timedelta(hours=5)) == [
        ("ok", "last backup", "nightly-20261101-023000.tar.gz, 5 hours old")]
    status, _, detail = backups.check(config, now=now + datetime.timedelta(days=3))[0]
    assert status == "warn" and "72 hours old: see systemctl status appliance-backup.service" in detail


def test_doctor_speaks_the_box_language(run_cli, tmp_path):
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n')  # language: zh by default
    assert run_cli("init", config_path=path).returncode == 0
    out = run_cli("doctor", config_path=path)
    assert "WARN  最近备份: 尚无备份" in out.stdout and "OK    数据库完整性: ok" in out.stdout, out.stdout
    # The plug-ins' lines too: the calendar, the tickets' and the dialer's.
    assert "节假日日历: 节假日日历（chinesecalendar" in out.stdout, out.stdout
    assert "OK    单例任务: 尚未选出" in out.stdout and "运行中：无；" in out.stdout
    assert "OK    工单时限: " in out.stdout and "OK    超时工单: 0 张未结工单已超时" in out.stdout
    assert "voice.ami: 127.0.0.1:5038 无应答" in out.stdout or "voice.ami: " not in out.stdout
    path.write_text(f'data_dir = "{tmp_path / "data"}"\nlanguage = "en"\n')
    out = run_cli("doctor", config_path=path)
    assert "WARN  last backup: none yet" in out.stdout and ": not under systemd: running: none" in out.stdout
    assert "最近备份" not in out.stdout


def test_a_database_server_that_does_not_answer_is_a_failure_without_its_password(run_cli, tmp_path):
    from peer_support import free_port
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[database]\n'
                    f'url = "postgresql://app:s3cret-pw@127.0.0.1:{free_port()}/appliance"\n')
    out = run_cli("doctor", config_path=path)
    assert out.returncode == 1 and "s3cret-pw" not in out.stdout + out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("FAIL  数据库:"))
    assert "无应答" in line and "database.url" in line
