"""The unit files in systemd/: valid for systemd's own parser, the data dir 0750 and
files 0640 (issue 15: the database with customers' ID numbers was world-readable),
nothing pointing at a file the image does not install, and the nightly backup timer."""
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).parents[2] / "systemd"
RELEASE_BIN = "/opt/appliance/current/bin/"
# agi's files are group-writable on purpose: Asterisk (group appliance) records into its folders.
UMASKS = {"appliance-agi.service": "0007"}


def settings(unit):
    """{key: last value} of a unit file, as systemd reads it (the last assignment wins)."""
    found = {}
    for line in (UNITS / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def services():
    return sorted(p.name for p in UNITS.glob("*.service"))


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_every_unit_parses_without_a_warning(tmp_path):
    """systemd-analyze verify exits 0 even on a bad value (it ignores the line): any
    word on stderr is a failure here. The release's programs are pointed at this venv."""
    for unit in UNITS.iterdir():
        text = unit.read_text().replace(RELEASE_BIN + "python", sys.executable)
        text = text.replace(RELEASE_BIN + "appliance", str(Path(sys.executable).parent / "appliance"))
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_the_data_dir_is_0750_and_the_daemons_files_0640():
    for unit in services():
        found = settings(unit)
        if "StateDirectory" in found:
            assert found.get("StateDirectoryMode") == "0750", unit
        if found.get("User") == "appliance":
            assert found.get("UMask") == UMASKS.get(unit, "0027"), unit
            assert found["ExecStart"].startswith(RELEASE_BIN), unit  # the release `appliance upgrade` switches


def test_no_unit_points_at_documentation_that_is_not_installed():
    for unit in UNITS.iterdir():
        assert "Documentation" not in settings(unit.name), unit.name


def test_the_nightly_backup_timer_is_wanted_and_runs_the_nightly_command():
    timer = settings("appliance-backup.timer")
    assert timer["Unit"] == "appliance-backup.service" and timer["Persistent"] == "true"
    assert timer["OnCalendar"] == "*-*-* 02:30:00"
    assert "appliance-backup.timer" in settings("appliance.target")["Wants"].split()
    assert settings("appliance-backup.service")["ExecStart"] == RELEASE_BIN + "appliance backup nightly"


def test_files_made_under_the_units_umask_are_nothing_for_others(run_cli, config_file, tmp_path):
    """The database, its WAL and a backup, made under the daemons' UMask, are 0640 and the
    folders 0750 (no code of ours widens them)."""
    umask = int(settings("appliance-backup.service")["UMask"], 8)
    old = os.umask(umask)
    try:
        assert run_cli("customer", "add", "--name", "张伟", "--mobile", "13800138000",
                       config_path=config_file).returncode == 0
        out = run_cli("backup", "nightly", config_path=config_file)
    finally:
        os.umask(old)
    assert out.returncode == 0, out.stderr
    made = list((tmp_path / "data").rglob("*"))
    assert any(p.name.startswith("nightly-") for p in made) and any(p.name == "appliance.db" for p in made)
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) & 0o027 == 0, path


def test_every_daemon_has_a_unit_the_target_wants():
    """appliance upgrade and appliance doctor ask systemd for appliance-NAME.service of every
    daemon installed: each must exist and start with the box."""
    from appliance.plugins import plugins
    wanted = settings("appliance.target")["Wants"].split()
    for name in plugins("appliance.daemons"):
        assert (UNITS / f"appliance-{name}.service").exists() and f"appliance-{name}.service" in wanted, name
