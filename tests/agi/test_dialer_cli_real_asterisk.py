"""`appliance voice …` as a real process against a real Asterisk: create and start a
campaign from a list of numbers, run the dialer until it is idle, show the results."""
import json

from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from test_dialer_real_asterisk import network  # noqa: F401  (fixture)


def test_create_dial_and_show_a_campaign_from_the_command_line(network, run_cli, tmp_path):
    config = tmp_path / "appliance.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[voice]\nami = "127.0.0.1:{network.ami_port}"\n'
                      f'ami_user = "{network.ami_user}"\nami_secret = "{network.ami_secret}"\n'
                      'line_groups = ["default=Local/{number}@appliance-test-network*2"]\nring_seconds = 3\n'
                      f'cdr_csv = "{network.log_dir / "cdr-csv" / "Master.csv"}"\n'
                      'windows = "always"\n')  # the box's default window would make the test depend on the hour
    out = run_cli("voice", "create", "cli campaign", "--numbers", "13040000000,13110000000,13050000000",
                  "--text", "测试", "--tries", "1", "--start", "--json", config_path=config)
    assert out.returncode == 0, out.stderr
    campaign = json.loads(out.stdout)
    assert (campaign["state"], campaign["queued"]) == ("running", 3)
    out = run_cli("voice", "dial", "--until-idle", config_path=config, timeout=60)
    assert out.returncode == 0, out.stderr
    out = run_cli("voice", "show", campaign["id"], "--json", config_path=config)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["state"] == "done" and report["done"] == 3
    assert {a["number"]: a["result"] for a in report["attempt_list"]} == {
        "13040000000": "busy", "13110000000": "invalid", "13050000000": "no_answer"}
    assert report["answer_rate"] == 0 and report["confirmation_rate"] is None
    out = run_cli("voice", "show", campaign["id"], config_path=config)
    assert "answer rate 0.0%" in out.stdout and "busy 1" in out.stdout
    out = run_cli("voice", "create", "bad", "--numbers", "1380013800,0;Hangup", config_path=config)
    assert out.returncode == 2 and "not a phone number" in out.stderr
