"""Three boxes' services daemons (real processes, box.name box-a/b/c) on one real PostgreSQL
database: the daily notice run and the scheduled sends happen once across the boxes, and
when the notice run's leader is killed with -9 in the middle of its run another box takes
it over and finishes it without repeating anything; the box firing the schedules is killed
next, and the last box fires them."""
import datetime
import os
import signal
import subprocess
import sys

import psycopg2
import pytest
from peer_support import wait_for

from appliance import clock, demo_data
from appliance import db as dbmod
from appliance.cluster.leadership import holders
from appliance.config import load_config
from appliance.services import notices, schedules
from appliance.services.models import Campaign, NoticeRun
from appliance.sms.models import Message

BOXES = ("box-a", "box-b", "box-c")
LEASE_SECONDS = 2


def box_config(tmp_path, url, box):
    path = tmp_path / f"{box}.toml"
    path.write_text(f'data_dir = "{tmp_path / box}"\n[database]\nurl = "{url}"\n'
                    f'[box]\nname = "{box}"\nlease_seconds = {LEASE_SECONDS}\n'
                    f'[services]\ninbound_poll = 0.2\n[notices]\nrun_at = "00:00"\n')
    return path


def a_schedule(config, name, run_at):
    return schedules.create(config, name, text=f"{name}：请按时缴费", category="service",
                            numbers=["+8613800138001", "+8613800138002"], run_at=run_at)


@pytest.fixture
def book(postgres_server, tmp_path, run_cli):
    """A migrated PostgreSQL database with a demo book; (url, config of box-a)."""
    url = postgres_server()
    path = box_config(tmp_path, url, BOXES[0])
    out = run_cli("init", config_path=path)
    assert out.returncode == 0, out.stderr
    config = load_config(str(path))
    db = dbmod.open_database(config)
    demo_data.seed(customers=300, staff=10, now=clock.now())
    yield url, config
    db.close()


def start_boxes(tmp_path, url):
    procs = {}
    for box in BOXES:
        with open(tmp_path / f"{box}.log", "w") as log:  # the child keeps its own copy
            procs[box] = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config",
                                           str(box_config(tmp_path, url, box)), "run", "services"],
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return procs


def holder_of(name, held=True):
    """The box holding singleton `name` (held=False: the last one that took it, expired or not)."""
    return next((lease["box"] for lease in holders() if lease["name"] == name and (lease["held"] or not held)),
                None)


def fired(names):
    """Campaigns queued per schedule name (a firing's campaign is named after its schedule)."""
    return {name: Campaign.select().where(Campaign.name.startswith(f"{name} ")).count() for name in names}


@pytest.mark.slow
def test_three_boxes_run_notices_and_schedules_once_and_take_over_from_a_killed_leader(book, tmp_path):
    url, config = book
    now = clock.now()
    planned = {n["key"] for n in notices.run(config, now, dry_run=True)["notices"]}
    assert len(planned) > 50
    early = [a_schedule(config, f"早批{i}", now - datetime.timedelta(minutes=1)).name for i in range(3)]

    # Hold the notice run's last step (its NoticeRun row) until the leader is killed: the
    # leader has queued the day's notices and is killed before it marks the run done.
    blocker = psycopg2.connect(url)
    blocker.cursor().execute("LOCK TABLE notice_run IN SHARE MODE")
    procs = start_boxes(tmp_path, url)
    try:
        wait_for(lambda: Message.select().where(Message.source == "notice").count() == len(planned),
                 60, "the day's notices queued by the leader")
        leader = holder_of("notices", held=False)  # its lease may have run out while it waits
        assert leader in BOXES and NoticeRun.select().count() == 0
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(10)
        late = [a_schedule(config, f"晚批{i}", clock.now()).name for i in range(3)]  # due after the kill
        blocker.commit()  # the killed leader's transaction ends with its connection

        wait_for(lambda: NoticeRun.select().count() == 1 and holder_of("notices") not in (None, leader),
                 30, "another box finishing the notice run")
        wait_for(lambda: set(fired(early + late).values()) == {1}, 30, "every schedule fired")
        token = {lease["name"]: lease["token"] for lease in holders()}["notices"]
        assert token >= 2  # taken over: a new fencing token

        # Kill the box firing the schedules now: the last box takes them over.
        second = holder_of("schedules", held=False)
        assert second != leader
        procs[second].send_signal(signal.SIGKILL)
        procs[second].wait(10)
        last = [a_schedule(config, f"末批{i}", clock.now()).name for i in range(3)]
        wait_for(lambda: set(fired(last).values()) == {1}, 30, "the last box firing the schedules")
        assert holder_of("schedules") not in (leader, second)
        # The living boxes keep passing (their leases are renewed) and repeat nothing.
        renewed = clock.now() + datetime.timedelta(seconds=LEASE_SECONDS)
        wait_for(lambda: all(lease["expires_at"] > renewed for lease in holders() if lease["held"]),
                 30, "the leases renewed by later passes")
    finally:
        blocker.close()
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            proc.wait(30)

    notice_keys = [k for (k,) in Message.select(Message.dedupe_key).where(Message.source == "notice").tuples()]
    assert sorted(notice_keys) == sorted(planned)  # each notice once, none lost
    assert NoticeRun.select().count() == 1
    every = early + late + last
    assert fired(every) == {name: 1 for name in every}  # each schedule once
    assert Message.select().where(Message.source == "schedule").count() == 2 * len(every)
    assert {box for box, proc in procs.items() if proc.returncode == -signal.SIGKILL} == {leader, second}
    survivor = next(box for box in BOXES if box not in (leader, second))
    assert procs[survivor].returncode == 0
    assert not [lease for lease in holders() if lease["box"] == survivor]  # stopped cleanly: let go at once
