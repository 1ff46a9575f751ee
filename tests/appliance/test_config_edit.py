"""The configuration writer shared by the settings page and `appliance config set`:
comments and layout kept, values checked as the loader checks them, all or
nothing, atomic replacement, secrets never repeated."""
import os

import pytest

from appliance import config_edit
from appliance.config import load_config
from appliance.errors import ConfigError, InputError
from appliance.models import AuditLog

BRANCH_FILE = """\
# Branch 0571 appliance, edited by IT (ticket 4711)
data_dir = "{data}"
hotline = "95511"  # the group hotline, not ours

[modems]
# caps agreed with the carrier in 2024
daily_cap = 500  # per SIM
ports = ["/dev/gsm/*"]
pin = "1234"

[billing]
china_mobile = 0.05
"""


@pytest.fixture
def branch_file(tmp_path):
    path = tmp_path / "appliance.toml"
    path.write_text(BRANCH_FILE.format(data=tmp_path / "data"))
    return path


def test_an_edit_keeps_comments_and_layout_and_the_loader_sees_it(branch_file):
    before = branch_file.read_text()
    changed = config_edit.set_values(branch_file, {"modems.daily_cap": 300, "billing.china_unicom": 0.06,
                                                   "agi.operator": "Queue/service"})
    assert changed == ["modems.daily_cap", "billing.china_unicom", "agi.operator"]
    after = branch_file.read_text()
    # Every line of branch IT's file is still there, but the one changed value.
    assert after.replace("daily_cap = 300", "daily_cap = 500").startswith(before.rstrip("\n"))
    assert "daily_cap = 300  # per SIM" in after
    assert "# caps agreed with the carrier in 2024" in after
    assert "# the group hotline, not ours" in after
    config = load_config(str(branch_file))
    assert config["modems.daily_cap"] == 300
    assert config["billing.china_unicom"] == 0.06
    assert config["agi.operator"] == "Queue/service"
    assert config["modems.pin"] == "1234"  # untouched


def test_an_unchanged_value_writes_nothing(branch_file):
    stat = branch_file.stat()
    assert config_edit.set_values(branch_file, {"modems.daily_cap": 500}) == []
    assert branch_file.stat().st_mtime_ns == stat.st_mtime_ns and branch_file.stat().st_ino == stat.st_ino


@pytest.mark.parametrize("name, value, words", [
    ("modems.daily_cap", -1, "must not be negative"),
    ("modems.daily_cap", "300", "must be an integer"),
    ("billing.other", "cheap", "must be a number"),
    ("agi.business_hours", "9-17", "HH:MM-HH:MM"),
    ("agi.business_days", "Mon-Fri", "ISO weekdays"),
    ("agi.transfer_dial", "Local/8001@from-internal", "{number}"),
    ("agi.listen", "4573", "host:port"),
    ("timezone", "Mars/Olympus", "unknown time zone"),
    ("notices.run_at", "9 o'clock", "HH:MM"),
    ("notices.renewal_days", "15;3", "whole days"),
    ("modems.ports", [], "at least one"),
    ("data_dir", "/tmp/elsewhere", "branch IT"),  # not editable from the page
    ("web.listen", "0.0.0.0:80", "branch IT"),
    ("modems.nonsense", 1, "unknown configuration key"),
])
def test_a_bad_value_is_refused_naming_the_key_and_nothing_is_written(branch_file, name, value, words):
    before = branch_file.read_bytes()
    with pytest.raises(InputError) as caught:
        # A good change in the same form is not written either: all or nothing.
        config_edit.set_values(branch_file, {"billing.china_mobile": 0.07, name: value})
    message = str(caught.value)
    assert name in message and words in message and "\n" not in message
    assert branch_file.read_bytes() == before


