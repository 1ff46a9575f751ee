"""The box's sending capacity and the notice forecast, with figures worked out by hand."""
import datetime
import json
from fractions import Fraction

from appliance.cluster import boxes
from appliance.services import forecast, notices
from appliance.sms import capacity
from appliance.sms.models import Message, MessagePart, ModemStatus
from appliance.sms.outbox import queue_message
from appliance.sms.text import part_count

TODAY = datetime.date(2026, 12, 1)
NOW = datetime.datetime(2026, 12, 1, 10, 0)  # tests run the box in UTC


def _sent_parts(imsi, count, first, gap_seconds):
    message = queue_message("+8613800000001", "已发", source="test")
    MessagePart.update(state="sent", imsi=imsi, sent_at=first).where(MessagePart.message == message).execute()
    MessagePart.insert_many([{"message": message, "seq": 100 + n, "state": "sent", "imsi": imsi,
                              "sent_at": first + datetime.timedelta(seconds=gap_seconds * n)}
                             for n in range(1, count)]).execute()


def _fleet():
    boxes.beat("a", now=NOW)
    boxes.beat("b", now=NOW - datetime.timedelta(hours=1))  # silent: its SIMs do not count
    for box, port, state, imsi in (("a", "gsm0", "ok", "I1"), ("a", "gsm1", "ok", "I2"),
                                   ("a", "gsm2", "resetting", "I3"), ("b", "gsm0", "ok", "I4")):
        ModemStatus.create(box=box, port=port, state=state, imsi=imsi)


def test_capacity_from_sims_caps_time_and_windows(config, database):
    config = config.replace(modems__daily_cap=500, modems__monthly_cap=900, modems__seconds_per_part=120.0,
                            services__marketing_window="08:00-21:00")
    _fleet()
    _sent_parts("I1", 480, datetime.datetime(2026, 12, 1, 0, 0), 61)  # 61 s apart: idle gaps, not measured
    queue_message("+8613800000002", "排队中", source="test")
    report = capacity.outlook(config, NOW, days=3)
    assert report["sims"] == {"I1": "a/gsm0", "I2": "a/gsm1"}
    assert report["seconds_per_part"] == 120
    assert report["queued"] == 1
    # Today from 10:00: 14 h = 420 parts a SIM by time, 11 h of window = 330.
    # I1 has 20 left of its daily 500; I2 all 500.  Day: 20 + 420; window: 20 + 330.
    # Month (900): I1 has 420 left, spends 20 -> 400; I2 spends 420 -> 480.
    # Tomorrow: 720 a SIM by time, 390 in the 13 h window: day 400 + 480, window 390 + 390.
    # The day after, both SIMs have reached the monthly cap.
    assert [(d["date"], d["day"], d["window"]) for d in report["days"]] == [
        (TODAY, 440, 350), (TODAY + datetime.timedelta(days=1), 880, 780), (TODAY + datetime.timedelta(days=2), 0, 0)]


def test_seconds_per_part_measured_from_back_to_back_submits(config, database):
    config = config.replace(modems__seconds_per_part=120.0, modems__min_interval=0.0)
    _sent_parts("I1", 31, NOW - datetime.timedelta(hours=1), 4.5)  # 30 gaps of 4.5 s
    assert capacity.seconds_per_part(config, NOW) == Fraction(9, 2)
    assert capacity.seconds_per_part(config.replace(modems__min_interval=6.0), NOW) == 6


def test_forecast_equals_what_the_run_then_queues(book, config):
    agent = book.agent()
    day = TODAY + datetime.timedelta(days=2)
    for n in range(4):  # renewal reminders 15 days ahead, holder and agent
        holder = book.customer(f"客户{n}", born=datetime.date(1970 + n, 6, 1))
        book.policy(holder, f"P-{n}", day + datetime.timedelta(days=15), agent=agent)
    predicted = forecast.forecast(config, NOW, days=3)[2]
    assert predicted["date"] == day and Message.select().count() == 0  # a forecast queues nothing
    notices.run(config, forecast.run_instant(config, day))
    queued = list(Message.select())
    assert predicted["sms"] == len(queued) == 8
    assert predicted["parts"] == sum(part_count(m.text) for m in queued) == MessagePart.select().count()
    assert predicted["parts"] > predicted["sms"]  # Chinese reminders take two parts


