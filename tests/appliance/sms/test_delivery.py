"""The dispatcher's side of the outbox (claiming, results, delivery reports,
expiry, recovery after a crash) on SQLite and (when its server binaries are
installed) PostgreSQL."""
import datetime

from appliance import db as dbmod
from appliance.sms import delivery, outbox
from appliance.sms.models import Message, MessagePart


def test_dispatch_lifecycle(any_database):
    now = datetime.datetime(2026, 11, 22, 10, 0, 0)
    long_id = outbox.queue_message("13800138000", "长" * 100, priority=5).id
    urgent_id = outbox.queue_message("13800138001", "急", priority=1).id
    later_id = outbox.queue_message("13800138002", "later", not_before=now + datetime.timedelta(hours=1)).id
    ended_id = outbox.queue_message("13800138003", "ended", not_after=now - datetime.timedelta(minutes=1)).id
    ready = delivery.ready_parts(10, now)
    assert [(p.message_id, p.seq) for p in ready] == [(urgent_id, 1), (long_id, 1)]
    with dbmod.write_transaction():
        claimed = delivery.claim_parts([(p.part_id, "gsm0", "460001", "PDU", "China Mobile") for p in ready], now)
    assert claimed == {p.part_id for p in ready}
    assert Message.get_by_id(long_id).state == "sending"
    with dbmod.write_transaction():
        assert delivery.claim_parts([(ready[0].part_id, "gsm1", "", "", "")], now) == set()  # not queued any more
        delivery.record_results([delivery.Result(ready[0].part_id, "sent", reference=17),
                                 delivery.Result(ready[1].part_id, "sent", reference=18)], now)
    assert Message.get_by_id(urgent_id).state == "sent"
    assert Message.get_by_id(long_id).state == "queued"       # part 2 still to go
    nxt = delivery.next_part_of(long_id, now)
    assert nxt.seq == 2
    with dbmod.write_transaction():
        delivery.claim_parts([(nxt.part_id, "gsm0", "460001", "PDU", "")], now)
    assert delivery.recover_interrupted(now) == 1                 # a crash here: part 2 unknown
    assert Message.get_by_id(long_id).state == "unknown"
    with dbmod.write_transaction():
        matched = delivery.record_status_reports([("gsm0", 17, "+8613800138001", True, 0, "delivered"),
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
    assert delivery.expire_due(now) == 1
    assert Message.get_by_id(ended_id).state == "expired"
    assert Message.get_by_id(later_id).state == "queued"
    assert delivery.sent_counts(now - datetime.timedelta(days=1)) == {"460001": 2}


def test_a_late_report_never_guesses_between_interrupted_parts(any_database):
    now = datetime.datetime(2026, 11, 22, 10, 0, 0)
    for text in ("第一条", "第二条"):
        outbox.queue_message("13800138000", text)
    outbox.queue_message("13800138009", "别人的")
    with dbmod.write_transaction():
        delivery.claim_parts([(p.part_id, "gsm0", "", "", "") for p in delivery.ready_parts(10, now)], now)
    assert delivery.recover_interrupted(now) == 3
    with dbmod.write_transaction():
        matched = delivery.record_status_reports([("gsm0", 5, "+8613800138000", True, 0, "delivered"),
                                                  ("gsm1", 6, "+8613800138009", True, 0, "delivered"),
                                                  ("gsm0", 7, "+8613800138009", True, 0, "delivered")],
                                                 now + datetime.timedelta(days=4))
    # Two candidates for the first: left alone. Wrong modem for the second. The
    # third is four days late, past REPORT_WINDOW.
    assert matched == [None, None, None]
    assert {p.state for p in MessagePart.select()} == {"unknown"}
    with dbmod.write_transaction():
        assert delivery.record_status_reports([("gsm0", 7, "+8613800138009", True, 0, "delivered")], now) != [None]


def test_retry_and_permanent_failure(any_database):
    now = datetime.datetime(2026, 11, 22, 10, 0, 0)
    message_id = outbox.queue_message("13800138000", "a" * 300).id
    part = delivery.ready_parts(1, now)[0]
    with dbmod.write_transaction():
        delivery.claim_parts([(part.part_id, "gsm0", "", "", "")], now)
        delivery.record_results([delivery.Result(part.part_id, "retry", error="network congestion",
                                               retry_at=now + datetime.timedelta(seconds=30))], now)
    assert Message.get_by_id(message_id).state == "queued"
    assert delivery.ready_parts(1, now) == []                     # backing off
    part = delivery.ready_parts(1, now + datetime.timedelta(seconds=31))[0]
    assert part.attempts == 1
    with dbmod.write_transaction():
        delivery.claim_parts([(part.part_id, "gsm1", "", "", "")], now)
        delivery.record_results([delivery.Result(part.part_id, "failed", error="invalid destination address")], now)
    message = Message.get_by_id(message_id)
    assert message.state == "failed" and message.failure_reason == "invalid destination address"
    assert [p.state for p in message.parts.order_by(MessagePart.seq)] == ["failed", "failed"]
    assert outbox.cancel(message_id) is False