def test_text_from_a_form_or_the_command_line_is_parsed_per_type():
    assert config_edit.parse_text("modems.daily_cap", " 42 ") == 42
    assert config_edit.parse_text("billing.other", "0.2") == 0.2
    assert config_edit.parse_text("modems.delivery_reports", "false") is False
    assert config_edit.parse_text("modems.ports", "/dev/a\n/dev/b\n") == ["/dev/a", "/dev/b"]
    assert config_edit.parse_text("modems.ports", "/dev/a, /dev/b") == ["/dev/a", "/dev/b"]
    assert config_edit.parse_text("modems.ports", '["/dev/a"]') == ["/dev/a"]
    for name, text in (("modems.daily_cap", "1e3"), ("billing.other", "nan"), ("notices.birthday", "maybe")):
        with pytest.raises(InputError, match=name.replace(".", r"\.")):
            config_edit.parse_text(name, text)


def test_a_secret_is_never_repeated_in_an_error_or_the_description(branch_file):
    with pytest.raises(InputError) as caught:
        config_edit.set_values(branch_file, {"modems.pin": "98x7"})
    assert "98x7" not in str(caught.value) and "modems.pin" in str(caught.value)
    changed = config_edit.set_values(branch_file, {"modems.pin": "9876", "modems.daily_cap": 100})
    described = config_edit.describe({"modems.pin": "9876", "modems.daily_cap": 100}, changed)
    assert "9876" not in described and "modems.pin=(secret changed)" in described
    assert "modems.daily_cap=100" in described
    assert load_config(str(branch_file))["modems.pin"] == "9876"


def test_the_file_is_replaced_atomically_with_its_rights(branch_file):
    os.chmod(branch_file, 0o640)
    inode = branch_file.stat().st_ino
    config_edit.set_values(branch_file, {"modems.daily_cap": 200})
    # A new file renamed over the old one (never rewritten in place), same mode, no temp left.
    assert branch_file.stat().st_ino != inode
    assert oct(branch_file.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in branch_file.parent.iterdir()) == ["appliance.toml"]


def test_a_failed_write_leaves_the_old_file_whole(branch_file, monkeypatch):
    """The rename is the commit point: fail just before it and nothing changed."""
    before = branch_file.read_bytes()

    def power_cut(src, dst):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(config_edit.os, "replace", power_cut)
    with pytest.raises(ConfigError, match="cannot write the configuration file"):
        config_edit.set_values(branch_file, {"modems.daily_cap": 200})
    assert branch_file.read_bytes() == before
    assert sorted(p.name for p in branch_file.parent.iterdir()) == ["appliance.toml"]


def test_a_read_only_directory_gives_a_one_line_error(branch_file):
    if os.geteuid() == 0:
        pytest.skip("root writes anyway")
    os.chmod(branch_file.parent, 0o555)
    try:
        with pytest.raises(ConfigError, match="cannot write"):
            config_edit.set_values(branch_file, {"modems.daily_cap": 200})
    finally:
        os.chmod(branch_file.parent, 0o755)


def test_a_file_changed_since_the_form_was_opened_is_not_overwritten(branch_file):
    version = config_edit.file_version(branch_file)
    branch_file.write_text(branch_file.read_text().replace("0.05", "0.04"))  # IT edits meanwhile
    with pytest.raises(InputError, match="changed since"):
        config_edit.set_values(branch_file, {"modems.daily_cap": 1}, expected_version=version)
    assert load_config(str(branch_file))["modems.daily_cap"] == 500


