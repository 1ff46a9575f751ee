"""The dialer against a real Asterisk 22: every kind of callee of the test network
(tests/agi/test-network.conf) dialled through our outbound dialplan
(image/asterisk/extensions_outbound.conf) and classified; concurrency per line group;
a dialer killed with SIGKILL mid-campaign loses no result and calls no one twice.
Skipped, saying why, where there is no Asterisk tarball (tests/asterisk_support.py).
"""
import json
import math
import os
import signal
import struct
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest
from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from peer_support import wait_for

from agi.ami import Manager
from agi.dialer import Dialer, LineGroup, other_leg, parse_line_groups
from appliance import db as dbmod
from appliance.config import Config
from appliance.voice import campaigns, screening_bench
from appliance.voice.models import CallAttempt, VoiceCampaign

REPO = Path(__file__).resolve().parents[2]
IMAGE = REPO / "image" / "asterisk"
SHIPPED_SOUNDS = "TEST_NETWORK_SOUNDS=/var/lib/appliance-test-network\n"
NETWORK = "Local/{number}@appliance-test-network"


def tone(path, seconds=1.5, frequency=950):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * frequency * i / 8000)))
                                 for i in range(int(8000 * seconds))))


@pytest.fixture(scope="session")
def network(asterisk, tmp_path_factory):
    """The session's Asterisk with our outbound dialplan and the test network loaded."""
    sounds = tmp_path_factory.mktemp("network-sounds")
    screening_bench.write_test_network_sounds(sounds)  # real announcements and SIT, about 2 s each
    text = (Path(__file__).with_name("test-network.conf")).read_text()
    assert SHIPPED_SOUNDS in text
    (asterisk.etc / "test-network.conf").write_text(text.replace(SHIPPED_SOUNDS, f"TEST_NETWORK_SOUNDS={sounds}\n"))
    # Early audio is recorded only where a test sets EARLY_AUDIO_DATA (a global, by AMI
    # Setvar; a reload clears it): no other test's calls leave files, none in /var/lib/appliance.
    outbound = (IMAGE / "extensions_outbound.conf").read_text()
    (asterisk.etc / "extensions_outbound.conf").write_text(outbound.replace("${APPLIANCE_DATA}", "${EARLY_AUDIO_DATA}"))
    extensions = asterisk.etc / "extensions.conf"
    if "test-network.conf" not in extensions.read_text():
        extensions.write_text(extensions.read_text()
                              + "\n#include extensions_outbound.conf\n#include test-network.conf\n")
    asterisk.ami.command("dialplan reload")
    shown = "\n".join(asterisk.ami.command("dialplan show appliance-outbound"))
    assert "APPLIANCE_RESULT" in shown, shown
    return asterisk


@pytest.fixture
def voice_db(tmp_path):
    config = Config({"data_dir": str(tmp_path / "data")})
    db = dbmod.open_and_migrate(config)
    yield config
    db.close()


@pytest.fixture
def manager(network):
    ami = Manager("127.0.0.1", network.ami_port, network.ami_user, network.ami_secret)
    yield ami
    ami.close()


def make_dialer(manager, network, channels, **kwargs):
    """A dialer on the test network; its calling window is `always` unless a test gives one
    (the box's default would make a test pass or fail by the hour it runs)."""
    return Dialer(manager, {"default": LineGroup("default", NETWORK, channels)}, ring_seconds=3,
                  caller_id="95500", cdr_path=network.log_dir / "cdr-csv" / "Master.csv",
                  answer_context="appliance-test-answered", **{"default_window": "always", **kwargs})


def one_try(campaign):
    """Call each number once: a test of what one call comes to (retries: test_dialer_rules_real_asterisk)."""
    VoiceCampaign.update(max_tries=1).where(VoiceCampaign.id == campaign.id).execute()


