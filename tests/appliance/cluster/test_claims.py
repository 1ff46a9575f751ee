"""Claiming and leases among boxes sharing one database (issue 16): two boxes never claim
one part, each box recovers only its own parts at start, and the parts of a box whose
heartbeat stopped become `unknown` at the others, never re-sent."""
import datetime
import threading

from appliance import db as dbmod
from appliance.cluster import boxes
from appliance.sms import delivery, outbox
from appliance.sms.models import MessagePart

NOW = datetime.datetime(2026, 11, 30, 10, 0, 0)


def queue(count):
    return outbox.queue_many([{"to_number": f"1380013{i:04d}", "text": f"通知 {i}"} for i in range(count)])


def claim(box, limit, lock=True):
    """What box `box` claims in one write transaction (the dispatcher's way)."""
    with dbmod.write_transaction():
        ready = delivery.ready_parts(limit, NOW, box=box, lock=lock)
        return delivery.claim_parts([(p.part_id, "gsm0", "", "PDU", "") for p in ready], NOW, box=box)


def states():
    query = MessagePart.select(MessagePart.id, MessagePart.state, MessagePart.claimed_by)
    return {p.id: (p.state, p.claimed_by) for p in query}


def test_a_part_another_box_is_claiming_is_skipped_not_claimed_twice(pg_database):
    queue(4)
    first = delivery.ready_parts(1, NOW, box="b")[0].part_id
    held, other = threading.Event(), {}

    def box_a():  # claims the first part and holds its transaction open
        with dbmod.write_transaction():
            other["a"] = delivery.claim_parts([(first, "gsm0", "", "PDU", "")], NOW, box="a")
            held.set()
            other["b_done"].wait(5)
        pg_database.close()

    other["b_done"] = threading.Event()
    thread = threading.Thread(target=box_a)
    thread.start()
    assert held.wait(5)
    try:
        with dbmod.write_transaction():  # box b, on its own connection, asks for that same part
            other["b"] = delivery.claim_parts([(first, "gsm0", "", "PDU", "")], NOW, box="b")
    finally:
        other["b_done"].set()
        thread.join(10)
    assert other["a"] == {first}
    assert other["b"] == set()  # skipped while a held it; before, b waited, then claimed it too
    assert states()[first] == ("sending", "a")


def test_boxes_claiming_at_once_each_get_parts_of_their_own(pg_database):
    queue(60)
    got, start = {}, threading.Barrier(3)

    def box(name):
        start.wait(5)
        mine = set()
        for _ in range(20):
            mine |= claim(name, 3)
        got[name] = mine
        pg_database.close()

    threads = [threading.Thread(target=box, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed = [part for mine in got.values() for part in mine]
    assert len(claimed) == len(set(claimed)) == 60  # every part once, none twice
    assert {pid: ("sending", name) for name, mine in got.items() for pid in mine} == states()


def test_at_start_a_box_recovers_only_its_own_parts(any_database):
    queue(3)
    a, b = claim("a", 1), claim("b", 1)
    with dbmod.write_transaction():  # claimed before boxes had names (older firmware)
        legacy = delivery.claim_parts([(delivery.ready_parts(1, NOW)[0].part_id, "gsm0", "", "", "")], NOW)
    assert delivery.recover_interrupted(NOW, box="a") == 2
    after = states()
    assert [after[p] for p in a] == [("unknown", "a")] and [after[p] for p in legacy] == [("unknown", "")]
    assert [after[p] for p in b] == [("sending", "b")]  # b's submit may be on the air right now


def test_a_silent_box_parts_become_unknown_at_the_others_and_are_never_resent(any_database):
    queue(4)
    boxes.beat("a", NOW - datetime.timedelta(seconds=61))
    boxes.beat("b", NOW - datetime.timedelta(seconds=59))
    a, b = claim("a", 1), claim("b", 1)
    assert delivery.recover_dead_boxes(60, box="c", now=NOW) == 1
    after = states()
    assert [after[p] for p in a] == [("unknown", "a")] and [after[p] for p in b] == [("sending", "b")]
    assert "its box a stopped" in MessagePart.get_by_id(next(iter(a))).error
    assert not {p.part_id for p in delivery.ready_parts(10, NOW, box="c")} & a
    assert boxes.dead_boxes(60, besides="c", now=NOW) == ["a"]
    assert delivery.recover_dead_boxes(60, box="a", now=NOW) == 0  # never its own: it recovers at start

    boxes.beat("a", NOW)  # a came back and claims again: its new claims are its own
    again = claim("a", 1)
    assert delivery.recover_dead_boxes(60, box="c", now=NOW) == 0
    assert [states()[p] for p in again] == [("sending", "a")]
    rows = {row["name"]: row["alive"] for row in boxes.listing(60, NOW)}
    assert rows == {"a": True, "b": True}


def test_a_report_matches_the_part_from_its_own_box_modem(any_database):
    outbox.queue_many([{"to_number": "13800138000", "text": text} for text in ("续保", "缴费")])
    b, a = claim("b", 1), claim("a", 1)  # a's is the later: matched by modem and reference alone, it would win
    with dbmod.write_transaction():  # both left from a gsm0 with reference 7, one on each box
        delivery.record_results([delivery.Result(p, "sent", reference=7) for p in a | b], NOW)
    number = MessagePart.get_by_id(next(iter(b))).message.to_number
    with dbmod.write_transaction():
        matched = delivery.record_status_reports([("gsm0", 7, number, True, 0, "")], NOW, box="b")
    assert matched == [next(iter(b))]
    assert MessagePart.get_by_id(next(iter(a))).state == "sent"


def test_a_long_message_goes_on_from_its_own_box_or_whole_again_when_that_box_is_dead(any_database):
    message = outbox.queue_message("13800138000", "长" * 100)  # two parts
    first = claim("a", 1)
    with dbmod.write_transaction():
        delivery.record_results([delivery.Result(p, "sent", reference=3) for p in first], NOW)
    assert [p.seq for p in delivery.ready_parts(5, NOW, box="a")] == [2]
    assert delivery.ready_parts(5, NOW, box="c") == []  # not from another box's SIM
    assert delivery.stranded_messages([], box="c") == []  # box a's modem: a's business while a lives
    assert delivery.stranded_messages([], box="c", dead=["a"]) == [(message.id, "a/gsm0")]
    assert delivery.stranded_messages(["gsm0"], box="a") == []