def test_new_keys_go_into_their_table_and_top_level_keys_before_the_tables(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[billing]\nother = 0.1\n')
    config_edit.set_values(path, {"branch_name": "西湖支公司", "agi.business_days": "1-6",
                                  "modems.ports": ["/dev/ttyUSB0", "/dev/ttyUSB1"]})
    text = path.read_text()
    assert text.index('branch_name = "西湖支公司"') < text.index("[billing]")
    config = load_config(str(path))
    assert (config["branch_name"], config["agi.business_days"]) == ("西湖支公司", "1-6")
    assert config["modems.ports"] == ["/dev/ttyUSB0", "/dev/ttyUSB1"]


def test_crlf_and_a_symlinked_file_stay_as_they_were(tmp_path):
    real = tmp_path / "etc" / "appliance.toml"
    real.parent.mkdir()
    real.write_bytes(b"# IT\r\n[modems]\r\ndaily_cap = 5\r\n")
    link = tmp_path / "appliance.toml"
    link.symlink_to(real)
    config_edit.set_values(link, {"modems.daily_cap": 6})
    assert link.is_symlink()
    assert real.read_bytes() == b"# IT\r\n[modems]\r\ndaily_cap = 6\r\n"


def test_no_file_means_a_clear_error():
    with pytest.raises(ConfigError, match="no configuration file"):
        config_edit.set_values(None, {"modems.daily_cap": 1})


def test_restarts_follow_the_keys():
    assert config_edit.restarts_for(["modems.daily_cap", "billing.other"]) == ["smsd", "web"]
    assert config_edit.restarts_for(["company_name"]) == ["services", "agi", "web", "prompts"]
    assert config_edit.restart_steps(["smsd", "prompts"]) == ["systemctl restart appliance-smsd",
                                                              "appliance prompts build"]


# --- the command line -------------------------------------------------------------------

def test_config_set_writes_audits_and_refuses_bad_input(branch_file, run_cli):
    done = run_cli("config", "set", "modems.monthly_cap", "8000", config_path=branch_file)
    assert done.returncode == 0, done.stderr
    assert "appliance-smsd" in done.stdout
    assert load_config(str(branch_file))["modems.monthly_cap"] == 8000
    assert "# caps agreed with the carrier in 2024" in branch_file.read_text()

    before = branch_file.read_bytes()
    for args in (("modems.monthly_cap", "lots"), ("modems.nope", "1"), ("agi.business_days", "8")):
        done = run_cli("config", "set", *args, config_path=branch_file)
        assert done.returncode == 2, (args, done.stderr)
        assert args[0] in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert branch_file.read_bytes() == before

    # A PIN from stdin: never on the command line, never in the output or the audit log.
    done = run_cli("config", "set", "modems.pin", "-", config_path=branch_file, input="4321\n")
    assert done.returncode == 0, done.stderr
    assert "4321" not in done.stdout + done.stderr
    assert load_config(str(branch_file))["modems.pin"] == "4321"
    from appliance import db as dbmod
    database = dbmod.open_database(load_config(str(branch_file)))
    try:
        rows = [(r.actor, r.action, r.detail, r.source) for r in AuditLog.select().order_by(AuditLog.id)]
    finally:
        database.close()
    assert rows[-2:] == [("cli", "settings.update", "modems.monthly_cap=8000", "cli"),
                         ("cli", "settings.update", "modems.pin=(secret changed)", "cli")]
    assert not any("4321" in r[2] for r in rows)


def test_config_set_without_a_file_says_so(run_cli, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "APPLIANCE_CONFIG"}
    done = run_cli("config", "set", "modems.daily_cap", "1", env=env)
    assert done.returncode == 2 and "no configuration file" in done.stderr


def test_a_kept_demo_dir_keeps_settings_changed_on_the_page(tmp_path, config):
    from appliance.demo import Demo
    demo = Demo(tmp_path / "demo", config)
    demo.data_dir.mkdir()
    demo.overrides["modems.ports"] = ["/tmp/sim1/gsm*"]
    first = demo.write_config()
    assert first["modems.ports"] == ["/tmp/sim1/gsm*"]
    config_edit.set_values(demo.config_path, {"modems.daily_cap": 42})  # the admin, on the page
    again = Demo(tmp_path / "demo", config)  # `appliance demo --dir` once more: a new simulator
    again.overrides["modems.ports"] = ["/tmp/sim2/gsm*"]
    second = again.write_config()
    assert second["modems.daily_cap"] == 42 and second["modems.ports"] == ["/tmp/sim2/gsm*"]
    assert second.path == str(demo.config_path)
