"""When the dialer calls, against a real Asterisk 22 and the test network: calling windows
and retry times checked at each claim (not at queue time), the retry rule (a busy number
called max_tries times, retry_minutes apart; an invalid one once), due retries claimed
first, do-not-call and screened-invalid numbers skipped at dial time, and a dialer that
sleeps until a window opens instead of spinning.

Time: the dialer's `now` is a MovingClock, real time running from a chosen instant, that a
test moves on (30 minutes in an instant) and then wakes the dialer: no test waits real
minutes, and none sleeps to synchronise.
"""
import datetime
import threading
import time

import pytest
from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from peer_support import wait_for
from test_dialer_real_asterisk import (dial_begins, make_dialer, manager, network,  # noqa: F401  (fixtures)
                                       run_in_thread, voice_db)

from agi import dialer as dialer_module
from appliance import clock
from appliance.services import optout
from appliance.voice import campaigns, control, retries, sources
from appliance.voice.models import CallAttempt, ScreenedNumber, VoiceCampaign

BUSY, INVALID = "13040000000", "13110000000"
START = datetime.datetime(2026, 10, 15, 3, 0)  # a Thursday, 11:00 in Shanghai


class MovingClock:
    """An instant source: real time passing from `start`, moved on by advance()."""

    def __init__(self, start):
        self.start, self.t0 = start, time.monotonic()

    def __call__(self):
        return self.start + datetime.timedelta(seconds=time.monotonic() - self.t0)

    def advance(self, **delta):
        self.start += datetime.timedelta(**delta)


@pytest.fixture
def running():
    """start(dialer): run(until_idle=True) in a thread beside the test; .join(timeout) to end."""
    started = []

    class Running:
        def __init__(self, dialer):
            self.dialer, self.errors = dialer, []
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

        def _run(self):
            try:
                self.dialer.run(until_idle=True)
            except Exception as exc:  # raised by join()
                self.errors.append(exc)

        def join(self, timeout=30):
            self.thread.join(timeout)
            if self.thread.is_alive():
                raise AssertionError(f"the dialer did not finish within {timeout} s")
            if self.errors:
                raise self.errors[0]

    def start(dialer):
        started.append(Running(dialer))
        return started[-1]
    yield start
    for run in started:
        run.dialer.stop()
        run.thread.join(10)


def tries(number):
    return list(CallAttempt.select().where(CallAttempt.number == number).order_by(CallAttempt.try_no))


def test_a_busy_number_gets_max_tries_calls_retry_minutes_apart_and_an_invalid_one_a_single_call(
        network, manager, voice_db, running):
    since = network.ami.mark()
    now = MovingClock(START)
    campaign = campaigns.create_campaign("retries", [BUSY, INVALID])  # the defaults: 3 tries, 30 minutes apart
    assert (campaign.max_tries, campaign.retry_minutes) == (3, 30)
    campaigns.set_state(campaign.id, "running")
    dialer = make_dialer(manager, network, channels=2, now=now, poll_seconds=600)
    run = running(dialer)
    for try_no in (2, 3):
        retry = wait_for(lambda n=try_no: CallAttempt.get_or_none(number=BUSY, try_no=n), 20, f"try {try_no} queued")
        before = CallAttempt.get(number=BUSY, try_no=try_no - 1)
        assert before.result == "busy" and retry.state == "queued"
        assert retry.not_before == before.ended_at + datetime.timedelta(minutes=30)
        # not called before its time, and the campaign is not done while a retry waits
        assert dial_begins(network.ami, since, BUSY) == try_no - 1
        assert VoiceCampaign.get_by_id(campaign.id).state == "running"
        now.advance(minutes=30)
        dialer.wake()
    run.join(30)
    busy = tries(BUSY)
    assert [(a.try_no, a.state, a.result) for a in busy] == [(1, "done", "busy"), (2, "done", "busy"), (3, "done", "busy")]
    for before, after in zip(busy, busy[1:]):
        assert after.dialled_at >= before.ended_at + datetime.timedelta(minutes=30)
    assert [(a.try_no, a.result) for a in tries(INVALID)] == [(1, "invalid")]
    assert dial_begins(network.ami, since, BUSY) == 3 and dial_begins(network.ami, since, INVALID) == 1
    assert VoiceCampaign.get_by_id(campaign.id).state == "done"


def test_a_cancelled_campaign_does_not_call_its_waiting_retry(network, manager, voice_db, running):
    since = network.ami.mark()
    now = MovingClock(START)
    campaign = campaigns.create_campaign("cancelled", [BUSY])
    campaigns.set_state(campaign.id, "running")
    dialer = make_dialer(manager, network, channels=1, now=now, poll_seconds=600)
    run = running(dialer)
    wait_for(lambda: CallAttempt.get_or_none(number=BUSY, try_no=2), 20, "the retry queued")
    campaigns.set_state(campaign.id, "cancelled")
    now.advance(minutes=30)
    dialer.wake()
    run.join(20)  # until idle: nothing of a running campaign is left
    assert dial_begins(network.ami, since, BUSY) == 1
    assert VoiceCampaign.get_by_id(campaign.id).state == "cancelled"


