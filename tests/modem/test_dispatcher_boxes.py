"""Two boxes' dispatchers on one database, step by step against the in-memory twin pool
(both boxes have a gsm0): each names its box on what it claims, writes and receives, and a
box takes over nothing but the in-flight parts of a box whose heartbeat stopped."""
import datetime

from appliance.cluster.models import Box
from appliance.sms import outbox
from appliance.sms.models import InboundMessage, MessagePart, ModemStatus
from modem.dispatcher import Dispatcher
from modem.twin import TwinModem, TwinPool

T0 = datetime.datetime(2026, 11, 30, 10, 0, 0)


def box(config, name, imsi):
    pool = TwinPool([TwinModem("gsm0", imsi=imsi, carrier="")])
    dispatcher = Dispatcher(config.replace(box__name=name, modems__daily_cap=0, modems__monthly_cap=0,
                                           modems__min_interval=0.0, box__heartbeat_timeout=60), pool)
    dispatcher.start(now=T0)
    return pool, dispatcher


def test_two_boxes_each_with_a_gsm0(database, config):
    pool_a, a = box(config, "a", "460000000000001")
    pool_b, b = box(config, "b", "460000000000002")
    assert {x.name for x in Box.select()} == {"a", "b"}
    first, second = outbox.queue_many([{"to_number": f"+861380013800{i}", "text": "续保"} for i in range(2)])
    assert a.step(0, now=T0) == 1 and b.step(0, now=T0) == 1  # one part each: never the same one
    claimed = {p.message_id: (p.claimed_by, p.modem, p.state) for p in MessagePart.select()}
    assert claimed == {first: ("a", "gsm0", "sending"), second: ("b", "gsm0", "sending")}

    a.write_status(force=True, now=T0)
    b.write_status(force=True, now=T0)
    assert sorted((m.box, m.port, m.imsi) for m in ModemStatus.select()) == [
        ("a", "gsm0", "460000000000001"), ("b", "gsm0", "460000000000002")]
    pool_b.receive("gsm0", {"type": "SMS-DELIVER", "number": "+8613912345678", "text": "查询保单",
                            "time": None, "concat": None})
    b.step(0, now=T0)
    assert InboundMessage.get().modem == "b/gsm0"

    # b stops beating (its submit never finishes); a, beating on, takes over b's part only
    later = T0 + datetime.timedelta(seconds=61)
    a.housekeeping(now=later)
    states = {p.message_id: p.state for p in MessagePart.select()}
    assert states == {first: "sending", second: "unknown"}
    assert "its box b stopped" in MessagePart.get(MessagePart.message == second).error