def run_in_thread(dialer, timeout=90):
    """run(until_idle=True), bounded: fails rather than hangs."""
    errors = []

    def target():
        try:
            dialer.run(until_idle=True)
        except Exception as exc:  # reported below
            errors.append(exc)
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        dialer.stop()
        thread.join(10)
        raise AssertionError(f"the dialer did not finish within {timeout} s")
    if errors:
        raise errors[0]


def dial_begins(ami, since, number):
    """How many times the network was dialled for `number` since an event mark."""
    with ami._cond:
        return sum(1 for e in ami.events[since:]
                   if e.get("Event") == "DialBegin"
                   and e.get("DestChannel", "").startswith(f"Local/{number}@appliance-test-network-"))


# number -> (result, early media) expected from the test network
CALLEES = {
    "13011": ("answered", False),       # answers and keys 1 (the notice flow confirms it: next slice)
    "13020000": ("answered", False),    # answers, silent
    "13030000": ("answered", False),    # answers, hangs up at once
    "13040000": ("busy", False),
    "13050000": ("no_answer", False),   # rings out (ring_seconds = 3)
    "13060000": ("congestion", False),
    "13070000": ("invalid", True),      # 空号 announcement as early media, then cause 1
    "13080000": ("no_answer", True),    # 停机 announcement as early media, then cause 16
    "13090000": ("answered", False),    # an answering machine greeting
    "13100000": ("rejected", False),    # cause 21
    "13110000": ("invalid", False),     # cause 1 at once
    "13120000": ("answered", False),    # a carrier that answers to play its announcement
}


def test_every_kind_of_callee_is_classified(network, manager, voice_db):
    since = network.ami.mark()
    campaign = campaigns.create_campaign("all callees", list(CALLEES))
    one_try(campaign)
    campaigns.set_state(campaign.id, "running")
    run_in_thread(make_dialer(manager, network, channels=len(CALLEES)))
    got = {a.number: a for a in CallAttempt.select()}
    assert {n: (a.result, a.early_media) for n, a in got.items()} == CALLEES, {n: a.detail for n, a in got.items() if a.detail}
    assert all(a.state == "done" and a.channel_id and a.ended_at for a in got.values())
    assert (got["13040000"].dial_status, got["13100000"].hangup_cause) == ("BUSY", 21)
    assert got["13070000"].hangup_cause == 1
    # the stand-in notice holds an answered call 2 s; one that hangs up at once talked 0 s
    assert 1 <= got["13020000"].talk_seconds <= 3 and got["13030000"].talk_seconds == 0
    assert all(got[n].talk_seconds is None for n in ("13040000", "13050000", "13070000"))
    assert all(dial_begins(network.ami, since, n) == 1 for n in CALLEES)
    assert VoiceCampaign.get_by_id(campaign.id).state == "done"
    report = campaigns.summary(campaign.id)
    assert report["results"]["answered"] == 5 and report["results"]["invalid"] == 2
    assert report["answer_rate"] == round(5 / 12, 4) and report["confirmation_rate"] == 0
    # the presented caller ID and the attempt's account code reached Asterisk
    outbound = [e for e in network.ami.events[since:] if e.get("Event") == "DialBegin"
                and e.get("Uniqueid") == other_leg(got["13040000"].channel_id)]
    assert outbound and outbound[0]["CallerIDNum"] == "95500"
    assert outbound[0]["AccountCode"] == f"appliance-{got['13040000'].id}"


def test_no_more_calls_at_once_than_the_line_group_has_channels(network, manager, voice_db):
    numbers = [f"1302000{i}" for i in range(6)]
    campaign = campaigns.create_campaign("two channels", numbers)
    campaigns.set_state(campaign.id, "running")
    since = network.ami.mark()
    run_in_thread(make_dialer(manager, network, channels=2))
    ours = {other_leg(a.channel_id) for a in CallAttempt.select()}
    up, most = set(), 0
    with network.ami._cond:
        events = network.ami.events[since:]
    for event in events:
        uid = event.get("Uniqueid")
        if uid in ours and event.get("Event") == "Newchannel":
            up.add(uid)
            most = max(most, len(up))
        elif uid in ours and event.get("Event") == "Hangup":
            up.discard(uid)
    assert most == 2
    assert [a.result for a in CallAttempt.select()] == ["answered"] * 6


