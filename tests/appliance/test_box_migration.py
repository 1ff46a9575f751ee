"""Migration 0021 (boxes on one database) on SQLite and PostgreSQL: parts keep their rows
with no box (any box recovers those), the modem health cache starts again per (box, port)."""
import peewee
import pytest
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models
from schema_support import every_model

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    url = request.getfixturevalue("postgres_server")() if request.param == "postgres" else None
    config = Config({"data_dir": str(tmp_path / "data"), **({"database.url": url} if url else {})})
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    yield db
    db.close()


def test_parts_keep_their_rows_and_modems_are_per_box(empty_db):
    runner = Runner(empty_db, str(dbmod.MIGRATIONS_DIR))
    runner.up("0020_ivr_announce_transfer")
    empty_db.execute_sql("INSERT INTO message (to_number, text, encoding, part_count, state, category, priority,"
                         " delivery_report, created_at, updated_at, failure_reason, source, created_by, department)"
                         " VALUES ('+8613800138000', '续保', 'ucs2', 1, 'sending', 'service', 5, true,"
                         " '2026-11-30 01:00:00', '2026-11-30 01:00:00', '', '', '', '')")
    empty_db.execute_sql("INSERT INTO message_part (message_id, seq, state, pdu, modem, imsi, attempts, error, cost,"
                         " carrier) SELECT id, 1, 'sending', 'PDU', 'gsm0', '460001', 1, '', 0, '' FROM message")
    empty_db.execute_sql("INSERT INTO modem_status (port, device, state, imei, imsi, iccid, sim_state, registration,"
                         " operator, carrier, sent_today, sent_month, received, errors, busy, alarm, updated_at)"
                         " VALUES ('gsm0', '/dev/gsm0', 'ok', '', '', '', '', '', '', '', 0, 0, 0, 0, false, '',"
                         " '2026-11-30 01:00:00')")
    runner.up()

    rows = empty_db.execute_sql("SELECT state, modem, claimed_by FROM message_part").fetchall()
    assert [tuple(r) for r in rows] == [("sending", "gsm0", "")]
    assert empty_db.execute_sql("SELECT count(*) FROM modem_status").fetchone()[0] == 0
    assert not diff_models(empty_db, every_model())
    insert = ("INSERT INTO modem_status (box, port, device, state, imei, imsi, iccid, sim_state, registration,"
              " operator, carrier, sent_today, sent_month, received, errors, busy, alarm, updated_at)"
              " VALUES ('{}', 'gsm0', '', 'ok', '', '', '', '', '', '', '', 0, 0, 0, 0, false, '', '2026-11-30')")
    with empty_db.atomic():
        empty_db.execute_sql(insert.format("a"))
        empty_db.execute_sql(insert.format("b"))  # every box has a gsm0
    with pytest.raises(peewee.IntegrityError):
        with empty_db.atomic():
            empty_db.execute_sql(insert.format("a"))
