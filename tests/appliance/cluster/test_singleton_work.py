"""The singletons' work under a lease: a box whose lease was taken over commits nothing more
of its notice run, and a schedule fired by another box meanwhile is not fired again (the
UPDATE's row count decides, on a real PostgreSQL server where nothing serializes the two)."""
import datetime
import threading

import psycopg2
import pytest
from peer_support import wait_for

from appliance import clock, demo_data
from appliance import db as dbmod
from appliance.cluster.leadership import LeaseLost, Singleton
from appliance.config import Config
from appliance.services import notices, schedules
from appliance.services.models import Campaign, NoticeRun, Schedule
from appliance.sms.models import Message


def test_a_notice_run_whose_lease_was_taken_over_commits_nothing(database, config):
    demo_data.seed(customers=60, staff=10, now=clock.now())
    stale, taker = Singleton("notices", "box-a:1", 30), Singleton("notices", "box-b:2", 30)
    assert stale.hold(clock.now() - datetime.timedelta(minutes=5))  # then box-a stalled
    assert taker.hold()
    with pytest.raises(LeaseLost):
        notices.run(config, fence=stale.check)
    assert Message.select().count() == 0 and NoticeRun.select().count() == 0
    done = notices.run(config, fence=taker.check)
    assert done["queued"] > 0 and Message.select().count() == done["queued"]
    assert NoticeRun.select().count() == 1


@pytest.fixture
def pg(postgres_url, tmp_path):
    config = Config({"data_dir": str(tmp_path), "database.url": postgres_url})
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    yield config
    db.close()


def test_a_schedule_another_box_fired_meanwhile_is_not_fired_again(pg):
    now = clock.now()
    schedule = schedules.create(pg, "周末提醒", text="周末柜面照常营业。", category="service",
                                numbers=["+8613800138001"], run_at=now - datetime.timedelta(minutes=1), now=now)
    other_box = psycopg2.connect(pg.database_url)  # fires it and has not committed yet
    other_box.cursor().execute("UPDATE schedule SET last_run_at = %s, next_run_at = NULL, enabled = false "
                               "WHERE id = %s", (now, schedule.id))
    result = {}
    firing = threading.Thread(target=lambda: result.setdefault("fired", schedules.run_due(pg, now)))
    firing.start()
    watch = psycopg2.connect(pg.database_url)
    watch.autocommit = True

    def waiting_on_the_row():
        with watch.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            return cur.fetchone()[0]
    wait_for(waiting_on_the_row, 20, "our firing waiting for the other box's row lock")
    other_box.commit()
    firing.join(20)
    other_box.close()
    watch.close()
    assert result["fired"] == []
    assert Campaign.select().count() == 0 and Message.select().count() == 0  # rolled back whole
    assert Schedule.get_by_id(schedule.id).last_run_at == now


def test_only_the_box_holding_the_monitor_lease_starts_a_round(database, tmp_path):
    from agi.dialer_daemon import MONITOR_LEASE, DialerDaemon
    from appliance.voice.models import VoiceCampaign

    def box(name):
        return DialerDaemon(Config({"data_dir": str(tmp_path / "data"), "box.name": name,
                                    "voice.monitor_numbers": ["客服热线=95500"]}))
    a, b = box("box-a"), box("box-b")
    assert a.leadership.hold(MONITOR_LEASE)  # box-a came first (its round is not due yet either)
    b._monitor_step()
    assert VoiceCampaign.select().count() == 0  # due, but box-a holds the lease
    a._monitor_step()
    assert [c.kind for c in VoiceCampaign.select()] == ["monitor"]
    a.leadership.release_all()
    b._monitor_step()
    assert VoiceCampaign.select().count() == 1  # taken over: not due again within the interval
