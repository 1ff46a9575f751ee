"""The SMS command line as a script uses it: send, outbox, inbox, modem list,
bench sms; bad input gives one line and exit 2."""
import datetime
import json

from appliance import clock
from appliance.cluster import boxes
from appliance.sms import history, inbox
from appliance.sms.models import ModemStatus


def test_send_prints_id_and_outbox_json_has_everything(run_cli, config_file, database):
    result = run_cli("send", "--to", "13800138000", "--text", "您好 " * 30, config_path=config_file)
    assert result.returncode == 0, result.stderr
    message_id = int(result.stdout.strip())
    listing = run_cli("outbox", "--json", config_path=config_file)
    rows = json.loads(listing.stdout)
    row = next(r for r in rows if r["id"] == message_id)
    assert row["to_number"] == "+8613800138000" and row["text"] == "您好 " * 30
    assert row["state"] == "queued" and row["encoding"] == "ucs2" and row["part_count"] == 2
    assert [(p["seq"], p["state"]) for p in row["parts"]] == [(1, "queued"), (2, "queued")]
    text = run_cli("outbox", config_path=config_file)
    assert "+86138****8000" in text.stdout and "13800138000" not in text.stdout  # masked for people


def test_send_bad_input_is_one_line_and_exit_2(run_cli, config_file, database):
    bad = run_cli("send", "--to", "12345", "--text", "x", config_path=config_file)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "error: to: " in bad.stderr  # names --to
    late = run_cli("send", "--to", "13800138000", "--text", "x", "--not-after", "25:99", config_path=config_file)
    assert late.returncode == 2 and "--not-after" in late.stderr
    empty = run_cli("outbox", "--json", config_path=config_file)
    assert json.loads(empty.stdout) == []


def test_send_with_window_end(run_cli, config_file, database):
    result = run_cli("send", "--to", "13800138000", "--text", "x", "--not-after", "2030-01-01 21:00",
                     config_path=config_file)
    row = json.loads(run_cli("outbox", "--json", config_path=config_file).stdout)[0]
    assert row["id"] == int(result.stdout) and row["not_after"] == "2030-01-01T21:00:00+08:00"  # box time in, box time out


def test_inbox_and_modem_list(run_cli, config_file, database):
    inbox.store_inbound("+8613912345678", "查询保单", modem="gsm0")
    ModemStatus.create(port="gsm0", state="removed", alarm="taken out of the pool: no answer", signal_dbm=-77,
                       carrier="China Mobile", imsi="460001234500000")
    rows = json.loads(run_cli("inbox", "--json", config_path=config_file).stdout)
    assert [(r["from_number"], r["text"], r["complete"]) for r in rows] == [("+8613912345678", "查询保单", True)]
    modems = json.loads(run_cli("modem", "list", "--json", config_path=config_file).stdout)
    assert modems[0]["port"] == "gsm0" and modems[0]["state"] == "removed" and modems[0]["signal_dbm"] == -77
    table = run_cli("modem", "list", config_path=config_file).stdout
    assert "ALARM: taken out of the pool" in table and "-77 dBm" in table
    assert history.listing().rows == []


def test_modem_list_shows_every_box_and_its_modems(run_cli, config_file, database):
    now = clock.now()
    boxes.beat("fuzhou-1", now)
    boxes.beat("fuzhou-2", now - datetime.timedelta(seconds=300))
    for box in ("fuzhou-1", "fuzhou-2"):  # every box has a gsm0
        ModemStatus.create(box=box, port="gsm0", state="ok", imsi=f"46000{len(box)}{box[-1]}")
    modems = json.loads(run_cli("modem", "list", "--json", config_path=config_file).stdout)
    assert [(m["name"], m["box_alive"]) for m in modems] == [("fuzhou-1/gsm0", True), ("fuzhou-2/gsm0", False)]
    table = run_cli("modem", "list", config_path=config_file).stdout.splitlines()
    assert table[0].startswith("box fuzhou-1: alive") and table[1].startswith("box fuzhou-2: SILENT")
    assert table[3].startswith("fuzhou-1/gsm0 ") and table[4].startswith("fuzhou-2/gsm0 ")
    assert table[4].endswith("(its box is silent: as last seen)")


def test_bench_sms_prints_figures(run_cli, config_file):
    result = run_cli("-q", "bench", "sms", "--modems", "2", "--parts", "40", "--pool-modems", "2",
                     "--latency", "0.5", "--duration", "2", "--json", config_path=config_file, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "parts/s" in result.stdout and "CPU per part" in result.stdout and "capacity used" in result.stdout
    figures = json.loads(result.stdout[result.stdout.index("{"):])
    assert figures["throughput"]["sent"] == 40
    assert figures["throughput"]["cpu_ms_per_part"] > 0
    assert 0 < figures["utilisation"]["utilisation_percent"] <= 100


def test_a_box_out_of_service_is_forgotten_only_once_silent(run_cli, config_file, database):
    now = clock.now()
    boxes.beat("fuzhou-1", now)
    boxes.beat("fuzhou-2", now - datetime.timedelta(seconds=300))
    for box in ("fuzhou-1", "fuzhou-2"):
        ModemStatus.create(box=box, port="gsm0", state="ok")
    out = run_cli("modem", "forget-box", "fuzhou-1", config_path=config_file)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "fuzhou-1 is alive" in out.stderr, out.stderr
    out = run_cli("modem", "forget-box", "nowhere", config_path=config_file)
    assert out.returncode == 2 and "no box named 'nowhere'" in out.stderr
    out = run_cli("modem", "forget-box", "fuzhou-2", config_path=config_file)
    assert out.returncode == 0 and "box fuzhou-2 forgotten (1 modem row(s) removed)" in out.stdout, out.stderr
    modems = json.loads(run_cli("modem", "list", "--json", config_path=config_file).stdout)
    assert [m["name"] for m in modems] == ["fuzhou-1/gsm0"]