def test_due_retries_go_first_future_ones_wait_and_listed_numbers_are_skipped_at_dial_time(
        network, manager, voice_db, running):
    since = network.ami.mark()
    now = MovingClock(START)
    a, b, c, dnc, screened = "13110000011", "13110000012", "13110000013", "13110000014", "13110000015"
    notice = campaigns.create_campaign("notice", [a, b, c, dnc, screened])
    screening = campaigns.create_campaign("screening", [screened])
    for campaign in (notice, screening):
        VoiceCampaign.update(max_tries=1).where(VoiceCampaign.id == campaign.id).execute()
    VoiceCampaign.update(kind="screening").where(VoiceCampaign.id == screening.id).execute()
    # c is a retry due a minute ago, b one due in an hour
    CallAttempt.update(try_no=2, not_before=START - datetime.timedelta(minutes=1)).where(CallAttempt.number == c).execute()
    CallAttempt.update(try_no=2, not_before=START + datetime.timedelta(hours=1)).where(CallAttempt.number == b).execute()
    # listed after they were queued: only a check at dial time can see it
    optout.add(dnc, kind="dnd", reason="key 8", source="cli")
    ScreenedNumber.create(number=screened, status="invalid", screened_at=START - datetime.timedelta(days=2))
    for campaign in (notice, screening):
        campaigns.set_state(campaign.id, "running")
    dialer = make_dialer(manager, network, channels=1, now=now, poll_seconds=600)
    run = running(dialer)
    wait_for(lambda: CallAttempt.select().where(CallAttempt.state.in_(("queued", "dialling"))).count() == 1,
             20, "everything but the future retry")
    attempts = {(x.campaign_id, x.number): x for x in CallAttempt.select()}
    dialled = sorted((x for x in attempts.values() if x.dialled_at), key=lambda x: x.dialled_at)
    assert [(x.campaign_id, x.number) for x in dialled] == [(notice.id, c), (notice.id, a), (screening.id, screened)]
    assert attempts[(notice.id, b)].state == "queued" and dial_begins(network.ami, since, b) == 0
    assert (attempts[(notice.id, dnc)].state, attempts[(notice.id, dnc)].detail) == ("skipped", "on the do-not-call list")
    assert (attempts[(notice.id, screened)].state, attempts[(notice.id, screened)].detail) == \
        ("skipped", "screened invalid on 2026-10-13")
    now.advance(hours=1)
    dialer.wake()
    run.join(20)
    assert CallAttempt.get(number=b).result == "invalid"
    assert dial_begins(network.ami, since, dnc) == 0 and dial_begins(network.ami, since, screened) == 1


def test_a_call_outside_its_window_waits_for_the_opening_and_the_dialer_sleeps_meanwhile(
        network, manager, voice_db, zones):
    zones("UTC", "Asia/Shanghai")
    opening = clock.instant(datetime.datetime(2026, 10, 15, 18, 30))  # Thursday evening, in Shanghai
    now = MovingClock(opening - datetime.timedelta(seconds=2))
    campaign = control.create("evening", sources.from_list([INVALID]), window="workday 18:30-20:30", max_tries=1)
    assert campaign.window == "workday 18:30-20:30"
    campaigns.set_state(campaign.id, "running")
    dialer = make_dialer(manager, network, channels=1, now=now, poll_seconds=600)
    turns = []
    dialer.beat = lambda: turns.append(now())
    run_in_thread(dialer, timeout=20)
    attempt = CallAttempt.get()
    assert attempt.result == "invalid" and attempt.dialled_at >= opening
    # it slept until the opening: a turn at start, one when the window opened, a few for the
    # call's events, where a busy wait would have turned hundreds of times in the 2 s
    waiting = [t for t in turns if t < opening]
    assert len(waiting) <= 2 and len(turns) <= 10, turns


def test_a_campaign_window_is_checked_when_it_is_saved(voice_db):
    with pytest.raises(Exception, match="window: 'weekend' is not workday, restday or daily") as caught:
        control.create("bad", sources.from_list([INVALID]), window="weekend 09:00-12:00")
    assert caught.value.field == "window"


def test_the_retry_is_written_with_the_result_or_not_at_all(voice_db, monkeypatch):
    """finish() writes the result and queues the retry in one transaction: a crash between
    them (here an exception where the retry is made) leaves neither, so the next dialer
    finds the attempt as it was; a second finish() makes no second retry."""
    campaign = campaigns.create_campaign("atomic", [BUSY])
    CallAttempt.update(state="dialling", channel_id="vc-x").execute()
    attempt = CallAttempt.get()

    def crash(*args):
        raise RuntimeError("killed between the result and the retry")
    monkeypatch.setattr(retries, "retry", crash)
    with pytest.raises(RuntimeError):
        dialer_module.finish(attempt.id, "busy", now=START)
    assert [(x.state, x.result) for x in CallAttempt.select()] == [("dialling", "")]
    monkeypatch.undo()
    assert dialer_module.finish(attempt.id, "busy", now=START)
    assert not dialer_module.finish(attempt.id, "busy", now=START)
    assert [(x.try_no, x.state, x.not_before) for x in CallAttempt.select().order_by(CallAttempt.id)] == [
        (1, "done", None), (2, "queued", START + datetime.timedelta(minutes=30))]
    assert VoiceCampaign.get_by_id(campaign.id).max_tries == 3
    # a call that may have been answered is never re-dialled by rule
    CallAttempt.update(state="dialling").where(CallAttempt.try_no == 2).execute()
    dialer_module.finish(CallAttempt.get(try_no=2).id, "unknown", state="unknown", now=START)
    assert CallAttempt.select().count() == 2
