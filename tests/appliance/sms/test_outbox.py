"""The outbox API the services use, and the dispatcher's state changes, on SQLite
and (when its server binaries are installed) PostgreSQL."""
import datetime

import pytest

from appliance import db as dbmod
from appliance.sms import inbox, outbox
from appliance.config import Config
from appliance.errors import InputError
from appliance.sms.models import InboundMessage, Message, MessagePart
from appliance.models import Customer, Staff


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    url = request.getfixturevalue("postgres_url")
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": url}))
    dbmod.migrate(db)
    yield db
    for table in ("message_part", "message", "inbound_part", "inbound_message", "modem_status"):
        db.execute_sql(f"DELETE FROM {table}")
    db.close()


def test_queue_message_validates_and_dedupes(any_database):
    message = outbox.queue_message("138 0013 8000", "续保提醒", dedupe_key="renewal:1", priority=3,
                                   source="notice", department="个险")
    assert (message.to_number, message.encoding, message.part_count, message.state) == \
        ("+8613800138000", "ucs2", 1, "queued")
    again = outbox.queue_message("13800138000", "another text", dedupe_key="renewal:1")
    assert again.id == message.id and Message.select().count() == 1
    with pytest.raises(InputError, match="to_number"):
        outbox.queue_message("12345", "x")
    with pytest.raises(InputError, match="text"):
        outbox.queue_message("13800138000", "  ")
    with pytest.raises(InputError, match="priority"):
        outbox.queue_message("13800138000", "x", priority=0)
    assert [p.seq for p in MessagePart.select()] == [1]


def test_queue_many_in_order_with_dedupe_and_bad_rows(any_database):
    rows = [{"to_number": "13800138000", "text": "a" * 200, "dedupe_key": "k1"},
            {"to_number": "+8613012345678", "text": "短信", "campaign_id": 7},
            {"to_number": "13800138000", "text": "dup", "dedupe_key": "k1"}]
    ids = outbox.queue_many(rows)
    assert ids[0] == ids[2] and ids[0] != ids[1]
    first = Message.get_by_id(ids[0])
    assert first.part_count == 2 and first.encoding == "gsm7"
    assert [p.concat_ref for p in first.parts] == [ids[0] % 256] * 2
    assert Message.get_by_id(ids[1]).campaign_id == 7
    again = outbox.queue_many([{"to_number": "13800138000", "text": "x", "dedupe_key": "k1"}])
    assert again == [ids[0]]
    with pytest.raises(InputError, match="row 2: to_number"):
        outbox.queue_many([{"to_number": "13800138000", "text": "ok"}, {"to_number": "1", "text": "bad"}])
    assert Message.select().count() == 2   # nothing of the failed batch
    skipped = outbox.queue_many([{"to_number": "1", "text": "bad"}, {"to_number": "13800138000", "text": "ok"}],
                                skip_invalid=True)
    assert skipped[0] is None and skipped[1] is not None


def test_dispatch_lifecycle(any_database):
    now = datetime.datetime(2026, 11, 22, 10, 0, 0)
    long_id = outbox.queue_message("13800138000", "长" * 100, priority=5).id
    urgent_id = outbox.queue_message("13800138001", "急", priority=1).id
    later_id = outbox.queue_message("13800138002", "later", not_before=now + datetime.timedelta(hours=1)).id
    ended_id = outbox.queue_message("13800138003", "ended", not_after=now - datetime.timedelta(minutes=1)).id
    ready = outbox.ready_parts(10, now)
    assert [(p.message_id, p.seq) for p in ready] == [(urgent_id, 1), (long_id, 1)]
    with dbmod.write_transaction():
        claimed = outbox.claim_parts([(p, "gsm0", "460001", "PDU", "China Mobile") for p in ready], now)
    assert claimed == {p.part_id for p in ready}
    assert Message.get_by_id(long_id).state == "sending"
    with dbmod.write_transaction():
        assert outbox.claim_parts([(ready[0], "gsm1", "", "", "")], now) == set()  # not queued any more
        outbox.record_results([outbox.Result(ready[0].part_id, "sent", reference=17),
                               outbox.Result(ready[1].part_id, "sent", reference=18)], now)
    assert Message.get_by_id(urgent_id).state == "sent"
    assert Message.get_by_id(long_id).state == "queued"       # part 2 still to go
    nxt = outbox.next_part_of(long_id, now)
    assert nxt.seq == 2
    with dbmod.write_transaction():
        outbox.claim_parts([(nxt, "gsm0", "460001", "PDU", "")], now)
    assert outbox.recover_interrupted(now) == 1                 # a crash here: part 2 unknown
    assert Message.get_by_id(long_id).state == "unknown"
    with dbmod.write_transaction():
        matched = outbox.record_status_reports([("gsm0", 17, "+8613800138001", True, 0, "delivered"),
                                                ("gsm0", 18, "+8613800138000", False, 0x41, "incompatible"),
                                                ("gsm0", 99, "+8613800138000", True, 0, "delivered")], now)
    # The third report matches no sent part: it is the interrupted part 2's, the
    # only part on gsm0 to that number that is unknown and has no reference.
    assert matched == [ready[0].part_id, ready[1].part_id, nxt.part_id]
    assert (MessagePart.get_by_id(nxt.part_id).state, MessagePart.get_by_id(nxt.part_id).reference) == \
        ("delivered", 99)
    assert Message.get_by_id(urgent_id).state == "delivered"
    assert Message.get_by_id(long_id).state == "failed"
    assert Message.get_by_id(long_id).failure_reason == "incompatible"
    assert outbox.expire_due(now) == 1
    assert Message.get_by_id(ended_id).state == "expired"
    assert Message.get_by_id(later_id).state == "queued"
    assert outbox.sent_counts(now - datetime.timedelta(days=1)) == {"460001": 2}


