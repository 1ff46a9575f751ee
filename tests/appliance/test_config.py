"""Configuration: defaults, the settings table, and errors reported by name."""
import re

import pytest

from appliance import settings
from appliance.config import Config, ensure_data_dir, load_config
from appliance.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_setting_is_documented_and_typed():
    names = [s.name for s in settings.SETTINGS]
    assert len(names) == len(set(names)), "a key is defined twice"
    for s in settings.SETTINGS:
        assert len(s.help) > 15 and s.help.endswith((".", ")")), f"{s.name} lacks a proper help text"
        assert s.type_name in ("str", "int", "float", "bool", "list", "path", "listen")
        Config({s.name: s.default})  # every default passes its own check


def test_contract_keys_and_defaults():
    c = Config()
    assert c["agi.listen"] == "127.0.0.1:4573"
    assert c["web.listen"] == "127.0.0.1:8080"
    assert c["modems.ports"] == ["/dev/gsm/*"]
    assert c.database_url == "sqlite:////var/lib/appliance/appliance.db"


def test_config_show_lists_every_key(run_cli, config_file):
    out = run_cli("config", "show", config_path=config_file)
    assert out.returncode == 0, out.stderr
    for s in settings.SETTINGS:
        key = s.name.rpartition(".")[2]
        assert re.search(rf"^{key} = ", out.stdout, re.M), s.name
        assert s.help in out.stdout


def test_config_show_hides_secrets(tmp_path, run_cli):
    path = write(tmp_path, f'data_dir = "{tmp_path}"\n[modems]\npin = "4321"\n')
    out = run_cli("config", "show", config_path=path)
    assert "4321" not in out.stdout and 'pin = "********"' in out.stdout


def test_file_values_override_defaults(tmp_path):
    c = load_config(write(tmp_path, 'data_dir = "/srv/x"\n[modems]\nports = ["/dev/ttyUSB*"]\ndaily_cap = 7\n'))
    assert c["modems.ports"] == ["/dev/ttyUSB*"] and c["modems.daily_cap"] == 7
    assert c["modems.baudrate"] == 115200  # untouched keys keep defaults


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("APPLIANCE_CONFIG", str(write(tmp_path, 'hotline = "95511"\n')))
    assert load_config()["hotline"] == "95511"


@pytest.mark.parametrize("text, words", [
    ('[modems]\nports = "x"\n', "'modems.ports' must be a list of strings"),
    ('[modems]\ndaily_cap = "ten"\n', "'modems.daily_cap' must be an integer"),
    ('[modems]\ndaily_cap = -1\n', "'modems.daily_cap' must not be negative"),
    ('[modems]\ndelivery_reports = 1\n', "'modems.delivery_reports' must be true or false"),
    ('[agi]\nlisten = "4573"\n', "'agi.listen' must be \"host:port\""),
    ('colour = "red"\n', "unknown configuration key 'colour'"),
    ('[modems]\nspeed = 1\n', "unknown configuration key 'modems.speed'"),
    ('[nosuch]\nx = 1\n', "unknown configuration key 'nosuch.x'"),
    ('hotline = { a = 1 }\n', "'hotline' must be a value, not a table"),
    ('[database]\nurl = "x"\n[database]\n', "is not valid TOML"),
])
def test_bad_values_are_named(tmp_path, text, words):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'hotline = "\xe9"\n')
    with pytest.raises(ConfigError, match="not valid TOML|not UTF-8"):
        load_config(bad)


def test_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=r"data_dir .* is not writable"):
        ensure_data_dir(Config({"data_dir": str(blocker / "sub")}))


@pytest.mark.parametrize("text, words", [
    ('[modems]\nports = "x"\n', "modems.ports"),
    ("x = [", "not valid TOML"),
    ('data_dir = "/proc/version/x"\n', "not writable"),
])
def test_cli_reports_config_errors_in_one_line_with_exit_2(tmp_path, run_cli, text, words):
    out = run_cli("init", config_path=write(tmp_path, text))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and words in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_missing_config_file(tmp_path, run_cli):
    out = run_cli("config", "check", config_path=tmp_path / "absent.toml")
    assert out.returncode == 2 and "does not exist" in out.stderr and "Traceback" not in out.stderr
