"""Campaigns paced to the box's capacity (services.campaign_pace, issue 18): the preview's
numbers, the launch day's share, the next days' shares by the services daemon, and a kill -9
between them."""
import datetime
import os
import signal
import subprocess
import sys
import textwrap

from appliance.cluster import boxes
from appliance.groups import Recipient
from appliance.services import campaign_pacing, campaigns
from appliance.services import daemon as service_loop
from appliance.services.models import Campaign, CampaignPending
from appliance.sms.models import Message, MessagePart, ModemStatus
from appliance.sms.outbox import queue_message

NOW = datetime.datetime(2026, 12, 1, 10, 0)                 # tests run the box in UTC
NEXT_DAY = datetime.datetime(2026, 12, 2, 10, 0)            # past notices.run_at + an hour
TEXT = "新春客户答谢会邀您参加"                               # one part, with the opt-out tail


def _box(config, daily_cap):
    boxes.beat("a", now=NOW)
    boxes.beat("a", now=NEXT_DAY)
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="I1")
    return config.replace(services__campaign_pace=True, modems__daily_cap=daily_cap, modems__monthly_cap=0,
                          services__marketing_window="08:00-21:00")


def _people(n):
    return [Recipient(f"+86138{i:08d}") for i in range(n)]


def _campaign_parts(campaign_id):
    return (MessagePart.select().join(Message).where(Message.campaign_id == campaign_id).count())


def test_capacity_limited_launch_queues_the_fitting_share_and_the_rest_next_day(config, database):
    config = _box(config, daily_cap=10)
    queue_message("+8613900000001", "保单缴费提醒", source="notice")  # a service notice first: 1 part today
    preview = campaigns.preview(config, _people(25), text=TEXT, category="marketing", now=NOW)
    assert preview["pace"] == {"paced": True, "today": 9, "today_parts": 9, "later": 16, "later_parts": 16,
                               "not_going": 0, "not_going_parts": 0, "days": 31}
    campaign = campaigns.send(config, "答谢会", _people(25), text=TEXT, category="marketing", now=NOW)
    assert _campaign_parts(campaign.id) == 9 == campaign.queued
    assert CampaignPending.select().count() == 16 and campaign.pending == 16
    # Today again (another pass of the daemon): nothing more, the share of today is queued.
    assert campaign_pacing.queue_shares(config, NOW + datetime.timedelta(hours=2)) == 0
    MessagePart.update(state="sent", imsi="I1", sent_at=NOW).where(MessagePart.state == "queued").execute()
    # The next day: the SIM's 10 parts; then the last 6 the day after.
    assert service_loop.tick(config, NEXT_DAY)["campaigns"] == 10
    assert _campaign_parts(campaign.id) == 19 and Campaign.get_by_id(campaign.id).pending == 6
    assert service_loop.tick(config, NEXT_DAY + datetime.timedelta(minutes=1))["campaigns"] == 0
    MessagePart.update(state="sent", imsi="I1", sent_at=NEXT_DAY).where(MessagePart.state == "queued").execute()
    boxes.beat("a", now=NEXT_DAY + datetime.timedelta(days=1))
    assert campaign_pacing.queue_shares(config, NEXT_DAY + datetime.timedelta(days=1)) == 6
    done = Campaign.get_by_id(campaign.id)
    assert (done.pending, done.queued, done.unsent) == (0, 25, 0)
    assert len({m.to_number for m in Message.select().where(Message.campaign_id == campaign.id)}) == 25


def test_preview_tells_what_will_not_go_before_the_end(config, database):
    config = _box(config, daily_cap=10)
    ends = datetime.datetime(2026, 12, 3, 0, 0)  # today and tomorrow
    preview = campaigns.preview(config, _people(25), text=TEXT, category="marketing", now=NOW, expires_at=ends)
    assert {k: preview["pace"][k] for k in ("today", "later", "not_going", "days")} == \
        {"today": 10, "later": 10, "not_going": 5, "days": 2}
    campaign = campaigns.send(config, "答谢会", _people(25), text=TEXT, category="marketing", now=NOW,
                              expires_at=ends)
    campaign_pacing.queue_shares(config, NEXT_DAY)
    MessagePart.update(state="sent", imsi="I1", sent_at=NEXT_DAY).where(MessagePart.state == "queued").execute()
    assert campaign_pacing.queue_shares(config, datetime.datetime(2026, 12, 3, 10, 0)) == 0
    done = Campaign.get_by_id(campaign.id)
    assert (done.queued, done.pending, done.unsent) == (20, 0, 5)


def test_unpaced_campaigns_queue_everything_at_once(config, database):
    config = _box(config, daily_cap=10).replace(services__campaign_pace=False)
    campaign = campaigns.send(config, "答谢会", _people(25), text=TEXT, category="marketing", now=NOW)
    assert _campaign_parts(campaign.id) == 25 and campaign.pending == 0


