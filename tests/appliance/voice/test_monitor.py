"""Answer monitoring's rules (appliance/voice/monitor.py) on a real SQLite database: the
schedule read from the database, one alarm per failure streak and one when it ends, the SMS
text and its recipients, the daily figure in the box's zone. The calls themselves are the
dialer's (tests/agi/test_dialer_daemon.py places them through a real Asterisk)."""
import datetime

import pytest

from appliance.errors import ConfigError, InputError
from appliance.models import Staff
from appliance.sms.models import Message
from appliance.voice import monitor
from appliance.voice.models import CallAttempt, VoiceCampaign

T0 = datetime.datetime(2026, 11, 30, 1, 0)  # an instant (naive UTC): 09:00 in Shanghai


@pytest.fixture
def cfg(config, database):
    Staff(badge_no="A001", name="王值班", mobile="13800138000").save()
    return config.replace(voice__monitor_numbers=["客服热线=95500", "营业部=057187654321"],
                          voice__monitor_interval=60, voice__monitor_answer_seconds=20,
                          voice__monitor_alarm_to=["王值班", "13900139000"])


def run_round(cfg, now, **outcomes):
    """A monitor round started at `now` and finished as `outcomes` say:
    target name -> (result, answer seconds)."""
    campaign = monitor.start_due(cfg, now=now)
    assert campaign is not None
    names = {t.number: t.name for t in monitor.parse_targets(cfg["voice.monitor_numbers"])}
    for attempt in CallAttempt.select().where(CallAttempt.campaign == campaign.id):
        result, seconds = outcomes.get(names[attempt.number], ("answered", 3))
        CallAttempt.update(state="done", result=result, answer_seconds=seconds, dialled_at=now,
                           ended_at=now + datetime.timedelta(seconds=30)).where(CallAttempt.id == attempt.id).execute()
    VoiceCampaign.update(state="done").where(VoiceCampaign.id == campaign.id).execute()
    return monitor.send_alarms(cfg)


def texts():
    return [(m.to_number, m.text) for m in Message.select().order_by(Message.id)]


def test_targets_are_name_equals_number_and_bad_ones_name_the_setting():
    assert monitor.parse_targets(["客服热线=95500", " 营业部 = 0571876 "]) == [
        monitor.Target("客服热线", "95500"), monitor.Target("营业部", "0571876")]
    for bad in (["95500"], ["客服热线=9550O"], ["=95500"], ["a=1;Hangup"], ["a=95500", "a=95501"]):
        with pytest.raises(ConfigError, match="^voice.monitor_numbers: "):
            monitor.parse_targets(bad)


def test_a_round_is_due_once_per_interval_and_the_schedule_is_the_databases(cfg):
    first = monitor.start_due(cfg, now=T0)
    assert (first.kind, first.state, first.window, first.max_tries) == ("monitor", "running", "always", 1)
    attempts = list(CallAttempt.select().where(CallAttempt.campaign == first.id).order_by(CallAttempt.id))
    assert [(a.number, a.state) for a in attempts] == [("95500", "queued"), ("057187654321", "queued")]
    # a daemon restarted within the interval reads the last round from the database: none
    assert monitor.start_due(cfg, now=T0 + datetime.timedelta(minutes=59)) is None
    assert monitor.start_due(cfg, now=T0 + datetime.timedelta(minutes=60)) is not None
    assert VoiceCampaign.select().count() == 2
    assert monitor.start_due(cfg.replace(voice__monitor_numbers=[]), now=T0 + datetime.timedelta(days=1)) is None


def test_a_round_left_unfinished_is_cancelled_when_the_next_is_due(cfg):
    first = monitor.start_due(cfg, now=T0)  # never dialled: Asterisk was down all hour
    second = monitor.start_due(cfg, now=T0 + datetime.timedelta(hours=1))
    assert VoiceCampaign.get_by_id(first.id).state == "cancelled"
    assert VoiceCampaign.get_by_id(second.id).state == "running"


