"""The dispatcher's choices, step by step: the real Dispatcher and a real SQLite
database against the in-memory twin pool, with the time passed in (`now=`).
No ptys, no sleeps; the pty tests (test_modem_smsd.py) cover the modems."""
import datetime

import pytest

from appliance.sms import outbox
from appliance.sms.models import InboundMessage, Message, MessagePart
from modem.dispatcher import Dispatcher
from modem.twin import TwinModem, TwinPool

T0 = datetime.datetime(2026, 11, 30, 10, 0, 0)
MOBILE, UNICOM, TELECOM = "+8613800138000", "+8613012345678", "+8613312345678"


def seconds(n):
    return T0 + datetime.timedelta(seconds=n)


@pytest.fixture
def smsd(database, config):
    """make(modems, **settings) -> (TwinPool, started Dispatcher)."""
    def make(modems, **settings):
        values = {"modems__daily_cap": 0, "modems__monthly_cap": 0, "modems__min_interval": 0.0,
                  "modems__retry_base": 30.0}
        values.update({"modems__" + k: v for k, v in settings.items()})
        pool = TwinPool(modems)
        dispatcher = Dispatcher(config.replace(**values), pool)
        dispatcher.start(now=T0)
        return pool, dispatcher
    return make


def modems(*carriers):
    return [TwinModem(f"gsm{i}", imsi=f"46000{i:010d}", carrier=c) for i, c in enumerate(carriers)]


def handed_to(pool, start=0):
    return [name for name, _ in pool.handed[start:]]


def part_of(message_id):
    return MessagePart.get(MessagePart.message == message_id)


def test_a_claimed_part_is_sending_before_the_modem_gets_it(smsd):
    pool, dispatcher = smsd(modems(""))
    message = outbox.queue_message(MOBILE, "保单提醒")
    assert dispatcher.step(0, now=T0) == 1
    name, job = pool.handed[0]
    assert (name, job.part_id) == ("gsm0", part_of(message.id).id)
    assert (part_of(message.id).state, part_of(message.id).modem) == ("sending", "gsm0")
    pool.finish("gsm0")
    dispatcher.step(0, now=seconds(1))
    part = part_of(message.id)
    assert (part.state, part.reference, part.attempts) == ("sent", 1, 1)


def test_least_busy_modem_is_chosen(smsd):
    pool, dispatcher = smsd(modems("", "", ""))
    for i in range(6):  # one message at a time, so every modem is idle at each choice
        outbox.queue_message(MOBILE, f"第{i}条")
        dispatcher.step(0, now=seconds(2 * i))
        pool.finish_all()
        dispatcher.step(0, now=seconds(2 * i + 1))
    assert handed_to(pool) == ["gsm0", "gsm1", "gsm2", "gsm0", "gsm1", "gsm2"]


def test_a_sim_of_the_recipients_carrier_is_preferred(smsd):
    pool, dispatcher = smsd(modems("China Mobile", "China Unicom", "China Telecom"))
    for i, number in enumerate([TELECOM, UNICOM, MOBILE, UNICOM]):
        outbox.queue_message(number, f"carrier {i}")
        dispatcher.step(0, now=seconds(2 * i))
        pool.finish_all()
        dispatcher.step(0, now=seconds(2 * i + 1))
    # The carrier's SIM wins even over a less busy one (gsm1 sends twice).
    assert handed_to(pool) == ["gsm2", "gsm1", "gsm0", "gsm1"]
    # With the Unicom SIM busy, a Unicom recipient goes to another modem.
    outbox.queue_message(UNICOM, "gsm1 busy")
    outbox.queue_message(UNICOM, "then this one")
    dispatcher.step(0, now=seconds(10))
    assert sorted(handed_to(pool, 4)) == ["gsm0", "gsm1"]


def test_daily_cap_moves_on_to_the_next_sim_then_waits_for_tomorrow(smsd):
    pool, dispatcher = smsd(modems("", ""), daily_cap=2)
    ids = [outbox.queue_message(MOBILE, f"cap {i}").id for i in range(5)]
    for n in range(4):
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    assert handed_to(pool) == ["gsm0", "gsm1", "gsm0", "gsm1"]
    for n in range(10, 20):  # both SIMs at their cap: the fifth waits
        dispatcher.step(0, now=seconds(n))
    assert len(pool.handed) == 4 and Message.get_by_id(ids[4]).state == "queued"
    dispatcher.step(0, now=T0 + datetime.timedelta(days=1))
    assert len(pool.handed) == 5


