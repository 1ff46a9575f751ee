"""`appliance run dialer` (agi/dialer_daemon.py): READY and the watchdog through a real notify
socket, SIGTERM that hangs up no call, Asterisk restarted under a running dialer, waiting
for an Asterisk that is not there, and answer monitoring's rounds and alarms through the
real Asterisk 22 and the test network (tests/agi/test-network.conf). The real-Asterisk
tests are skipped, saying why, without an Asterisk build."""
import datetime
import logging
import os
import signal
import socket

import pytest
from asterisk_support import Asterisk, asterisk, asterisk_install  # noqa: F401  (fixtures)
from peer_support import free_port, wait_for
from test_dialer_real_asterisk import (IMAGE, NETWORK, SHIPPED_SOUNDS, channel_of, dial_begins, manager,  # noqa: F401
                                       network, tone)

from agi import dialer_daemon
from agi.dialer import other_leg
from appliance import clock, db as dbmod
from appliance.config import Config
from appliance.daemon import serve
from appliance.models import Staff
from appliance.sms.models import Message
from appliance.voice import campaigns
from appliance.voice.models import CallAttempt, VoiceCampaign


def daemon_config(pbx, data_dir, channels=2, **extra):
    return Config({"data_dir": str(data_dir), "voice.ami": f"127.0.0.1:{pbx.ami_port}",
                   "voice.ami_user": pbx.ami_user, "voice.ami_secret": pbx.ami_secret,
                   "voice.line_groups": [f"default={NETWORK}*{channels}"], "voice.ring_seconds": 3,
                   "voice.cdr_csv": str(pbx.log_dir / "cdr-csv" / "Master.csv"), **extra})


@pytest.fixture
def opened(tmp_path):
    """open(config): the daemon's database, migrated; closed after the test."""
    dbs = []

    def open_config(config):
        dbs.append(dbmod.open_and_migrate(config))
        return config
    yield open_config
    for db in dbs:
        db.close()


def start_campaign(name, numbers):
    campaign = campaigns.create_campaign(name, numbers)
    VoiceCampaign.update(window="always", max_tries=1).where(VoiceCampaign.id == campaign.id).execute()
    campaigns.set_state(campaign.id, "running")
    return campaign


def answered(pbx, attempt, since=0):
    return any(e.get("Event") == "DialEnd" and e.get("DialStatus") == "ANSWER"
               and e.get("Uniqueid") == other_leg(attempt.channel_id) for e in pbx.ami.events[since:])


def listed(manager, attempt):
    return other_leg(attempt.channel_id) in {
        e.get("Uniqueid") for e in manager.event_list("CoreShowChannels", "CoreShowChannelsComplete")}


def test_ready_watchdog_and_a_sigterm_that_hangs_up_no_call(network, manager, systemd, opened, tmp_path):
    """SIGTERM while a call is up: the daemon stops (READY, pets, STOPPING, exit 0), the call
    stays up and its attempt `dialling`; the next start follows it to its end, never re-dials."""
    config = opened(daemon_config(network, tmp_path / "data"))
    start_campaign("long call", ["13130021"])
    since = network.ami.mark()
    first = dialer_daemon.DialerDaemon(config, answer_context="appliance-test-answered")

    def react(systemd, message):
        attempt = CallAttempt.get()
        if message == "WATCHDOG=1" and "acted" not in systemd.marks and answered(network, attempt, since):
            systemd.mark("acted")
            os.kill(os.getpid(), signal.SIGTERM)
    code = systemd.run(lambda: serve("dialer", first.start, first.stop, first.alive), react, timeout=20)
    assert code == 0 and not systemd.sent_sigterm  # our SIGTERM, not the peer's timeout
    assert systemd.heard[0] == "READY=1" and systemd.heard[-1] == "STOPPING=1"
    assert "WATCHDOG=1" in systemd.heard[:systemd.marks["acted"]]
    attempt = CallAttempt.get()
    assert attempt.state == "dialling" and listed(manager, attempt)  # not hung up

    second = dialer_daemon.DialerDaemon(config, answer_context="appliance-test-answered")
    second.start()
    try:
        wait_for(lambda: second.dialer is not None and second.dialer.in_flight() == 1, 10, "the call followed")
        manager.action("Hangup", Channel=channel_of(network, attempt))
        wait_for(lambda: CallAttempt.get().state == "done", 10, "the followed call's result")
    finally:
        second.stop()
    attempt = CallAttempt.get()
    assert (attempt.result, attempt.dial_status, attempt.detail) == ("answered", "ANSWER", "")  # followed, not CDR
    assert dial_begins(network.ami, since, "13130021") == 1


