"""`appliance upgrade`: releases side by side in a temporary firmware root, the web daemon
run by a systemctl twin (tests/systemctl_twin.py) from whatever `current` points at: active
once the daemon sends READY=1 on its notify socket, as systemd runs a Type=notify unit."""
import json
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from peer_support import free_port
from firmware_support import make_firmware

from appliance.doctor import answers
from appliance.system import releases

TWIN = Path(__file__).parents[1] / "systemctl_twin.py"
# A release whose web daemon exits at start, and whose migration changes the data: the
# rollback must bring back the database as it was before it.
BROKEN = {"web/server.py": "\n\ndef main(config):\n    raise SystemExit('this release is broken')\n",
          "appliance/migrations/9999_broken.py": "def up(migrator, db):\n    db.execute_sql(\"DELETE FROM customer\")\n"}


def customers(data):
    conn = sqlite3.connect(data / "appliance.db")
    try:
        return [row[0] for row in conn.execute("SELECT name FROM customer ORDER BY id")]
    finally:
        conn.close()


def serving_release(state):
    """The release whose site/ the running web daemon imports from."""
    pid = int((state / "web.pid").read_text())
    env = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)
    return Path(env["PYTHONPATH"].split(":")[0]).parent.name


@pytest.fixture
def box(tmp_path, run_cli):
    listen = f"127.0.0.1:{free_port()}"
    config = tmp_path / "appliance.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[web]\nlisten = "{listen}"\nhttps = "off"\n')
    root, state = tmp_path / "opt", tmp_path / "twin"
    state.mkdir()
    systemctl = tmp_path / "systemctl"
    systemctl.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{TWIN}" "$@"\n')
    systemctl.chmod(0o755)
    os.environ.update(TWIN_STATE=str(state), TWIN_ROOT=str(root), TWIN_CONFIG=str(config))

    def upgrade(bundle, deadline=60):
        return run_cli("upgrade", bundle, "--root", root, "--systemctl", systemctl, "--units", "web",
                       "--deadline", deadline, "--settle", 1, config_path=config)
    assert run_cli("customer", "add", "--name", "张伟", "--mobile", "13800138000", config_path=config).returncode == 0
    releases.install(make_firmware(tmp_path, "1.0"), root)  # as the image build does (no `current` yet)
    releases.switch(root, "current", "1.0")
    yield dict(root=root, state=state, data=tmp_path / "data", upgrade=upgrade, config=config, tmp=tmp_path,
               systemctl=systemctl, listen=listen)
    os.system(f"{systemctl} stop appliance.target")
    for key in ("TWIN_STATE", "TWIN_ROOT", "TWIN_CONFIG"):
        os.environ.pop(key)


@pytest.mark.slow
def test_a_good_upgrade_keeps_the_data_and_a_broken_one_rolls_back(box, run_cli):
    root, data = box["root"], box["data"]
    os.system(f"{box['systemctl']} start appliance.target")

    bundle = make_firmware(box["tmp"], "2.0")
    old_umask = os.umask(0o077)  # a root shell's strict umask must not make the code unreadable
    try:
        out = box["upgrade"](bundle)
    finally:
        os.umask(old_umask)
    assert out.returncode == 0, out.stderr
    assert "upgraded to 2.0" in out.stdout
    assert stat.S_IMODE((root / "releases" / "2.0" / "site" / "appliance" / "cli.py").stat().st_mode) == 0o644
    assert (releases.current(root), releases.previous(root)) == ("2.0", "1.0")
    assert serving_release(box["state"]) == "2.0" and answers(box["listen"])  # READY=1 meant serving
    assert customers(data) == ["张伟"] and not (root / "upgrade.json").exists()
    [backup] = (data / "backups").glob("pre-upgrade-1.0-to-2.0-*.tar.gz")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640  # customers' data: nothing for others

    out = box["upgrade"](make_firmware(box["tmp"], "3.0", BROKEN), deadline=5)
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]  # above it: each step as logged
    assert last.startswith("appliance: error: upgrade to 3.0 failed") and "rolled back to 2.0" in last
    assert releases.current(root) == "2.0" and serving_release(box["state"]) == "2.0"
    assert customers(data) == ["张伟"] and not (root / "upgrade.json").exists()
    log = (box["state"] / "web.log").read_text()
    assert "this release is broken" in log  # it was started, and failed at start


def test_failures_before_the_switch_leave_the_old_release_running(box):
    os.system(f"{box['systemctl']} start appliance.target")
    pid = (box["state"] / "web.pid").read_text()
    out = box["upgrade"](make_firmware(box["tmp"], "2.0", {"appliance/cli.py": "\n)\n"}))
    assert out.returncode == 2 and "release 2.0: appliance config failed" in out.stderr
    assert (box["state"] / "web.pid").read_text() == pid  # never stopped
    assert not (box["root"] / "releases" / "2.0").exists() and releases.current(box["root"]) == "1.0"

    (box["data"] / "backups").write_text("a file where the backups folder belongs")
    out = box["upgrade"](make_firmware(box["tmp"], "2.0"))
    assert out.returncode != 0 and "release 1.0: appliance backup failed" in out.stderr
    assert releases.current(box["root"]) == "1.0" and not (box["root"] / "upgrade.json").exists()
    assert serving_release(box["state"]) == "1.0"  # started again