def test_a_paused_campaign_places_no_call(network, manager, voice_db):
    campaign = campaigns.create_campaign("paused", ["13020000"])
    campaigns.set_state(campaign.id, "paused")
    run_in_thread(make_dialer(manager, network, channels=2))
    assert CallAttempt.get().state == "queued"


def test_line_groups_from_config():
    groups = parse_line_groups(["default=DAHDI/g1/{number}*30", "gsm=Local/{number}@gsm-out*1"])
    assert groups["gsm"] == LineGroup("gsm", "Local/{number}@gsm-out", 1)
    with pytest.raises(Exception, match="NAME=DIAL_STRING"):
        parse_line_groups(["default=DAHDI/g1*30"])


def test_numbers_that_could_change_the_dial_string_are_refused(voice_db):
    with pytest.raises(Exception, match="not a phone number"):
        campaigns.create_campaign("bad", ["13800138000", "1380013&DAHDI/g2/110"])


DIALER = """
import json, sys
from agi.ami import Manager
from agi.dialer import Dialer, LineGroup
from appliance import db
from appliance.config import Config
args = json.loads(sys.argv[1])
db.open_database(Config({"data_dir": args["data_dir"]}))
ami = Manager("127.0.0.1", args["port"], args["user"], args["secret"])
dialer = Dialer(ami, {"default": LineGroup("default", args["dial"], 2)}, ring_seconds=3,
                answer_context="appliance-test-answered", name="killed-dialer", default_window="always")
dialer.run()
"""


