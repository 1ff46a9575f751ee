"""A database busy with another daemon's write: a page waits and succeeds, or,
after the retries, says so in the page's language; never Bottle's English 500,
never a traceback in the log."""
import logging
import sqlite3
import threading

import pytest
from peer_support import free_port
from web_support import Client, make_user

from appliance import db as dbmod
from appliance.config import Config


@pytest.fixture
def web_config(tmp_path):
    # A short busy timeout: the lock below outlasts it, as a long import's did.
    return Config({"data_dir": str(tmp_path / "data"), "web.listen": f"127.0.0.1:{free_port()}",
                   "web.threads": 4, "database.busy_timeout_ms": 100})


def hold_write_lock(config):
    other = sqlite3.connect(config.database_url[len("sqlite:///"):], isolation_level=None, timeout=5,
                            check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_sign_in_waits_for_another_writer_and_succeeds(server, web_config, monkeypatch, caplog):
    make_user("second", "admin")
    client = Client(server)
    client.page("/signin")
    other = hold_write_lock(web_config)
    released = threading.Event()

    def pause(seconds):  # the first retry's wait: the other writer commits now
        if not released.is_set():
            other.execute("COMMIT")
            released.set()
    monkeypatch.setattr(dbmod, "pause", pause)
    with caplog.at_level(logging.WARNING):
        assert client.sign_in("second").status == 303
    assert released.is_set()  # it did meet the busy database
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_database_busy_through_every_retry_is_a_page_in_chinese(admin_client, web_config, monkeypatch, caplog):
    admin_client.page("/")
    monkeypatch.setattr(dbmod, "pause", lambda seconds: None)
    other = hold_write_lock(web_config)
    try:
        with caplog.at_level(logging.WARNING):
            resp = admin_client.post("/signout")
    finally:
        other.execute("ROLLBACK")
    assert resp.status == 503
    assert "数据库正忙，请稍后再试。" in resp.text and "Internal Server Error" not in resp.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
