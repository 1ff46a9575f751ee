"""The services' command line as a real process: exit codes, --json listings, one-line errors."""
import json

from appliance import db as dbmod
from appliance.config import load_config
from appliance.models import Customer


def test_import_error_exits_2_naming_line_and_column_and_changes_nothing(run_cli, config_file, tmp_path):
    good = tmp_path / "c.csv"
    good.write_text("客户号,姓名,手机号码\nC1,张伟,13800138000\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("客户号,姓名,手机号码\nC1,张伟伟,13800138000\nC2,李娜,1380013\nC3,王芳,abc\n", encoding="utf-8")
    assert run_cli("import", "customers", good, config_path=config_file).returncode == 0
    result = run_cli("import", "customers", bad, config_path=config_file)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == ("appliance: error: bad.csv: line 3, column C (手机号码): '1380013' is not a valid "
                         "phone number (and 1 more; nothing imported)")
    assert "line 4, column C (手机号码)" in result.stderr
    dry = run_cli("import", "customers", good, "--dry-run", "--json", config_path=config_file)
    assert json.loads(dry.stdout)["updated"] == 1
    database = dbmod.open_database(load_config(str(config_file)))
    assert [c.name for c in Customer.select()] == ["张伟"]
    database.close()


def test_listings_take_json_and_templates_edit(run_cli, config_file):
    for argv in (["template", "list"], ["keyword", "list"], ["optout", "list"], ["group", "list"],
                 ["topic", "list"], ["phrase", "list"], ["schedule", "list"], ["campaign", "list"],
                 ["notices", "types"], ["report", "campaigns"]):
        result = run_cli(*argv, "--json", config_path=config_file)
        assert result.returncode == 0, (argv, result.stderr)
        assert isinstance(json.loads(result.stdout), list), argv
    keywords = {k["keyword"]: k["action"] for k in json.loads(run_cli("keyword", "list", "--json",
                                                                          config_path=config_file).stdout)}
    assert keywords["CX"] == "policies" and keywords["退订"] == "optout"
    assert run_cli("template", "set", "birthday", "--text", "{salutation}生日快乐", config_path=config_file).returncode == 0
    preview = json.loads(run_cli("template", "preview", "birthday", "--var", "salutation=李女士", "--json",
                                 config_path=config_file).stdout)
    assert preview["text"] == "李女士生日快乐回T退订" and preview["parts"] == 1
    bad = run_cli("template", "set", "birthday", "--text", "{salutation", config_path=config_file)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert run_cli("optout", "add", "12", config_path=config_file).returncode == 2
    statement = json.loads(run_cli("report", "statement", "2026-12", "--json", config_path=config_file).stdout)
    assert statement["total_parts"] == 0


def test_bench_campaign_runs_on_a_throwaway_database(run_cli, config_file):
    result = run_cli("bench", "campaign", "--recipients", "500", "--json", config_path=config_file)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["queued"] == 500 and ("先生" in report["sample"] or "女士" in report["sample"])


def test_bench_import_runs_the_daemons_and_reports_the_import_the_sending_and_the_pages(run_cli, config_file):
    result = run_cli("-q", "bench", "import", "--rows", "3000", "--modems", "2", "--json", config_path=config_file)
    report = json.loads(result.stdout)
    assert report["errors"] == [] and report["created"] == 3000, result.stderr
    assert report["parts_sent_during"] >= 0 and report["page_requests"] > 0
    assert report["longest_send_gap_s"] is not None and report["page_p95_ms"] is not None


def test_bench_notices_runs_the_day_over_a_generated_book(run_cli, config_file, tmp_path):
    book = tmp_path / "book"
    for _ in range(2):  # the second run reuses the book and sends the same day again
        result = run_cli("-q", "bench", "notices", "--policies", "2000", "--dir", str(book), "--json",
                         config_path=config_file)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert 150 < report["queued"] < 220 and report["max_rss_mb"] > 0
    assert report["filled_in_s"] is None


def test_campaign_send_takes_json(run_cli, config_file):
    assert run_cli("customer", "add", "--name", "张伟", "--mobile", "13800138000", "--region", "福州",
                   config_path=config_file).returncode == 0
    assert run_cli("group", "create", "福州客户", "--kind", "customer", "--rule", "region", "--value", "福州",
                   config_path=config_file).returncode == 0
    result = run_cli("campaign", "send", "--group", "福州客户", "--name", "问候", "--text", "您好",
                     "--category", "service", "--json", config_path=config_file)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert sent["queued"] == 1 and sent["skipped"] == 0 and sent["name"] == "问候"