def test_a_sim_at_its_cap_leaves_the_work_to_the_others(smsd):
    pool, dispatcher = smsd(modems("China Unicom", ""), daily_cap=1)
    for i in range(3):
        outbox.queue_message(UNICOM, f"unicom {i}")
    dispatcher.step(0, now=T0)
    pool.finish_all()
    dispatcher.step(0, now=seconds(1))
    pool.finish_all()
    dispatcher.step(0, now=seconds(2))
    assert sorted(handed_to(pool)) == ["gsm0", "gsm1"]   # one each, then both capped
    assert Message.select().where(Message.state == "queued").count() == 1


def test_minimum_interval_between_sends_on_one_modem(smsd):
    pool, dispatcher = smsd(modems(""), min_interval=10.0)
    for i in range(2):
        outbox.queue_message(MOBILE, f"interval {i}")
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")
    for n in (1, 5, 9.9):
        dispatcher.step(0, now=seconds(n))
        assert len(pool.handed) == 1, f"a second submit {n} s after the first"
    dispatcher.step(0, now=seconds(10))
    assert len(pool.handed) == 2


def test_a_failed_part_goes_to_another_modem_after_its_backoff(smsd):
    pool, dispatcher = smsd(modems("", ""))
    message = outbox.queue_message(MOBILE, "retry me")
    dispatcher.step(0, now=T0)
    pool.finish("gsm0", "transient", error="network congestion")
    dispatcher.step(0, now=seconds(1))
    assert (part_of(message.id).state, part_of(message.id).error) == ("queued", "network congestion")
    dispatcher.step(0, now=seconds(30))                     # retry_base 30 s from the failure
    assert handed_to(pool) == ["gsm0"]
    dispatcher.step(0, now=seconds(31))
    assert handed_to(pool) == ["gsm0", "gsm1"]              # not gsm0 again
    pool.finish("gsm1")
    dispatcher.step(0, now=seconds(32))
    assert (part_of(message.id).state, part_of(message.id).attempts) == ("sent", 2)


def test_a_modem_taken_out_gives_its_part_back_and_gets_no_more(smsd):
    pool, dispatcher = smsd(modems("", ""))
    first = outbox.queue_message(MOBILE, "on gsm0 when it dies")
    dispatcher.step(0, now=T0)
    pool.take_out("gsm0")
    dispatcher.step(0, now=seconds(1))
    assert part_of(first.id).state == "queued"
    for i in range(3):
        outbox.queue_message(MOBILE, f"while gsm0 is out {i}")
    for n in range(2, 100, 2):
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    assert handed_to(pool) == ["gsm0"] + ["gsm1"] * 4
    assert Message.select().where(Message.state != "sent").count() == 0
    pool.bring_back("gsm0")
    outbox.queue_message(MOBILE, "gsm0 is back")
    dispatcher.step(0, now=seconds(100))
    assert handed_to(pool, 5) == ["gsm0"]


def test_an_interrupted_submit_is_unknown_and_never_resent(smsd):
    pool, dispatcher = smsd(modems("", ""))
    message = outbox.queue_message(MOBILE, "lost in the air")
    dispatcher.step(0, now=T0)
    pool.finish("gsm0", "unknown", error="submit interrupted")
    for n in range(1, 200, 10):
        dispatcher.step(0, now=seconds(n))
    assert len(pool.handed) == 1 and Message.get_by_id(message.id).state == "unknown"


def test_a_permanent_failure_fails_the_message_at_once(smsd):
    pool, dispatcher = smsd(modems("", ""))
    message = outbox.queue_message(MOBILE, "to nowhere")
    dispatcher.step(0, now=T0)
    pool.finish("gsm0", "permanent", error="invalid destination address")
    for n in range(1, 200, 10):
        dispatcher.step(0, now=seconds(n))
    message = Message.get_by_id(message.id)
    assert (message.state, message.failure_reason) == ("failed", "invalid destination address")
    assert len(pool.handed) == 1


def test_a_long_message_stays_on_one_modem(smsd):
    pool, dispatcher = smsd(modems("", "", ""))
    message = outbox.queue_message(MOBILE, "长" * 200)   # 3 parts
    outbox.queue_message(MOBILE, "short")
    dispatcher.step(0, now=T0)
    for n in range(1, 4):
        pool.finish_all()
        dispatcher.step(0, now=seconds(n))
    parts = [job for _, job in pool.handed if job.message_id == message.id]
    assert [job.seq for job in parts] == [1, 2, 3]
    assert {name for name, job in pool.handed if job.message_id == message.id} == {"gsm0"}
    assert Message.get_by_id(message.id).state == "sent"


def test_inbound_is_committed_before_the_modem_may_delete_it(smsd):
    pool, dispatcher = smsd(modems(""))
    item = pool.receive("gsm0", {"type": "SMS-DELIVER", "number": "+8613912345678", "text": "查询保单",
                                 "time": None, "concat": None})
    assert not item.done.is_set()
    dispatcher.step(0, now=T0)
    assert item.done.is_set() and item.stored
    assert InboundMessage.get().text == "查询保单"
