"""Issue 16, done when: one real PostgreSQL server, three boxes (each an `appliance run smsd`
process with its own simulated modems, zero latency) on one outbox of 20,000 messages; one
box is killed with -9 twice during the run. Then: no message on the air twice, none lost,
the dead box's in-flight parts `unknown`, and its queued work sent by the others.

The first time the dead box stays down until the others mark its parts `unknown` (its
heartbeat stopped: box.heartbeat_timeout); the second time it is started again at once and
recovers its own parts itself."""
import collections
import time

import pytest
from peer_support import wait_for

from appliance import db as dbmod
from appliance.config import Config
from appliance.sms import outbox
from appliance.sms.models import Message, MessagePart
from modem import pdu as pdumod
from modem.fleet import Fleet

MESSAGES = 20_000
HEARTBEAT = 2  # box.heartbeat_timeout, seconds: the others take over a silent box's parts this long after its last beat
RUN = 240  # seconds at most for the whole outbox (about 60-90 s on an idle two-core machine)


def number(i):
    return f"+86138{i:08d}"


def parts(state=None, box=None):
    query = MessagePart.select(MessagePart.id)
    if state:
        query = query.where(MessagePart.state == state)
    if box:
        query = query.where(MessagePart.claimed_by == box)
    return {pid for (pid,) in query.tuples()}


def done():
    return MessagePart.select().where(MessagePart.state.not_in(("queued", "sending"))).count()


def kill_in_flight(box):
    """kill -9 the box's smsd while it is submitting; the parts it left `sending`."""
    wait_for(lambda: parts("sending", box.name), 30, f"{box.name} submitting")
    box.kill_smsd()
    return parts("sending", box.name)


@pytest.fixture
def fleet(postgres_server, tmp_path):
    url = postgres_server()
    fleet = Fleet(url, boxes=3, modems=4, heartbeat_timeout=HEARTBEAT, root=tmp_path / "boxes")
    fleet.init()
    db = dbmod.open_database(Config({"data_dir": str(tmp_path / "queuer"), "database.url": url}))
    # No delivery reports: a report would resolve an `unknown` part that did reach the air
    # (tests/appliance/sms/test_delivery.py), and the dead box's parts must stay as left.
    outbox.queue_many([{"to_number": number(i), "text": f"续保通知 第{i}号", "source": "test",
                        "delivery_report": False} for i in range(MESSAGES)])
    yield fleet.start()
    fleet.stop()
    db.close()


def test_three_boxes_one_outbox_a_box_killed_twice(fleet):
    started = time.monotonic()
    victim = fleet.boxes["box3"]
    wait_for(lambda: done() >= 3000, RUN, "3,000 parts done")
    first = kill_in_flight(victim)
    others_before = len(parts("sent") | parts("delivered"))
    wait_for(lambda: parts("unknown") >= first, 10 * HEARTBEAT, "the others marking its parts unknown")
    assert len(parts("sent") | parts("delivered")) > others_before  # its queued work goes on without it
    victim.start_smsd()
    claimed_before = parts(box="box3")
    wait_for(lambda: parts(box="box3") - claimed_before, 60, "box3 claiming again after its restart")

    wait_for(lambda: done() >= 10_000, RUN, "10,000 parts done")
    second = kill_in_flight(victim)
    victim.start_smsd()  # at once: it recovers its own parts before the lease runs out
    wait_for(lambda: parts("unknown") >= first | second, 30, "box3 marking its own parts unknown")
    wait_for(lambda: done() == MESSAGES, RUN, "every part done")
    print(f"{MESSAGES} messages through 3 boxes in {time.monotonic() - started:.0f} s")

    air = collections.Counter(pdumod.submit_info(r["pdu"])["number"] for r in fleet.air())
    assert air.most_common(1)[0][1] == 1  # no message on the air twice
    states = collections.Counter(m.state for m in Message.select(Message.state))
    unknown = parts("unknown")
    assert first and second and unknown == first | second  # the dead box's in-flight parts, and only those
    assert states["sent"] + states["delivered"] == MESSAGES - len(unknown)  # none lost
    sent_numbers = {m.to_number for m in Message.select(Message.to_number)
                    .where(Message.state.in_(("sent", "delivered")))}
    assert all(air[n] == 1 for n in sent_numbers)  # every message sent is on the air, once
    by_box = collections.Counter(p.claimed_by for p in MessagePart.select(MessagePart.claimed_by))
    assert set(by_box) == {"box1", "box2", "box3"} and min(by_box.values()) > 1000, by_box
