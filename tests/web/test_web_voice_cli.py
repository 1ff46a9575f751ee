"""`appliance voice create` from a pasted list, a file (CSV of numbers, XLSX of customers) or a
contact group, and `appliance voice results` (filters, CSV), as real processes; bad input
exits 2 with one line naming the field and creates nothing. (The dialer's own command line
against a real Asterisk is tests/agi/test_dialer_cli_real_asterisk.py.)"""
import csv
import io

import openpyxl

from agi.dialer import finish
from appliance import groups
from appliance.models import Customer
from appliance.voice.models import CallAttempt, VoiceCampaign


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    return lines[0]


def attempts_of(campaign_id):
    return {a.number: a.customer_id for a in CallAttempt.select().where(CallAttempt.campaign == campaign_id)}


def test_create_from_a_list_a_file_and_a_group(run_cli, config_file, database, tmp_path):
    zhang = Customer.create(customer_no="C-001", name="张三", mobile="13800138000", region="福州")
    li = Customer.create(customer_no="C-002", name="李四", mobile="13900139000", region="福州")
    groups.create("福州客户", "customer", "region", "福州")

    typed = run_cli("voice", "create", "粘贴", "--numbers", "13700137000，13600136000 135-0013-5000",
                    config_path=config_file)
    assert typed.returncode == 0, typed.stderr
    assert set(attempts_of(int(typed.stdout))) == {"13700137000", "13600136000", "13500135000"}

    numbers = tmp_path / "numbers.csv"
    numbers.write_text("姓名,手机号\n王五,13700137000\n赵六,137 0013 7001\n", encoding="utf-8")
    from_csv = run_cli("voice", "create", "CSV", "--file", numbers, "--text", "通知", config_path=config_file)
    assert from_csv.returncode == 0, from_csv.stderr
    campaign = VoiceCampaign.get_by_id(int(from_csv.stdout))
    assert (campaign.text, campaign.source) == ("通知", "cli: file numbers.csv")
    assert set(attempts_of(campaign.id)) == {"13700137000", "13700137001"}

    book = openpyxl.Workbook()
    book.active.append(["客户号", "备注"])
    for row in (["C-002", ""], ["C-001", "VIP"]):
        book.active.append(row)
    book.save(tmp_path / "customers.xlsx")
    from_xlsx = run_cli("voice", "create", "XLSX", "--file", tmp_path / "customers.xlsx", config_path=config_file)
    assert from_xlsx.returncode == 0, from_xlsx.stderr
    assert attempts_of(int(from_xlsx.stdout)) == {"+8613900139000": li.id, "+8613800138000": zhang.id}

    from_group = run_cli("voice", "create", "组", "--group", "福州客户", "--start", "--json", config_path=config_file)
    assert from_group.returncode == 0, from_group.stderr
    assert '"state": "running"' in from_group.stdout and '"attempts": 2' in from_group.stdout


def test_bad_input_exits_2_naming_the_field_and_creates_nothing(run_cli, config_file, database, tmp_path):
    (tmp_path / "bad.csv").write_text("客户号\nC-404\n", encoding="utf-8")
    (tmp_path / "nothing.csv").write_text("地址\n福州\n", encoding="utf-8")
    cases = [(["--numbers", "13800138000,0;Hangup"], "numbers: not a phone number: '0'"),
             (["--file", tmp_path / "missing.csv"], "file:"),
             (["--file", tmp_path / "bad.csv"], "file: line 2: no customer 'C-404'"),
             (["--file", tmp_path / "nothing.csv"], "file: no column of numbers"),
             (["--group", "没有这个组"], "group: no group '没有这个组'"),
             (["--numbers", "13800138000", "--line-group", "gsm"], "line_group: no line group gsm in voice.line_groups")]
    for args, words in cases:
        assert words in one_error_line(run_cli("voice", "create", "坏", *args, config_path=config_file)), args
    assert VoiceCampaign.select().count() == 0
    assert "id: no voice campaign 9" in one_error_line(run_cli("voice", "results", "9", config_path=config_file))


