"""A singleton's lease (appliance/cluster/leadership.py) on SQLite and on a real PostgreSQL
server: taken, renewed, expired, taken over, and fenced."""
import datetime

import pytest

from appliance import clock
from appliance import db as dbmod
from appliance.cluster.leadership import Leadership, LeaseLost, Singleton, holders
from appliance.cluster.models import Lease
from appliance.config import Config
from appliance.services.models import NoticeRun

T0 = datetime.datetime(2026, 11, 30, 9, 0, 0)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    url = request.getfixturevalue("postgres_url")
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": url}))
    dbmod.migrate(db)
    Lease.delete().execute()
    NoticeRun.delete().execute()
    yield db
    db.close()


def test_take_renew_expire_take_over_and_fence(any_database):
    a, b = Singleton("notices", "box-a:11", 30), Singleton("notices", "box-b:22", 30)
    assert a.hold(at(0)) and a.token == 1
    assert not b.hold(at(5)) and b.token is None          # held: the other box waits
    assert a.hold(at(20))                                  # renewed: now until 50 s
    assert not b.hold(at(45)) and a.token == 1             # a renewal moved the expiry
    assert b.hold(at(51)) and b.token == 2                 # a's box died: b takes over, a new token
    assert [(h["box"], h["token"], h["held"]) for h in holders(at(52))] == [("box-b", 2, True)]

    # a comes back from a stall: its writes under the old token do not commit
    with pytest.raises(LeaseLost), a.fenced(at(53)):
        NoticeRun.create(run_date=T0.date(), started_at=at(53))
    assert NoticeRun.select().count() == 0 and a.token is None
    assert not a.hold(at(54))                              # and it cannot take it back while b holds it
    with b.fenced(at(55)):
        NoticeRun.create(run_date=T0.date(), started_at=at(55))
    assert NoticeRun.select().count() == 1


def test_a_fenced_write_renews_and_a_release_frees_at_once(any_database):
    a, b = Singleton("schedules", "box-a:11", 30), Singleton("schedules", "box-b:22", 30)
    assert a.hold(at(0))
    with a.fenced(at(25)):                                 # the work in hand renews the lease
        pass
    assert not b.hold(at(40))
    a.release(at(41))
    assert b.hold(at(42)) and b.token == 2
    assert holders(at(43))[0]["holder"] == "box-b:22"


def test_one_process_takes_each_singleton_separately(any_database):
    one = Leadership(Config({"box.name": "box-a", "box.lease_seconds": 10}), pid=7)
    other = Leadership(Config({"box.name": "box-b", "box.lease_seconds": 10}), pid=8)
    assert one.hold("notices", at(0)) and other.hold("schedules", at(0))
    assert not other.hold("notices", at(1)) and not one.hold("schedules", at(1))
    assert {h["name"]: h["holder"] for h in holders(at(2))} == {"notices": "box-a:7", "schedules": "box-b:8"}
    one.release_all()
    assert other.hold("notices")


def test_the_token_fences_an_earlier_term_of_the_same_holder(any_database):
    first_term, b = Singleton("handoffs", "box-a:11", 30), Singleton("handoffs", "box-b:22", 30)
    assert first_term.hold(at(0)) and b.hold(at(31))
    second_term = Singleton("handoffs", "box-a:11", 30)   # box-a's work started again later
    assert second_term.hold(at(62)) and second_term.token == 3
    with pytest.raises(LeaseLost), first_term.fenced(at(63)):  # the same holder, an old term's token
        pass
    with second_term.fenced(at(64)):
        pass


def test_doctor_says_which_box_holds_which_singleton(database, config):
    from appliance.cluster.leadership import doctor_check
    assert doctor_check(config)[0][:2] == ("ok", "singletons")
    Singleton("notices", "box-a:7", 30).hold()
    Singleton("schedules", "box-b:8", 30).hold(clock.now() - datetime.timedelta(minutes=1))
    status, _, detail = doctor_check(config)[0]
    assert status == "warn" and detail.startswith("notices → box-a (token 1); schedules → nobody (expired ")


def test_asked_in_the_first_half_of_its_term_the_lease_is_not_written(any_database):
    a = Singleton("escalation", "box-a:11", 30)
    assert a.hold(at(0)) and a.hold(at(14))               # every pass asks; no write yet
    assert Lease.get_by_id("escalation").expires_at == at(30)
    assert a.hold(at(16))                                  # past half its term: renewed
    assert Lease.get_by_id("escalation").expires_at == at(46)