KILLED_SHARE = textwrap.dedent("""
    import datetime, os, signal, sys
    from appliance import clock, db as dbmod
    from appliance.config import Config
    from appliance.services import campaign_pacing
    clock.set_zone("UTC")
    campaign_pacing.SHARE_BATCH = 3
    config = Config({"data_dir": sys.argv[1], "services.campaign_pace": True, "modems.daily_cap": 10,
                     "modems.monthly_cap": 0, "services.marketing_window": "08:00-21:00"})
    dbmod.open_database(config)
    calls = []
    def fence():  # called in each write transaction of the share, before its writes
        calls.append(1)
        if len(calls) == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)
    campaign_pacing.queue_shares(config, datetime.datetime(2026, 12, 2, 10, 0), fence=fence)
""")


def test_nothing_queued_twice_after_a_kill_between_days(config, database, monkeypatch):
    config = _box(config, daily_cap=10)
    monkeypatch.setattr(campaign_pacing, "SHARE_BATCH", 3)  # the day's share goes in several transactions
    campaign = campaigns.send(config, "答谢会", _people(30), text=TEXT, category="marketing", now=NOW)
    assert (campaign.queued, campaign.pending) == (10, 20)
    MessagePart.update(state="sent", imsi="I1", sent_at=NOW).where(MessagePart.state == "queued").execute()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # Killed while fixing the day's room (nothing done), then in its second batch (the room and
    # one batch of 3 done), then in the second batch of a third run (3 more done).
    for kill_at, queued in ((1, 10), (3, 13), (2, 16)):
        died = subprocess.run([sys.executable, "-c", KILLED_SHARE, config["data_dir"], str(kill_at)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert died.returncode == -signal.SIGKILL, died.stderr
        assert Message.select().where(Message.campaign_id == campaign.id).count() == queued
    assert campaign_pacing.queue_shares(config, NEXT_DAY) == 4  # the rest of the day's 10
    assert campaign_pacing.queue_shares(config, NEXT_DAY + datetime.timedelta(minutes=5)) == 0
    messages = list(Message.select().where(Message.campaign_id == campaign.id))
    assert len(messages) == len({m.to_number for m in messages}) == 20
    left = Campaign.get_by_id(campaign.id)
    assert left.pending == CampaignPending.select().count() == 10 and left.queued == 20


def test_cli_preview_states_the_numbers_and_send_says_what_waits(config, database, tmp_path, capsys):
    from appliance import cli
    from appliance.models import ContactGroup, Staff
    _box(config, daily_cap=10)
    boxes.beat("a")  # the CLI runs now, on the real clock
    for n in range(12):
        Staff.create(badge_no=str(n), name=f"员工{n}", mobile=f"+86139{n:08d}", department="个险一部")
    ContactGroup.create(name="个险一部", kind="staff", rule="department", rule_value="个险一部")
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{config["data_dir"]}"\n[services]\ncampaign_pace = true\n'
                    '[modems]\ndaily_cap = 10\nmonthly_cap = 0\n')
    args = ["--config", str(path), "campaign"]
    assert cli.main(args + ["preview", "--group", "个险一部", "--text", "开会", "--category", "internal"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "today 10 message(s) (10 parts); following days 2 (2 parts); will not go before the end 0 (0 parts)")
    assert cli.main(args + ["send", "--name", "例会", "--group", "个险一部", "--text", "开会",
                            "--category", "internal"]) == 0
    assert capsys.readouterr().out.strip().endswith("10 queued, 0 skipped, 2 for the following days")


def test_pause_stops_the_shares_resume_restarts_them_cancel_drops_them(config, database):
    config = _box(config, daily_cap=10)
    campaign = campaigns.send(config, "答谢会", _people(25), text=TEXT, category="marketing", now=NOW)
    MessagePart.update(state="sent", imsi="I1", sent_at=NOW).where(MessagePart.state == "queued").execute()
    assert campaigns.waiting_counts([campaign.id])[campaign.id] == {"waiting": 15, "held": 0}
    assert campaigns.pause(campaign.id) == 15
    assert campaigns.waiting_counts([campaign.id])[campaign.id] == {"waiting": 0, "held": 15}
    assert campaign_pacing.queue_shares(config, NEXT_DAY) == 0
    assert campaigns.resume(config, campaign.id, now=NEXT_DAY) == 15
    assert campaign_pacing.queue_shares(config, NEXT_DAY) == 10
    assert campaigns.cancel(campaign.id, now=NEXT_DAY) == 15  # 10 queued today, 5 never queued
    assert CampaignPending.select().count() == 0 and Campaign.get_by_id(campaign.id).pending == 0
    boxes.beat("a", now=NEXT_DAY + datetime.timedelta(days=1))
    assert campaign_pacing.queue_shares(config, NEXT_DAY + datetime.timedelta(days=1)) == 0
