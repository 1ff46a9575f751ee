"""The services daemon and a database another daemon holds the write lock of: its
pass waits and does its work (no traceback); a lock held through every retry is a
warning, and the next pass does the work."""
import datetime
import logging
import sqlite3

import pytest

from appliance import db as dbmod
from appliance.config import Config
from appliance.services import daemon as service_loop, schedules
from appliance.sms.models import Message

NOW = datetime.datetime(2026, 12, 1, 8, 0)


@pytest.fixture
def config(tmp_path):
    # A short busy timeout: the lock below outlasts it, as another daemon's long write would.
    return Config({"data_dir": str(tmp_path / "data"), "database.busy_timeout_ms": 100})


def hold_write_lock(config):
    other = sqlite3.connect(config.database_url[len("sqlite:///"):], isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    return other


def due_schedule(book, config):
    holder = book.customer(mobile="+8613800000017")
    schedules.create(config, "s", text="明天柜面照常营业。", numbers=[holder.mobile],
                     run_at=NOW + datetime.timedelta(minutes=30), now=NOW)


def no_tracebacks(caplog):
    return not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_pass_waits_out_another_daemons_write_lock(book, config, monkeypatch, caplog):
    due_schedule(book, config)
    other = hold_write_lock(config)
    paused = []

    def pause(seconds):  # the first retry's wait: the other daemon commits now
        if not paused:
            other.execute("COMMIT")
        paused.append(seconds)
    monkeypatch.setattr(dbmod, "pause", pause, raising=False)
    with caplog.at_level(logging.WARNING):
        done = service_loop.tick(config, NOW + datetime.timedelta(minutes=31))
    assert paused and done["schedules"] == 1 and Message.select().count() == 1
    assert no_tracebacks(caplog)


def test_a_lock_held_through_every_retry_is_a_warning_and_the_next_pass_does_it(book, config, monkeypatch,
                                                                                caplog):
    due_schedule(book, config)
    monkeypatch.setattr(dbmod, "pause", lambda seconds: None, raising=False)
    other = hold_write_lock(config)
    try:
        with caplog.at_level(logging.WARNING):
            done = service_loop.tick(config, NOW + datetime.timedelta(minutes=31))
    finally:
        other.execute("ROLLBACK")
    assert done["schedules"] == 0 and Message.select().count() == 0  # none fired: the next pass will
    assert no_tracebacks(caplog)
    assert any("busy" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert service_loop.tick(config, NOW + datetime.timedelta(minutes=32))["schedules"] == 1
