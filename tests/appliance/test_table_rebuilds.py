"""Migrations that change CHECK constraints (0014 voice, 0015 tickets: a table rebuild on SQLite)
keep every row, on SQLite and PostgreSQL."""
import peewee
import pytest
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models
from schema_support import every_model

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_server")()  # a database of this test alone
    config = Config({"data_dir": str(tmp_path / "data"), **({"database.url": url} if url else {})})
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    yield db
    db.close()


def test_voice_rows_survive_the_rebuild_and_new_kinds_are_accepted(empty_db):
    runner = Runner(empty_db, str(dbmod.MIGRATIONS_DIR))
    runner.up("0013_voice")
    empty_db.execute_sql("INSERT INTO voice_campaign (name, kind, text, line_group, state, created_by, created_at)"
                         " VALUES ('old', 'notice', 'hello', 'default', 'done', 'admin', '2026-11-30 01:00:00')")
    campaign_id = empty_db.execute_sql("SELECT id FROM voice_campaign").fetchone()[0]
    for number, result in (("13800000001", "confirmed"), ("13800000002", "busy")):
        empty_db.execute_sql(
            "INSERT INTO call_attempt (campaign_id, number, try_no, state, result, line_group, channel_id,"
            " claimed_by, dial_status, early_media, keys, detail, queued_at)"
            f" VALUES ({campaign_id}, '{number}', 1, 'done', '{result}', 'default', 'vc1', 'box', 'ANSWER',"
            " false, '1', '', '2026-11-30 01:00:00')")
    runner.up()

    rows = empty_db.execute_sql("SELECT number, result, not_before FROM call_attempt ORDER BY number").fetchall()
    assert [tuple(r) for r in rows] == [("13800000001", "confirmed", None), ("13800000002", "busy", None)]
    assert empty_db.execute_sql("SELECT name, max_tries, retry_minutes FROM voice_campaign").fetchone() == \
        ("old", 3, 30)
    assert not diff_models(empty_db, every_model())
    with empty_db.atomic():
        empty_db.execute_sql("UPDATE voice_campaign SET kind = 'screening'")
        empty_db.execute_sql("UPDATE call_attempt SET result = 'machine'")
    with pytest.raises(peewee.IntegrityError):
        with empty_db.atomic():
            empty_db.execute_sql("UPDATE voice_campaign SET kind = 'fax'")
    # the foreign keys still hold: deleting the campaign cascades to its attempts
    if isinstance(empty_db, peewee.SqliteDatabase):
        assert empty_db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    empty_db.execute_sql("DELETE FROM voice_campaign")
    assert empty_db.execute_sql("SELECT count(*) FROM call_attempt").fetchone()[0] == 0


def test_open_tickets_become_new_and_keep_their_rows(empty_db):
    runner = Runner(empty_db, str(dbmod.MIGRATIONS_DIR))
    runner.up("0014_voice_campaign_kinds")
    for number, status in (("2611300001", "open"), ("2611300002", "closed")):
        empty_db.execute_sql("INSERT INTO ticket (number, kind, source, status, caller, text, recording,"
                             " created_at, updated_at, handled_by, resolution)"
                             f" VALUES ('{number}', 'complaint', 'ivr', '{status}', '+8613800000001', '太慢',"
                             " '', '2026-11-30 01:00:00', '2026-11-30 01:00:00', '', '')")
    runner.up()

    rows = empty_db.execute_sql("SELECT number, status, escalations, assignee FROM ticket ORDER BY number")
    assert [tuple(r) for r in rows.fetchall()] == [("2611300001", "new", 0, ""), ("2611300002", "closed", 0, "")]
    assert not diff_models(empty_db, every_model())
    with pytest.raises(peewee.IntegrityError):
        with empty_db.atomic():
            empty_db.execute_sql("UPDATE ticket SET status = 'open'")
    with empty_db.atomic():
        empty_db.execute_sql("UPDATE ticket SET status = 'returned', source = 'remote', kind = 'return-visit'")