def test_a_dialer_killed_mid_campaign_loses_no_result_and_calls_no_one_twice(network, manager, voice_db):
    """Two long calls are up when the dialer is killed; one ends while no dialer runs (its
    result comes from the CDR), the other is still up when the next dialer starts (it follows
    it to its end). The rest of the campaign is then dialled, each number once."""
    numbers = ["13130001", "13130002", "13020001", "13020002"]
    campaign = campaigns.create_campaign("killed", numbers)
    campaigns.set_state(campaign.id, "running")
    since = network.ami.mark()
    args = {"data_dir": str(voice_db.data_dir), "port": network.ami_port, "user": network.ami_user,
            "secret": network.ami_secret, "dial": NETWORK}
    proc = subprocess.Popen([sys.executable, "-c", DIALER, json.dumps(args)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        long_calls = wait_for(lambda: list(CallAttempt.select().where(CallAttempt.state == "dialling",
                                                                      CallAttempt.number.startswith("1313")))
                              if CallAttempt.select().where(CallAttempt.state == "dialling").count() == 2
                              else None, timeout=20, what="two calls claimed")
        for attempt in long_calls:  # both answered and up
            network.ami.wait_event(lambda e, uid=other_leg(attempt.channel_id): e.get("Event") == "DialEnd"
                                   and e.get("Uniqueid") == uid and e.get("DialStatus") == "ANSWER",
                                   15, f"{attempt.number} to answer", since)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    first, second = sorted(long_calls, key=lambda a: a.number)
    assert CallAttempt.select().where(CallAttempt.state == "queued").count() == 2
    # the first long call ends while no dialer runs
    mark = network.ami.mark()
    manager.action("Hangup", Channel=channel_of(network, first))
    for uid in (first.channel_id, other_leg(first.channel_id)):
        network.ami.wait_event(lambda e, uid=uid: e.get("Event") == "Hangup" and e.get("Uniqueid") == uid,
                               10, "the first long call to end", mark)
    # A Hangup event comes before the channel is gone from Asterisk's list, which is
    # what recover() reads: wait until the list agrees.
    wait_for(lambda: other_leg(first.channel_id) not in
             {e.get("Uniqueid") for e in manager.event_list("CoreShowChannels", "CoreShowChannelsComplete")},
             10, "the first long call to leave Asterisk's channel list")
    dialer = make_dialer(manager, network, channels=2)
    dialer.recover()
    # the second is followed; the first is over (read from the CDR, now or once written)
    assert dialer.in_flight() == 1 and dialer._calls.get(second.channel_id) is not None
    assert CallAttempt.get_by_id(second.id).state == "dialling"
    manager.action("Hangup", Channel=channel_of(network, second))
    run_in_thread(dialer)
    got = {a.number: a for a in CallAttempt.select()}
    assert {n: (a.state, a.result) for n, a in got.items()} == {n: ("done", "answered") for n in numbers}
    assert "CDR" in got["13130001"].detail and got["13130001"].talk_seconds >= 0
    assert got["13130002"].dial_status == "ANSWER" and got["13130002"].detail == ""
    assert all(dial_begins(network.ami, since, n) == 1 for n in numbers)


def channel_of(network, attempt):
    """The ;2 leg's channel name of an attempt's call (from the manager's events)."""
    uid = other_leg(attempt.channel_id)
    with network.ami._cond:
        return next(e["Channel"] for e in network.ami.events if e.get("Uniqueid") == uid and "Channel" in e)


def test_an_attempt_asterisk_has_no_trace_of_becomes_unknown_and_is_not_dialled_again(network, manager, voice_db):
    """Killed between the claim and Originate: no channel, no CDR. `unknown`, never re-dialled."""
    campaign = campaigns.create_campaign("lost", ["13020000"])
    campaigns.set_state(campaign.id, "running")
    CallAttempt.update(state="dialling", channel_id="vc-lost-0000").execute()
    since = network.ami.mark()
    run_in_thread(make_dialer(manager, network, channels=2, cdr_grace=0.5))
    attempt = CallAttempt.get()
    assert (attempt.state, attempt.result) == ("unknown", "unknown") and "no trace" in attempt.detail
    assert dial_begins(network.ami, since, "13020000") == 0
    assert campaigns.summary(campaign.id)["unknown"] == 1


def test_a_number_put_on_the_do_not_call_list_after_queueing_is_skipped_at_dial_time(network, manager, voice_db):
    from appliance.services import optout
    campaign = campaigns.create_campaign("dnc", ["13040000001", "13040000002"])
    one_try(campaign)
    optout.add("13040000001", kind="dnd", reason="asked on the phone", source="cli")
    campaigns.set_state(campaign.id, "running")
    since = network.ami.mark()
    run_in_thread(make_dialer(manager, network, channels=1))
    got = {a.number: a for a in CallAttempt.select()}
    assert (got["13040000001"].state, got["13040000001"].detail) == ("skipped", "on the do-not-call list")
    assert (got["13040000002"].state, got["13040000002"].result) == ("done", "busy")
    assert dial_begins(network.ami, since, "13040000001") == 0
    report = campaigns.summary(campaign.id)
    assert report["skipped"] == 1 and report["state"] == "done" and report["answer_rate"] == 0


def test_a_campaign_presents_its_own_caller_id(network, manager, voice_db):
    since = network.ami.mark()
    campaign = campaigns.create_campaign("own caller id", ["13030001"])
    VoiceCampaign.update(caller_id="95511", max_tries=1).where(VoiceCampaign.id == campaign.id).execute()
    campaigns.set_state(campaign.id, "running")
    run_in_thread(make_dialer(manager, network, channels=1))  # the dialer's own: 95500
    attempt = CallAttempt.get()
    with network.ami._cond:
        outbound = [e for e in network.ami.events[since:] if e.get("Event") == "DialBegin"
                    and e.get("Uniqueid") == other_leg(attempt.channel_id)]
    assert outbound and outbound[0]["CallerIDNum"] == "95511"