def test_results_filtered_and_as_csv(run_cli, config_file, database):
    created = run_cli("voice", "create", "结果", "--numbers", "13800138000,13900139000,13700137000", "--start",
                      config_path=config_file)
    campaign_id = int(created.stdout)
    for number, result in (("13800138000", "answered"), ("13900139000", "busy")):
        attempt = CallAttempt.get(CallAttempt.number == number)
        CallAttempt.update(state="dialling").where(CallAttempt.id == attempt.id).execute()  # as the dialer claims
        finish(attempt.id, result, talk_seconds=9 if result == "answered" else None)
    busy = run_cli("voice", "results", campaign_id, "--result", "busy", config_path=config_file)
    assert busy.returncode == 0, busy.stderr
    assert "13900139000" in busy.stdout and "13800138000" not in busy.stdout
    table = run_cli("voice", "results", campaign_id, "--csv", config_path=config_file)
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    first_tries = [(r["number"], r["result"], r["talk_seconds"]) for r in rows if r["try_no"] == "1"]  # a busy one is retried
    assert first_tries == [
        ("13800138000", "answered", "9"), ("13900139000", "busy", ""), ("13700137000", "", "")]
    last_digits = run_cli("voice", "results", campaign_id, "--number", "7000", "--state", "queued",
                          config_path=config_file)
    assert [line.split()[1] for line in last_digits.stdout.splitlines()] == ["13700137000"]
    bad = run_cli("voice", "results", campaign_id, "--result", "maybe", config_path=config_file)
    assert one_error_line(bad).startswith("appliance: error: result: must be one of")


def test_create_a_survey_and_a_catalogue_notice(run_cli, config_file, database, tmp_path):
    Customer.create(customer_no="C-001", name="张三", gender="M", mobile="13800138000", region="福州")
    groups.create("福州客户", "customer", "region", "福州")
    script = tmp_path / "survey.json"
    script.write_text('[{"text": "您对本次服务满意吗？", "type": "scale"}]', encoding="utf-8")
    survey = run_cli("voice", "create", "满意度", "--numbers", "13900139000", "--kind", "survey",
                     "--script", script, config_path=config_file)
    assert survey.returncode == 0, survey.stderr
    campaign = VoiceCampaign.get_by_id(int(survey.stdout))
    assert campaign.kind == "survey" and "您对本次服务满意吗？" in campaign.script
    notice = run_cli("voice", "create", "生日", "--group", "福州客户", "--notice-type", "birthday",
                     config_path=config_file)
    assert notice.returncode == 0, notice.stderr
    attempt = VoiceCampaign.get_by_id(int(notice.stdout)).attempts.get()
    assert attempt.customer.customer_no == "C-001" and "张三" in attempt.variables
    script.write_text('[{"text": "选哪个？", "type": "choice"}]', encoding="utf-8")
    for args, words in ((["--kind", "survey", "--script", script], "script[1].options:"),
                        (["--kind", "survey", "--script", tmp_path / "none.json"], "script: cannot read"),
                        (["--kind", "robocall"], "kind: must be one of"),
                        (["--notice-type", "birthday"], "customers: a birthday notice speaks customers' facts"),
                        (["--caller-id", "95500,X=1"], "caller_id: a caller ID is digits")):
        line = one_error_line(run_cli("voice", "create", "坏", "--numbers", "13900139000", *args,
                                      config_path=config_file))
        assert words in line, (args, line)
    assert VoiceCampaign.select().count() == 2


def test_state_changes_follow_the_api_s_rule(run_cli, config_file, database):
    created = run_cli("voice", "create", "状态", "--numbers", "13800138000", config_path=config_file)
    campaign_id = created.stdout.strip()
    for command, state in (("start", "running"), ("pause", "paused"), ("resume", "running"),
                           ("cancel", "cancelled")):
        result = run_cli("voice", command, campaign_id, config_path=config_file)
        assert result.returncode == 0 and VoiceCampaign.get_by_id(int(campaign_id)).state == state, result.stderr
        if state == "paused":  # a paused campaign resumes; `start` is for a draft (409 in the API)
            assert f"campaign {campaign_id} is paused" in one_error_line(
                run_cli("voice", "start", campaign_id, config_path=config_file))
    # a cancelled campaign neither starts nor resumes; a running one does not start again
    for command in ("start", "resume", "pause"):
        assert f"campaign {campaign_id} is cancelled" in one_error_line(
            run_cli("voice", command, campaign_id, config_path=config_file))
    assert VoiceCampaign.get_by_id(int(campaign_id)).state == "cancelled"