def test_a_late_report_never_guesses_between_interrupted_parts(any_database):
    now = datetime.datetime(2026, 11, 22, 10, 0, 0)
    for text in ("第一条", "第二条"):
        outbox.queue_message("13800138000", text)
    outbox.queue_message("13800138009", "别人的")
    with dbmod.write_transaction():
        outbox.claim_parts([(p, "gsm0", "", "", "") for p in outbox.ready_parts(10, now)], now)
    assert outbox.recover_interrupted(now) == 3
    with dbmod.write_transaction():
        matched = outbox.record_status_reports([("gsm0", 5, "+8613800138000", True, 0, "delivered"),
                                                ("gsm1", 6, "+8613800138009", True, 0, "delivered"),
                                                ("gsm0", 7, "+8613800138009", True, 0, "delivered")],
                                               now + datetime.timedelta(days=4))
    # Two candidates for the first: left alone. Wrong modem for the second. The
    # third is four days late, past REPORT_WINDOW.
    assert matched == [None, None, None]
    assert {p.state for p in MessagePart.select()} == {"unknown"}
    with dbmod.write_transaction():
        assert outbox.record_status_report("gsm0", 7, "+8613800138009", True, 0, "delivered", now) is not None


def test_retry_and_permanent_failure(any_database):
    now = datetime.datetime(2026, 11, 22, 10, 0, 0)
    message_id = outbox.queue_message("13800138000", "a" * 300).id
    part = outbox.ready_parts(1, now)[0]
    with dbmod.write_transaction():
        outbox.claim_parts([(part, "gsm0", "", "", "")], now)
        outbox.record_results([outbox.Result(part.part_id, "retry", error="network congestion",
                                             retry_at=now + datetime.timedelta(seconds=30))], now)
    assert Message.get_by_id(message_id).state == "queued"
    assert outbox.ready_parts(1, now) == []                     # backing off
    part = outbox.ready_parts(1, now + datetime.timedelta(seconds=31))[0]
    assert part.attempts == 1
    with dbmod.write_transaction():
        outbox.claim_parts([(part, "gsm1", "", "", "")], now)
        outbox.record_results([outbox.Result(part.part_id, "failed", error="invalid destination address")], now)
    message = Message.get_by_id(message_id)
    assert message.state == "failed" and message.failure_reason == "invalid destination address"
    assert [p.state for p in message.parts.order_by(MessagePart.seq)] == ["failed", "failed"]
    assert outbox.cancel(message_id) is False


def test_inbox_matches_sender_and_reassembles(any_database):
    customer = Customer.create(name="李雷", mobile="13912345678")
    staff = Staff.create(badge_no="35010099", name="韩梅梅", mobile="13812345678")
    first = inbox.store_inbound("8613912345678", "你好", datetime.datetime(2026, 11, 22, 9, 0), "gsm0")
    assert first.from_number == "+8613912345678" and first.customer_id == customer.id
    again = inbox.store_inbound("+8613912345678", "你好", datetime.datetime(2026, 11, 22, 9, 0), "gsm0")
    assert again.id == first.id                                  # a re-read of the SIM, not a new message
    assert inbox.store_inbound("13812345678", "B", None, "gsm1", concat=(4, 2, 2)) is None
    joined = inbox.store_inbound("13812345678", "A", None, "gsm1", concat=(4, 2, 1))
    assert joined.text == "AB" and joined.staff_id == staff.id and joined.part_count == 2
    assert inbox.store_inbound("13812345678", "X", None, "gsm1", concat=(5, 3, 1)) is None
    kept = inbox.flush_incomplete(60, datetime.datetime.now() + datetime.timedelta(minutes=2))
    assert [(m.text, m.complete) for m in kept] == [("X" + inbox.MISSING * 2, False)]
    assert InboundMessage.select().count() == 3
