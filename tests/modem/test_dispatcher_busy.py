"""smsd's dispatcher and a database another daemon holds the write lock of: it
waits and goes on (no traceback), and an alarm's audit entry is written even when
the status write that carries it is rolled back and tried again."""
import datetime
import logging
import sqlite3

import peewee
import pytest

from appliance import db as dbmod
from appliance.config import Config
from appliance.models import AuditLog
from appliance.sms import outbox
from appliance.sms.models import MessagePart
from modem.dispatcher import Dispatcher
from modem.twin import TwinModem, TwinPool

T0 = datetime.datetime(2026, 11, 30, 10, 0, 0)


@pytest.fixture
def config(tmp_path):
    # A short busy timeout: the lock below outlasts it, as another daemon's long write would.
    return Config({"data_dir": str(tmp_path / "data"), "database.busy_timeout_ms": 100})


@pytest.fixture
def started(database, config):
    pool = TwinPool([TwinModem("gsm0", imsi="460000000000000"), TwinModem("gsm1", imsi="460000000000001")])
    dispatcher = Dispatcher(config.replace(modems__daily_cap=0, modems__monthly_cap=0, modems__min_interval=0.0),
                            pool)
    dispatcher.start(now=T0)
    return pool, dispatcher


def hold_write_lock(config):
    other = sqlite3.connect(config.database_url[len("sqlite:///"):], isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    return other


def released_at_first_pause(monkeypatch, other):
    """The first retry's wait: the other daemon commits now."""
    seen = []

    def pause(seconds):
        if not seen:
            other.execute("COMMIT")
        seen.append(seconds)
    monkeypatch.setattr(dbmod, "pause", pause, raising=False)
    return seen


def no_tracebacks(caplog):
    return not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_the_dispatcher_waits_out_another_daemons_write_lock(started, config, monkeypatch, caplog):
    pool, dispatcher = started
    message = outbox.queue_message("+8613800138000", "保单提醒")
    other = hold_write_lock(config)
    paused = released_at_first_pause(monkeypatch, other)
    with caplog.at_level(logging.WARNING):
        assert dispatcher.step(0, now=T0 + datetime.timedelta(seconds=1)) == 1
    assert paused  # it met the held lock
    assert MessagePart.get(MessagePart.message == message.id).state == "sending"
    assert len(pool.handed) == 1
    assert no_tracebacks(caplog)


def test_an_alarm_is_audited_when_its_status_write_is_tried_again(started, monkeypatch, caplog):
    pool, dispatcher = started
    pool.take_out("gsm0", alarm="taken out of the pool: no answer")
    real_row, failed = Dispatcher._status_row, []

    def row_then_lose_the_transaction(self, worker, *args):  # e.g. a PostgreSQL serialization failure
        real_row(self, worker, *args)
        if worker.name == "gsm1" and not failed:  # after gsm0's row and alarm, in the same transaction
            failed.append(worker.name)
            raise peewee.OperationalError("database is locked")
    monkeypatch.setattr(Dispatcher, "_status_row", row_then_lose_the_transaction)
    monkeypatch.setattr(dbmod, "pause", lambda seconds: None, raising=False)
    with caplog.at_level(logging.WARNING):
        dispatcher.write_status(force=True, now=T0 + datetime.timedelta(seconds=1))
    assert failed  # the first write was rolled back and tried again
    alarms = AuditLog.select().where(AuditLog.action == "modem.alarm")
    assert [(a.target, a.detail) for a in alarms] == [("gsm0", "taken out of the pool: no answer")]
    dispatcher.write_status(force=True, now=T0 + datetime.timedelta(seconds=2))
    assert alarms.count() == 1  # audited once, not at every status write
    assert no_tracebacks(caplog)
