"""The dialer's claim and retry queries on SQLite and PostgreSQL (when its binaries are
installed): which attempts a claim takes (open window, not_before come, due retries
first, skips), when the loop next has work, and the retry finish() queues. No calls are
placed here (the claim is called directly); tests/agi/test_dialer_rules_real_asterisk.py
places them through a real Asterisk."""
import datetime

import pytest

from agi.dialer import Dialer, LineGroup, finish
from appliance import clock
from appliance import db as dbmod
from appliance.config import Config
from appliance.voice import campaigns, days
from appliance.voice.models import CallAttempt, CallingDay, ScreenedNumber, VoiceCampaign

TABLES = (CallAttempt, VoiceCampaign, CallingDay, ScreenedNumber)


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    url = request.getfixturevalue("postgres_url")
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": url}))
    dbmod.migrate(db)
    yield db
    for model in TABLES:
        model.delete().execute()
    db.close()


class NoCalls:
    """The manager connection the Dialer holds; these tests never place a call through it."""
    closed = False

    def add_listener(self, listener):
        pass


def test_claim_next_due_and_retry_queries(any_database, zones):
    zones("UTC", "Asia/Shanghai")
    now = clock.instant(datetime.datetime(2026, 10, 15, 19, 0))  # a Thursday evening
    evening = campaigns.create_campaign("evening", ["13800000001", "13800000002", "13800000003", "13800000004"])
    morning = campaigns.create_campaign("rest-day mornings", ["13800000005"])
    VoiceCampaign.update(window="workday 18:30-20:30").where(VoiceCampaign.id == evening.id).execute()
    VoiceCampaign.update(window="restday 09:00-12:00").where(VoiceCampaign.id == morning.id).execute()
    due, later = now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=1)
    CallAttempt.update(try_no=2, not_before=due).where(CallAttempt.number == "13800000002").execute()
    CallAttempt.update(try_no=2, not_before=later).where(CallAttempt.number == "13800000003").execute()
    ScreenedNumber.create(number="13800000004", status="invalid")
    for campaign in (evening, morning):
        campaigns.set_state(campaign.id, "running")
    dialer = Dialer(NoCalls(), {"default": LineGroup("default", "Local/{number}@x", 10)}, now=lambda: now)

    claimed, skipped = dialer._claim(dialer.groups["default"], 10)
    assert [a.number for a in claimed] == ["13800000002", "13800000001"] and skipped == 1
    assert CallAttempt.get(number="13800000004").detail.startswith("screened invalid")
    assert {a.number for a in CallAttempt.select().where(CallAttempt.state == "queued")} == {"13800000003", "13800000005"}
    assert dialer._next_due() == later  # before Saturday 09:00, when the mornings open

    assert finish(claimed[1].id, "busy", now=now)
    retry = CallAttempt.get(number="13800000001", try_no=2)
    assert (retry.state, retry.not_before) == ("queued", now + datetime.timedelta(minutes=30))
    assert dialer._next_due() == retry.not_before

    days.declare("2026-10-15", "holiday")  # the evening window is for working days only
    assert dialer._claim(dialer.groups["default"], 10) == ([], 0)
    assert dialer._next_due() == retry.not_before  # the earliest of retry times and openings
    CallAttempt.update(state="skipped").where(CallAttempt.not_before.is_null(False)).execute()
    # the evening campaign has nothing queued now: only the mornings' opening counts
    assert clock.local(dialer._next_due()) == datetime.datetime(2026, 10, 17, 9, 0)
    CallAttempt.create(campaign=evening, number="13800000006")
    assert clock.local(dialer._next_due()) == datetime.datetime(2026, 10, 16, 18, 30)  # Friday evening


def test_the_dialer_names_its_claims_with_the_configured_box():
    """Several boxes on one database: claimed_by is box.name, not the host name (two boxes
    built from one image share a host name)."""
    from agi.dialer_daemon import make_dialer
    dialer = make_dialer(Config({"box.name": "fuzhou-2"}), NoCalls(), name="7")
    assert (dialer.box, dialer.name) == ("fuzhou-2", "fuzhou-2:7")
