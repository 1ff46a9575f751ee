"""The IVR's command line: prompts build/list/upload/record/restore, calls listing."""
import json
import subprocess
import wave

import pytest

from agi.asterisk_peer import hang_up


@pytest.fixture
def cli_config(tmp_path, built_prompts):
    data = tmp_path / "data"
    data.mkdir()
    (data / "prompts").symlink_to(built_prompts)
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{data}"\n')
    return path


def sox(*args):
    subprocess.run(["sox", *map(str, args)], check=True, capture_output=True)


def test_prompts_build_is_quick_when_built_and_list_shows_files(run_cli, cli_config):
    result = run_cli("prompts", "build", config_path=cli_config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("prompts: 0 built")
    listing = json.loads(run_cli("prompts", "list", "--json", config_path=cli_config).stdout)
    menu = next(row for row in listing if row["name"] == "menu_main")
    assert menu["zh_file"] == "default" and menu["en_file"] == "default" and "请按1" in menu["zh"]
    assert next(r for r in listing if r["name"] == "n_10000")["en_file"] == "n/a"


def test_prompts_build_writes_asterisk_ready_wav(tmp_path, built_prompts):
    with wave.open(str(built_prompts / "zh" / "menu_main.wav")) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() > 8000  # more than a second of speech


def test_upload_converts_and_checks(run_cli, tmp_path):
    config = tmp_path / "own.toml"
    config.write_text(f'data_dir = "{tmp_path / "own"}"\n')
    tone = tmp_path / "tone.wav"
    sox("-n", "-r", "44100", "-c", "2", tone, "synth", "1.5", "sine", "440")
    result = run_cli("prompts", "upload", "menu_main", tone, config_path=config)
    assert result.returncode == 0, result.stderr
    with wave.open(str(tmp_path / "own" / "prompts" / "custom" / "zh" / "menu_main.wav")) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
    listing = json.loads(run_cli("prompts", "list", "--json", config_path=config).stdout)
    assert next(r for r in listing if r["name"] == "menu_main")["zh_file"] == "custom"
    result = run_cli("prompts", "restore", "menu_main", config_path=config)
    assert result.returncode == 0 and "replacement removed" in result.stdout, result.stderr
    assert not (tmp_path / "own" / "prompts" / "custom" / "zh" / "menu_main.wav").exists()
    assert "had no replacement" in run_cli("prompts", "restore", "menu_main", config_path=config).stdout


@pytest.mark.parametrize("kind,message", [
    ("text", "is not audio sox can read"), ("silent", "is silent"), ("short", "is too short"),
])
def test_bad_audio_is_one_line_exit_2_and_keeps_the_old_prompt(run_cli, tmp_path, kind, message):
    config = tmp_path / "own.toml"
    config.write_text(f'data_dir = "{tmp_path / "own"}"\n')
    bad = tmp_path / "bad.wav"
    if kind == "text":
        bad.write_text("this is not audio")
    elif kind == "silent":
        sox("-n", "-r", "8000", "-c", "1", bad, "trim", "0", "2")
    else:
        sox("-n", "-r", "8000", "-c", "1", bad, "synth", "0.05", "sine", "440")
    result = run_cli("prompts", "upload", "goodbye", bad, config_path=config)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "FILE" in result.stderr
    assert not (tmp_path / "own" / "prompts" / "custom" / "zh" / "goodbye.wav").exists()


def test_upload_unknown_name_or_language(run_cli, cli_config, tmp_path):
    result = run_cli("prompts", "upload", "no_such_prompt", tmp_path / "x.wav", config_path=cli_config)
    assert result.returncode == 2 and "unknown prompt 'no_such_prompt'" in result.stderr
    result = run_cli("prompts", "upload", "goodbye", tmp_path / "x.wav", "--lang", "fr", config_path=cli_config)
    assert result.returncode == 2 and "--lang" in result.stderr


def test_record_without_a_microphone_is_a_clear_error(run_cli, cli_config):
    result = run_cli("prompts", "record", "goodbye", "--seconds", "1", config_path=cli_config)
    # This machine has no sound card: the error says so and what to do instead.
    assert result.returncode == 2, result.stderr
    assert "no audio input device" in result.stderr and result.stderr.count("\n") == 1


def test_calls_listing_text_and_json(dial, ivr_config, run_cli, tmp_path):
    dial([hang_up("menu_main")], callerid="13912345678")
    config = tmp_path / "calls.toml"
    config.write_text(f'data_dir = "{ivr_config.data_dir}"\n')
    rows = json.loads(run_cli("calls", "--json", config_path=config).stdout)
    assert len(rows) == 1
    row = rows[0]
    assert row["caller_id"] == "139****5678"  # masked
    assert (row["outcome"], row["ended_in"], row["path"]) == ("caller_hung_up", "main", ["greeting", "main"])
    text = run_cli("calls", config_path=config).stdout
    assert "caller hung up at main" in text and "greeting > main" in text
    bad = run_cli("calls", "--since", "yesterday", config_path=config)
    assert bad.returncode == 2 and "since" in bad.stderr


def test_dial_plays_a_call_against_the_running_server(start_server, ivr_config, run_cli, tmp_path):
    from agi.bench import free_port
    port = free_port()
    config = ivr_config.replace(agi__listen=f"127.0.0.1:{port}")
    start_server(config, address=("127.0.0.1", port))
    path = tmp_path / "dial.toml"
    path.write_text(f'data_dir = "{config.data_dir}"\n[agi]\nlisten = "127.0.0.1:{port}"\n')
    result = run_cli("dial", "--from", "13912345678", "2", "35019002#", "*", config_path=path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "  ♪ 您好，欢迎致电平安保险。"
    assert "caller presses 35019002#" in lines
    assert "  ♪ 三五零一九零零二" in lines  # the badge read back, digit by digit
    assert any("已从本公司离职" in line for line in lines)
    assert lines[-1].startswith("call record ") and "caller hung up at main" in lines[-1]


def test_dial_without_a_server_is_a_clear_error(run_cli, tmp_path):
    from agi.bench import free_port
    path = tmp_path / "dial.toml"
    path.write_text(f'data_dir = "{tmp_path / "d"}"\n[agi]\nlisten = "127.0.0.1:{free_port()}"\n')
    result = run_cli("dial", "1", config_path=path)
    assert result.returncode == 2 and "no FastAGI server at" in result.stderr


def test_bench_callers_run_many_calls_in_one_thread(agi_server):
    """The bench's peer driver: several callers, two calls each, all complete
    and measured (no speed asserted here; that is `appliance bench agi`)."""
    from agi.bench import run_calls
    done, peak, _ = run_calls(agi_server.address[1], ["35010001", "35019999"], calls=4, rounds=2, pace=0.01)
    assert len(done) == 8 and 2 <= peak <= 4
    for line in done:
        assert "sms_sent" in line.heard and line.dead
        assert line.setup is not None and len(line.round_trips) == len(line.commands) - 1
    from appliance.ivr.models import AgentCheck
    assert AgentCheck.select().count() == 8


def test_build_regenerates_only_prompts_whose_text_changed(tmp_path):
    from agi import prompts
    from appliance.config import Config
    config = Config({"data_dir": str(tmp_path / "d"), "company_name": "平安保险"})
    assert prompts.build(config, names=["welcome", "goodbye"]) == (4, 0)
    assert prompts.build(config, names=["welcome", "goodbye"]) == (0, 4)
    renamed = config.replace(company_name="示例人寿")  # {company} is in the welcome only
    assert prompts.build(renamed, names=["welcome", "goodbye"]) == (1, 3)  # English says company_name_en
    renamed = renamed.replace(company_name_en="Sample Life")
    assert prompts.build(renamed, names=["welcome", "goodbye"]) == (1, 3)