def test_recover_after_a_power_cut_puts_the_old_release_and_database_back(box, run_cli):
    """A kill during the wait for the daemons (journal step 'start'): the next boot's
    `appliance upgrade --recover` switches back and restores the pre-upgrade backup."""
    root, data = box["root"], box["data"]
    backup = data / "backups" / "pre.tar.gz"
    assert run_cli("backup", "--output", backup, config_path=box["config"]).returncode == 0
    (root / "releases" / "2.0").mkdir()  # recovery only points `current` away from it
    releases.switch(root, "previous", "1.0")
    releases.switch(root, "current", "2.0")
    assert run_cli("customer", "add", "--name", "李娜", "--mobile", "13900139000",
                   config_path=box["config"]).returncode == 0  # what 2.0 did before the cut
    (root / "upgrade.json").write_text(json.dumps({"step": "start", "old": "1.0", "new": "2.0",
                                                   "backup": str(backup)}))
    out = run_cli("upgrade", "--recover", "--root", root, config_path=box["config"])
    assert out.returncode == 0, out.stderr
    assert "back on 1.0" in out.stdout
    assert releases.current(root) == "1.0" and customers(data) == ["张伟"]
    assert not (root / "upgrade.json").exists()
    again = run_cli("upgrade", "--recover", "--root", root, config_path=box["config"])
    assert again.returncode == 0 and "no upgrade was interrupted" in again.stdout


def test_an_image_build_installs_the_first_release_with_the_paths_seen_inside(run_cli, config_file, tmp_path):
    """The first release on a box is only installed: nothing to stop, back up or migrate."""
    image = tmp_path / "image"
    bundle = make_firmware(tmp_path, "1.0")
    out = run_cli("upgrade", bundle, "--image", image, "--python", "/usr/bin/python3", config_path=config_file)
    assert out.returncode == 0, out.stderr
    root = image / "opt" / "appliance"
    assert os.readlink(root / "current") == "releases/1.0" and not (tmp_path / "data" / "appliance.db").exists()
    assert (root / "releases" / "1.0" / "site" / "appliance" / "cli.py").exists()
    python = (root / "releases" / "1.0" / "bin" / "python").read_text()
    assert 'PYTHONPATH="/opt/appliance/releases/1.0/site' in python and '"/usr/bin/python3" -P' in python
    assert '"/opt/appliance/releases/1.0/bin/python" -m appliance.cli' in (root / "current" / "bin" / "appliance").read_text()
    again = run_cli("upgrade", make_firmware(tmp_path, "2.0"), "--image", image, config_path=config_file)
    assert again.returncode == 2 and "--image is for the first release" in again.stderr


def test_a_file_that_is_not_a_bundle_is_refused_in_one_line(run_cli, config_file, tmp_path):
    out = run_cli("upgrade", config_file, "--root", tmp_path / "opt", config_path=config_file)
    assert out.returncode == 2 and "is not a firmware bundle" in out.stderr and out.stderr.count("\n") == 1
    assert not (tmp_path / "opt" / "current").exists()


def test_ready_means_every_unit_active_not_any(tmp_path):
    """systemctl is-active exits 0 when ANY of its units is active: the states are read."""
    from appliance.config import Config
    from appliance.system.upgrade import Box
    half = tmp_path / "systemctl"
    half.write_text('#!/bin/sh\necho active; echo activating; exit 0\n')
    half.chmod(0o755)
    box = Box(Config({"data_dir": str(tmp_path)}), root=tmp_path, systemctl=str(half),
              units=["appliance-web.service", "appliance-smsd.service"], deadline=1.0, settle=0)
    assert box.wait_ready() is False
    half.write_text('#!/bin/sh\necho active; echo active\n')
    assert box.wait_ready() is True


def test_release_make_writes_a_bundle_upgrade_reads(run_cli, config_file, tmp_path):
    from firmware_support import make_wheel
    make_wheel(tmp_path / "wheels")
    out = run_cli("release", "make", tmp_path / "wheels", "--version", "2026.12.1", "--output",
                  tmp_path / "fw.tar.gz", config_path=config_file)
    assert out.returncode == 0, out.stderr
    assert releases.read_manifest(tmp_path / "fw.tar.gz")["version"] == "2026.12.1"
    out = run_cli("release", "make", tmp_path / "wheels", "--version", "../x", "--output", tmp_path / "x.tar.gz",
                  config_path=config_file)
    assert out.returncode == 2 and "--version" in out.stderr and not (tmp_path / "x.tar.gz").exists()