def test_waits_for_asterisk_with_one_log_line_and_stays_alive(monkeypatch, opened, tmp_path, caplog):
    port = free_port()  # nothing listens there
    config = opened(Config({"data_dir": str(tmp_path / "data"), "voice.ami": f"127.0.0.1:{port}"}))
    monkeypatch.setattr(dialer_daemon, "BACKOFF", (0.05,))
    tries = []
    daemon = dialer_daemon.DialerDaemon(config, connect=lambda: tries.append(1) or socket.create_connection(
        ("127.0.0.1", port), timeout=1))
    caplog.set_level(logging.INFO, "agi.dialer_daemon")
    daemon.start()
    try:
        wait_for(lambda: len(tries) >= 5, 10, "five tries")
        assert daemon.alive()
    finally:
        daemon.stop()
    assert not daemon.thread.is_alive()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and f"cannot reach the Asterisk manager at 127.0.0.1:{port}" in errors[0].getMessage()
    assert daemon.outages == 1 and not any(r.exc_info for r in caplog.records)


def test_bad_voice_settings_are_refused_at_start_naming_the_key(opened, tmp_path):
    base = {"data_dir": str(tmp_path / "data")}
    for key, value in (("voice.line_groups", ["default=DAHDI/g1*30"]), ("voice.monitor_numbers", ["95500"]),
                       ("voice.monitor_line_group", "gsm"), ("voice.windows", "weekdays 9-5")):
        extra = {"voice.monitor_numbers": ["客服热线=95500"]} if key == "voice.monitor_line_group" else {}
        daemon = dialer_daemon.DialerDaemon(opened(Config({**base, **extra, key: value})))
        with pytest.raises(Exception, match=f"^{key}: "):
            daemon.start()


# --- Asterisk restarted under a running dialer --------------------------------------------------

def load_network(pbx, sounds):
    """Our outbound dialplan and the test network on a private Asterisk (as the `network` fixture)."""
    sounds.mkdir()
    for name in ("kong_hao", "ting_ji", "machine_greeting"):
        tone(sounds / f"{name}.wav")
    text = (IMAGE.parents[1] / "tests" / "agi" / "test-network.conf").read_text()
    (pbx.etc / "test-network.conf").write_text(text.replace(SHIPPED_SOUNDS, f"TEST_NETWORK_SOUNDS={sounds}\n"))
    (pbx.etc / "extensions_outbound.conf").write_text((IMAGE / "extensions_outbound.conf").read_text())
    extensions = pbx.etc / "extensions.conf"
    extensions.write_text(extensions.read_text() + "\n#include extensions_outbound.conf\n#include test-network.conf\n")
    pbx.rx("dialplan reload")


@pytest.fixture
def own_asterisk(asterisk_install, tmp_path):
    """An Asterisk of this test alone: restarting it disturbs no other test."""
    pbx = Asterisk(asterisk_install, tmp_path / "asterisk")
    try:
        pbx.start()
        load_network(pbx, tmp_path / "sounds")
        yield pbx
    finally:
        pbx.stop()


def outbound_cdrs(pbx):
    """Numbers of every call our outbound dialplan placed, one per CDR record of its ;2 leg."""
    import csv
    path = pbx.log_dir / "cdr-csv" / "Master.csv"
    with open(path, newline="") as handle:
        return sorted(row[2] for row in csv.reader(handle) if len(row) > 3 and row[3] == "appliance-outbound")


def test_asterisk_restarted_under_a_running_dialer(own_asterisk, opened, tmp_path, monkeypatch, caplog):
    """Two calls are up when Asterisk restarts (`core restart now` hangs them up): the daemon
    keeps their results, takes the numbers Asterisk refused while shutting down back into the
    queue, logs the outage once, reconnects and calls the rest: one call per number."""
    monkeypatch.setattr(dialer_daemon, "BACKOFF", (0.2,))
    caplog.set_level(logging.INFO, "agi.dialer_daemon")
    pbx = own_asterisk
    config = opened(daemon_config(pbx, tmp_path / "data"))
    numbers = [f"1302000{i}" for i in range(6)]
    campaign = start_campaign("restart", numbers)
    daemon = dialer_daemon.DialerDaemon(config, answer_context="appliance-test-answered")
    daemon.start()
    try:
        wait_for(lambda: (lambda up: up if len(up) == 2 and all(answered(pbx, a) for a in up) else None)(
            list(CallAttempt.select().where(CallAttempt.state == "dialling"))), 15, "two calls answered")
        restarted_at = clock.now()
        pbx.rx("core restart now")
        wait_for(lambda: VoiceCampaign.get_by_id(campaign.id).state == "done", 40, "the campaign to finish")
        assert daemon.alive()
    finally:
        daemon.stop()
    got = {a.number: a for a in CallAttempt.select()}
    assert sorted(got) == numbers and all(a.state == "done" for a in got.values())
    # a call the restart cut off is `failed` (it ended without a dial result), none is lost
    assert {a.result for a in got.values()} <= {"answered", "failed"}, {a.number: a.detail for a in got.values()}
    after = [a for a in got.values() if a.dialled_at > restarted_at]
    assert after and all(a.result == "answered" for a in after), [(a.number, a.result, a.detail, a.audio_class) for a in after]  # placed on the new connection
    cdrs = outbound_cdrs(pbx)
    assert all(cdrs.count(n) <= 1 for n in numbers) and {a.number for a in after} <= set(cdrs)  # no one twice
    messages = [r.getMessage() for r in caplog.records if r.name == "agi.dialer_daemon"]
    assert sum("lost the Asterisk manager" in m for m in messages) == 1
    assert sum("answers again" in m for m in messages) == 1
    assert not any(r.exc_info for r in caplog.records)