def test_outlook_carries_what_cannot_go_to_the_next_day(book, config):
    config = config.replace(modems__daily_cap=3, modems__monthly_cap=0)
    boxes.beat("a", now=NOW)
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="I1")
    agent = book.agent()
    for n in range(2):
        holder = book.customer(f"客户{n}", born=datetime.date(1970 + n, 6, 1))
        book.policy(holder, f"P-{n}", TODAY + datetime.timedelta(days=16), agent=agent)
    forecast.refresh(config, NOW)  # the services daemon stores it; the outlook reads what is stored
    report = forecast.outlook(config, NOW, days=2)
    tomorrow = report["days"][1]
    parts = tomorrow["forecast"]["parts"]
    assert report["days"][0]["left_over"] == 0 and parts > 3
    assert (tomorrow["day"], tomorrow["sendable"], tomorrow["left_over"]) == (3, 3, parts - 3)


def test_cli_shows_capacity_and_refuses_a_bad_day_count(run_cli, config_file):
    assert run_cli("init", config_path=config_file).returncode == 0
    bad = run_cli("sms", "capacity", "--days", "0", config_path=config_file)
    assert bad.returncode == 2 and "error: days: must be from 1 to 31" in bad.stderr
    good = run_cli("sms", "capacity", "--days", "2", config_path=config_file)
    assert good.returncode == 0, good.stderr
    lines = good.stdout.splitlines()
    assert lines[0].startswith("SIMs in service: 0; seconds per part: 6;") and len(lines) == 5
    assert lines[1] == "SMPP: off"
    assert lines[3].split("\t")[1:] == ["0", "0", "0", "0", "0", "0", "0", "0", "0"]


def test_smpp_account_counts_beside_the_sims_and_says_its_link(config, database):
    config = config.replace(modems__daily_cap=100, modems__monthly_cap=0, modems__seconds_per_part=60.0,
                            services__marketing_window="08:00-21:00", smpp__rate=2.5)
    boxes.beat("a", now=NOW)
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="I1")
    off = capacity.outlook(config, NOW, days=1)
    assert off["smpp"]["state"] == "off" and off["days"][0]["smpp_day"] == 0 and off["days"][0]["day"] == 100
    config = config.replace(smpp__enabled=True)
    absent = capacity.outlook(config, NOW, days=2)  # enabled, the daemon has not written its row yet
    assert absent["smpp"]["state"] == "not connected" and absent["smpp"]["counted"]
    today, tomorrow = absent["days"]
    # From 10:00: 14 h = 50,400 s at 2.5 parts/s; the window's 11 h = 39,600 s. Tomorrow 24 h and 13 h.
    assert (today["modem_day"], today["smpp_day"], today["day"]) == (100, 126000, 126100)
    assert (today["modem_window"], today["smpp_window"], today["window"]) == (100, 99000, 99100)
    assert (tomorrow["smpp_day"], tomorrow["smpp_window"]) == (216000, 117000)
    link = ModemStatus.create(box="a", port="smpp", state="ok", last_activity=NOW)
    assert capacity.outlook(config, NOW, days=1)["smpp"]["state"] == "in service"
    ModemStatus.update(state="resetting").where(ModemStatus.id == link.id).execute()
    assert capacity.outlook(config, NOW, days=1)["smpp"]["state"] == "recently in service"
    later = capacity.outlook(config, NOW + datetime.timedelta(hours=1), days=1)
    assert later["smpp"] == {"enabled": True, "counted": False, "state": "out of service", "rate": Fraction(5, 2)}
    assert later["days"][0]["smpp_day"] == 0


def test_queued_parts_count_against_the_day_they_are_due(config, database):
    queue_message("+8613800000002", "今天", source="test")
    queue_message("+8613800000003", "今天稍后", source="test", not_before=NOW + datetime.timedelta(hours=5))
    queue_message("+8613800000004", "x" * 200, source="test",  # two parts, tomorrow
                  not_before=datetime.datetime(2026, 12, 2, 0, 0))
    queue_message("+8613800000005", "后天", source="test", not_before=datetime.datetime(2026, 12, 3, 9, 0))
    queue_message("+8613800000006", "下周", source="test", not_before=datetime.datetime(2026, 12, 9, 9, 0))
    report = capacity.outlook(config, NOW, days=3)
    assert report["queued"] == 2
    assert [d["queued"] for d in report["days"]] == [2, 2, 1]


def test_cli_shows_the_smpp_line(run_cli, config_file):
    assert run_cli("init", config_path=config_file).returncode == 0
    assert run_cli("config", "set", "smpp.system_id", "branch01", config_path=config_file).returncode == 0
    assert run_cli("config", "set", "smpp.enabled", "true", config_path=config_file).returncode == 0
    shown = run_cli("sms", "capacity", "--days", "1", config_path=config_file)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1] == "SMPP: 10 parts/s, not connected (counted)"
    as_json = run_cli("sms", "capacity", "--days", "1", "--json", config_path=config_file)
    report = json.loads(as_json.stdout)
    assert report["smpp"]["state"] == "not connected" and report["days"][0]["smpp_day"] > 0
