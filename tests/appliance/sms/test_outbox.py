"""The outbox API the services use, and the inbox, on SQLite and (when its server
binaries are installed) PostgreSQL. The dispatcher's side is in test_delivery.py."""
import datetime

import pytest

from appliance import db as dbmod
from appliance.errors import InputError
from appliance.models import Customer, Staff
from appliance.sms import inbox, outbox
from appliance.sms.models import InboundMessage, Message, MessagePart


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


def _columns(message):
    row = {k: v for k, v in message.__data__.items() if k not in ("id", "created_at", "updated_at")}
    parts = [{k: v for k, v in p.__data__.items() if k not in ("id", "message")} for p in message.parts]
    for part in parts:  # the UDH reference is the message id's: compare it as that
        part["concat_ref"] = None if part["concat_ref"] is None else part["concat_ref"] - message.id % 256
    return row, parts


def test_queue_planned_writes_what_queue_many_writes_once_per_key(any_database, config):
    """The notice run's bulk path: the same Message and MessagePart values as queue_many,
    routed by the config, each dedupe key once (one already queued, one repeated in the
    batch), a row with a bad number skipped; inside the caller's write transaction."""
    config = config.replace(smpp__enabled=True, sms__route_marketing="cheapest", smpp__tariff=0.04,
                            billing__china_mobile=0.05, billing__china_telecom=0.03)
    stamp = datetime.datetime(2026, 12, 1, 9, 0)
    rows = [{"to_number": "+8613800000001", "text": "尊敬的客户" * 20, "category": "marketing", "priority": 7,
             "not_before": stamp, "not_after": stamp + datetime.timedelta(hours=12), "source": "notice",
             "created_by": "notices", "dedupe_key": "holiday:元旦:2027:1"},
            {"to_number": "+8613300000001", "text": "Happy New Year", "category": "marketing", "priority": 7,
             "source": "notice", "dedupe_key": "holiday:元旦:2027:2"},
            {"to_number": "+8613900000009", "text": "续保提醒", "category": "service", "priority": 4,
             "dedupe_key": "renewal_due:P1"}]
    expected = [_columns(Message.get_by_id(i)) for i in outbox.queue_many(rows, config=config)]
    assert [e[0]["bearer"] for e in expected] == ["smpp", "modem", "modem"]
    Message.delete().execute()  # parts go with them (ON DELETE CASCADE) … or explicitly:
    MessagePart.delete().execute()
    outbox.queue_message("+8613900000009", "already queued", dedupe_key="renewal_due:P1")
    with dbmod.write_transaction():
        inserted = outbox.queue_planned(rows[:2] + [rows[0], rows[2], dict(rows[1], to_number="12345",
                                                                           dedupe_key="bad")], config=config)
    assert inserted == 2
    got = [_columns(Message.get(Message.dedupe_key == r["dedupe_key"])) for r in rows[:2]]
    assert got == expected[:2]
    assert Message.get(Message.dedupe_key == "renewal_due:P1").text == "already queued"
    assert Message.select().count() == 3 and MessagePart.select().count() == 2 + 1 + 1