# --- answer monitoring through the real Asterisk --------------------------------------------------

def test_monitoring_rounds_alarm_once_and_say_when_it_answers_again(network, opened, tmp_path, monkeypatch):
    """Round 1: 客服热线 rings out (1305…): one alarm SMS. A restart within the interval starts
    no round. An hour later (by the schedule in the database) 客服热线 is a number that rings
    1 s and answers (1309…): one 'answers again' SMS, with the time to answer recorded."""
    monkeypatch.setattr(dialer_daemon, "MONITOR_EVERY", 0.1)
    config = opened(daemon_config(network, tmp_path / "data", **{
        "voice.monitor_numbers": ["客服热线=13050000"], "voice.monitor_alarm_to": ["王值班"],
        "voice.monitor_answer_seconds": 10}))
    Staff(badge_no="A001", name="王值班", mobile="13800138000").save()

    def run_daemon(config, until, what):
        daemon = dialer_daemon.DialerDaemon(config, answer_context="appliance-test-answered")
        turns = []
        step = daemon._monitor_step
        monkeypatch.setattr(daemon, "_monitor_step", lambda: (step(), turns.append(1)))
        daemon.monitor.step = daemon._monitor_step
        daemon.start()
        try:
            wait_for(lambda: until(turns), 30, what)
        finally:
            daemon.stop()

    run_daemon(config, lambda turns: Message.select().count() == 1, "the alarm")
    first = CallAttempt.get()
    assert (first.result, first.answer_seconds) == ("no_answer", None)
    alarm = Message.get()
    assert alarm.to_number == "+8613800138000" and "客服热线（13050000）未接通（无人接听）" in alarm.text

    run_daemon(config, lambda turns: len(turns) >= 5, "five monitoring turns")  # restarted within the hour
    assert VoiceCampaign.select().count() == 1 and Message.select().count() == 1

    for campaign in VoiceCampaign.select():  # an hour passes, as far as the schedule can tell
        campaign.created_at -= datetime.timedelta(minutes=61)
        campaign.save()
    config = config.replace(voice__monitor_numbers=["客服热线=13090000"])
    run_daemon(config, lambda turns: Message.select().count() == 2, "the 'answers again' message")
    second = CallAttempt.select().order_by(CallAttempt.id.desc()).get()
    assert second.result == "answered" and 0 <= second.answer_seconds <= 3
    assert second.talk_seconds == 0  # [appliance-monitor-answered] hung up at once
    assert "客服热线（13090000）已恢复正常" in Message.select().order_by(Message.id.desc()).get().text
    assert VoiceCampaign.select().where(VoiceCampaign.kind == "monitor").count() == 2


def test_an_originate_without_an_answer_is_recovered_not_dialled_again(network, opened, tmp_path, caplog):
    """The manager places a call but its answer to Originate never comes (a hung manager): the
    call may exist, so the attempt stays `dialling`; the daemon drops that connection, says so
    once, connects again, and recover() follows the call to its result. One call, no second."""
    from agi.ami import AMITimeout, Manager

    class Hung(Manager):
        def action(self, name, timeout=10.0, check=True, **fields):
            response = super().action(name, timeout=timeout, check=check, **fields)
            if name == "Originate":
                raise AMITimeout("AMI Originate: no answer in time")  # the call is placed all the same
            return response
    made = []

    def connect():
        made.append((Hung if not made else Manager)("127.0.0.1", network.ami_port, network.ami_user,
                                                     network.ami_secret))
        return made[-1]
    caplog.set_level(logging.INFO, "agi.dialer_daemon")
    config = opened(daemon_config(network, tmp_path / "data"))
    campaign = start_campaign("hung manager", ["13020000"])
    since = network.ami.mark()
    daemon = dialer_daemon.DialerDaemon(config, connect=connect, answer_context="appliance-test-answered")
    daemon.start()
    try:
        wait_for(lambda: VoiceCampaign.get_by_id(campaign.id).state == "done", 20, "the campaign to finish")
    finally:
        daemon.stop()
    assert len(made) == 2 and made[0].closed
    assert (CallAttempt.get().state, CallAttempt.get().result) == ("done", "answered")
    assert dial_begins(network.ami, since, "13020000") == 1
    assert sum("lost the Asterisk manager" in r.getMessage() for r in caplog.records) == 1
