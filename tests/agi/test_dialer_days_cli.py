"""`appliance voice days list|add|remove` and create's --window/--tries/--retry-minutes, as
real processes: bad input exits 2 with one line naming the field, and changes nothing."""
import json


def test_declare_list_and_remove_days(run_cli, config_file):
    out = run_cli("voice", "days", "add", "2027-01-01", "holiday", "--note", "元旦", config_path=config_file)
    assert out.returncode == 0, out.stderr
    out = run_cli("voice", "days", "add", "2027-02-06", "workday", config_path=config_file)
    assert out.returncode == 0, out.stderr
    for bad, says in ((["2027-02-30", "holiday"], "date: must be a date YYYY-MM-DD"),
                      (["2027-02-07", "weekend"], "kind: must be workday or holiday")):
        out = run_cli("voice", "days", "add", *bad, config_path=config_file)
        assert out.returncode == 2 and says in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    out = run_cli("voice", "days", "remove", "2027-03-01", config_path=config_file)
    assert out.returncode == 2 and "date: 2027-03-01 is not declared" in out.stderr
    out = run_cli("voice", "days", "remove", "2027-02-06", config_path=config_file)
    assert out.returncode == 0, out.stderr
    out = run_cli("voice", "days", "list", "--json", config_path=config_file)
    listed = json.loads(out.stdout)
    assert [(d["date"], d["kind"], d["note"]) for d in listed["declared"]] == [("2027-01-01", "holiday", "元旦")]
    assert listed["calendar"]["status"] in ("ok", "warn") and "chinesecalendar" in listed["calendar"]["detail"]
    out = run_cli("voice", "days", "list", config_path=config_file)
    assert "2027-01-01  holiday   元旦" in out.stdout


def test_create_takes_a_window_and_a_retry_rule(run_cli, config_file):
    out = run_cli("voice", "create", "evening", "--numbers", "13800138000", "--window", "workday 18:30-20:30",
                  "--tries", "2", "--retry-minutes", "45", "--json", config_path=config_file)
    assert out.returncode == 0, out.stderr
    out = run_cli("voice", "create", "bad", "--numbers", "13800138000", "--window", "weekdays 18:30-20:30",
                  config_path=config_file)
    assert out.returncode == 2 and "window: 'weekdays' is not workday, restday or daily" in out.stderr
    out = run_cli("voice", "create", "bad", "--numbers", "13800138000", "--tries", "0", config_path=config_file)
    assert out.returncode == 2 and "max_tries: must be a whole number from 1 to 10" in out.stderr
    out = run_cli("voice", "list", "--json", config_path=config_file)
    assert [c["name"] for c in json.loads(out.stdout)] == ["evening"]  # nothing made by the refused ones
    from appliance import db as dbmod
    from appliance.config import load_config
    from appliance.voice.models import VoiceCampaign
    database = dbmod.open_database(load_config(config_file))
    try:
        campaign = VoiceCampaign.get()
        assert (campaign.window, campaign.max_tries, campaign.retry_minutes) == ("workday 18:30-20:30", 2, 45)
    finally:
        database.close()
