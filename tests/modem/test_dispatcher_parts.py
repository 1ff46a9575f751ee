"""The parts of a long message, step by step against the twin pool (no ptys, no
sleeps): all go from one SIM whatever fails or restarts in between (the receiving
phone joins only parts from one sender), one at a time, and nothing follows a part
whose submit was interrupted."""
import datetime

import pytest

from appliance.models import AuditLog
from appliance.sms import outbox
from appliance.sms.models import Message, MessagePart
from modem.dispatcher import Dispatcher
from modem.twin import TwinModem, TwinPool

T0 = datetime.datetime(2026, 11, 30, 10, 0, 0)
MOBILE = "+8613800138000"
LONG = "长" * 200  # 3 parts


def seconds(n):
    return T0 + datetime.timedelta(seconds=n)


@pytest.fixture
def smsd(database, config):
    def make(count=2, **settings):
        values = {"modems__daily_cap": 0, "modems__monthly_cap": 0, "modems__min_interval": 0.0,
                  "modems__retry_base": 30.0}
        values.update({"modems__" + k: v for k, v in settings.items()})
        pool = TwinPool([TwinModem(f"gsm{i}", imsi=f"46000{i:010d}") for i in range(count)])
        dispatcher = Dispatcher(config.replace(**values), pool)
        dispatcher.start(now=T0)
        return pool, dispatcher
    return make


def parts(message_id):
    return list(MessagePart.select().where(MessagePart.message == message_id).order_by(MessagePart.seq))


def senders(pool, message_id):
    return [(name, job.seq) for name, job in pool.handed if job.message_id == message_id]


def test_a_part_retried_after_a_transient_error_stays_on_the_sim_of_the_earlier_parts(smsd):
    pool, dispatcher = smsd()
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")                                   # part 1 sent
    dispatcher.step(0, now=seconds(1))                    # part 2 follows on gsm0 at once
    pool.finish("gsm0", "transient", error="network congestion")
    for n in range(2, 40):                                # gsm1 idle all along
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    assert senders(pool, message.id) == [("gsm0", 1), ("gsm0", 2), ("gsm0", 2), ("gsm0", 3)]
    assert Message.get_by_id(message.id).state == "sent"


def test_after_a_restart_the_rest_of_a_long_message_goes_from_the_same_sim(smsd):
    pool, dispatcher = smsd()
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")
    dispatcher.step(0, now=seconds(1))
    pool.finish("gsm0", "transient", error="network congestion")
    dispatcher.step(0, now=seconds(2))                    # part 2 queued again, backing off
    # A restart: a new dispatcher and pool know only the database. gsm1 has sent
    # nothing today, so it would be the least busy choice.
    pool = TwinPool([TwinModem(f"gsm{i}", imsi=f"46000{i:010d}") for i in range(2)])
    restarted = Dispatcher(dispatcher.config, pool)
    restarted.start(now=seconds(3))
    for n in range(4, 60):
        restarted.step(0, now=seconds(n))
        pool.finish_all()
    assert senders(pool, message.id) == [("gsm0", 2), ("gsm0", 3)]
    assert Message.get_by_id(message.id).state == "sent"


def test_a_part_in_flight_at_a_restart_becomes_unknown_and_the_rest_fails(smsd):
    pool, dispatcher = smsd()
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")
    dispatcher.step(0, now=seconds(1))                    # part 2 `sending` at the crash
    restarted = Dispatcher(dispatcher.config, TwinPool([TwinModem("gsm1")]))
    restarted.start(now=seconds(2))
    for n in range(3, 10):
        restarted.step(0, now=seconds(n))
    assert [p.state for p in parts(message.id)] == ["sent", "unknown", "failed"]
    assert restarted.pool.handed == []


def test_the_rest_of_a_long_message_never_leaves_from_another_sim(smsd):
    pool, dispatcher = smsd()
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")
    pool.take_out("gsm0")                                 # gone before part 2 was claimed
    for n in range(1, 60):
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    assert senders(pool, message.id) == [("gsm0", 1)]     # gsm1 idle, but not the same sender
    assert [p.state for p in parts(message.id)] == ["sent", "queued", "queued"]
    pool.bring_back("gsm0")
    for n in range(60, 63):
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    assert senders(pool, message.id) == [("gsm0", 1), ("gsm0", 2), ("gsm0", 3)]


def test_no_part_follows_an_unknown_part(smsd):
    pool, dispatcher = smsd()
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")
    dispatcher.step(0, now=seconds(1))
    pool.finish("gsm0", "unknown", error="submit interrupted: no answer after the PDU")
    for n in range(2, 200, 5):
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    assert senders(pool, message.id) == [("gsm0", 1), ("gsm0", 2)]
    assert [p.state for p in parts(message.id)] == ["sent", "unknown", "failed"]
    assert "interrupted" in parts(message.id)[2].error
    message = Message.get_by_id(message.id)
    assert message.state == "failed" and "interrupted" in message.failure_reason


def test_no_part_goes_while_the_one_before_it_is_in_flight(smsd):
    """Part 2 is not ready while part 1 is `sending`: never two parts of a message at once."""
    pool, dispatcher = smsd(3)
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    for n in range(1, 5):
        dispatcher.step(0, now=seconds(n))
    assert senders(pool, message.id) == [("gsm0", 1)]


def test_when_that_sim_stays_out_the_whole_message_goes_again_with_a_new_reference(smsd):
    pool, dispatcher = smsd(resend_after=900.0)
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")
    pool.take_out("gsm0")                                 # gone after part 1
    for n in range(1, 900, 30):
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    assert senders(pool, message.id) == [("gsm0", 1)] and Message.select().count() == 1   # waited
    for n in range(900, 1000, 10):
        dispatcher.step(0, now=seconds(n))
        pool.finish_all()
    old = Message.get_by_id(message.id)
    new = Message.get(Message.id != message.id)
    assert (new.to_number, new.text, new.state) == (old.to_number, old.text, "sent")
    assert senders(pool, new.id) == [("gsm1", 1), ("gsm1", 2), ("gsm1", 3)]
    assert parts(new.id)[0].concat_ref != parts(message.id)[0].concat_ref
    assert [p.state for p in parts(message.id)] == ["sent", "failed", "failed"]
    assert old.state == "failed" and f"sent again as message {new.id}" in old.failure_reason
    assert AuditLog.get(AuditLog.action == "sms.resent").target == str(message.id)


def test_a_sim_that_never_came_back_after_a_restart_counts_from_the_start(smsd):
    pool, dispatcher = smsd(resend_after=900.0)
    message = outbox.queue_message(MOBILE, LONG)
    dispatcher.step(0, now=T0)
    pool.finish("gsm0")
    dispatcher.step(0, now=seconds(1))
    pool.finish("gsm0", "transient", error="congestion")
    dispatcher.step(0, now=seconds(2))
    pool = TwinPool([TwinModem("gsm1", imsi="46000" + "0" * 9 + "1")])   # gsm0 not plugged in
    restarted = Dispatcher(dispatcher.config, pool)
    restarted.start(now=seconds(1000))
    for n in range(1000, 1899, 30):
        restarted.step(0, now=seconds(n))
    assert Message.select().count() == 1
    for n in range(1900, 1960, 10):
        restarted.step(0, now=seconds(n))
        pool.finish_all()
    assert Message.select().count() == 2 and Message.get_by_id(message.id).state == "failed"