def test_one_alarm_per_failure_streak_and_one_message_when_it_answers_again(cfg):
    hour = datetime.timedelta(hours=1)
    assert run_round(cfg, T0) == 0                                      # both answer in time
    assert run_round(cfg, T0 + hour, 客服热线=("no_answer", None)) == 2  # the streak begins: both staff told
    assert monitor.send_alarms(cfg) == 0                                # evaluated again: nothing new
    assert run_round(cfg, T0 + 2 * hour, 客服热线=("busy", None)) == 0    # still failing: no second alarm
    assert run_round(cfg, T0 + 3 * hour) == 2                           # answers again: told once
    assert run_round(cfg, T0 + 4 * hour) == 0
    assert run_round(cfg, T0 + 5 * hour, 营业部=("answered", 35)) == 2   # too slow is a failure too
    sent = texts()
    assert len(sent) == 6 and {n for n, _ in sent} == {"+8613800138000", "+8613900139000"}
    assert sent[0][1] == "【平安保险】接通率监控告警：2026-11-30 02:00测试呼叫客服热线（95500）未接通（无人接听），请检查坐席与线路。"
    assert "客服热线（95500）已恢复正常" in sent[2][1]
    assert "营业部（057187654321）35秒才接听，超过20秒" in sent[4][1]
    assert Message.get(Message.to_number == "+8613800138000").staff.name == "王值班"
    assert {m.category for m in Message.select()} == {"internal"}


def test_an_alarm_queued_before_a_crash_is_not_queued_again(cfg):
    run_round(cfg, T0, 客服热线=("no_answer", None))
    before = texts()
    assert len(before) == 2
    # a restarted daemon evaluates the same last two tests: the dedupe keys hold
    assert monitor.send_alarms(cfg) == 0 and texts() == before


def test_unknown_recipients_are_left_out_and_logged(cfg, caplog):
    cfg = cfg.replace(voice__monitor_alarm_to=["王值班", "李不存在"])
    run_round(cfg, T0, 客服热线=("no_answer", None))
    assert [n for n, _ in texts()] == ["+8613800138000"]
    assert "李不存在" in caplog.text


def test_the_decision_table():
    assert monitor.decide("unanswered", None) == "alarm"
    assert monitor.decide("slow", "ok") == "alarm"
    assert monitor.decide("slow", "unanswered") is None
    assert monitor.decide("ok", "slow") == "recovered"
    assert monitor.decide("ok", "ok") is None and monitor.decide("ok", None) is None


def test_daily_answer_rate_per_target_in_the_box_zone(cfg, zones):
    zones("UTC", "Asia/Shanghai")
    run_round(cfg, datetime.datetime(2026, 11, 28, 2, 0), 营业部=("busy", None))
    # 23:30 UTC on the 29th is 07:30 on the 30th in Shanghai: the same box day as 09:00
    run_round(cfg, datetime.datetime(2026, 11, 29, 23, 30), 客服热线=("no_answer", None))
    run_round(cfg, T0, 营业部=("answered", 30))
    run_round(cfg, T0 + datetime.timedelta(hours=1))
    rows = monitor.daily(cfg, days=3, now=T0 + datetime.timedelta(hours=2))
    assert rows == [
        {"day": "2026-11-28", "target": "客服热线", "tests": 1, "answered": 1, "in_time": 1, "answer_rate": 1.0,
         "mean_answer_seconds": 3.0, "slowest_answer_seconds": 3},
        {"day": "2026-11-28", "target": "营业部", "tests": 1, "answered": 0, "in_time": 0, "answer_rate": 0.0,
         "mean_answer_seconds": None, "slowest_answer_seconds": None},
        {"day": "2026-11-30", "target": "客服热线", "tests": 3, "answered": 2, "in_time": 2, "answer_rate": 0.6667,
         "mean_answer_seconds": 3.0, "slowest_answer_seconds": 3},
        {"day": "2026-11-30", "target": "营业部", "tests": 3, "answered": 3, "in_time": 2, "answer_rate": 1.0,
         "mean_answer_seconds": 12.0, "slowest_answer_seconds": 30},
    ]
    assert monitor.daily(cfg, days=1, now=T0)[0]["day"] == "2026-11-30"
    with pytest.raises(InputError, match="^days: "):
        monitor.daily(cfg, days=0)


def test_status_names_each_targets_last_test(cfg):
    run_round(cfg, T0, 营业部=("congestion", None))
    rows = {r["target"]: r for r in monitor.status(cfg)}
    assert (rows["营业部"]["verdict"], rows["营业部"]["result"]) == ("unanswered", "congestion")
    assert (rows["客服热线"]["verdict"], rows["客服热线"]["answer_seconds"]) == ("ok", 3)
    assert rows["客服热线"]["last_test"].startswith("2026-11-30")
