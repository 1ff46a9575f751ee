"""Against a real SMPP server no one here wrote: Jasmin (tests/jasmin_support.py), with the
fake SMSC (modem/smpp/simulator.py) behind it standing for the carrier's network and the
handsets. First the harness itself with plain smpplib, then the appliance's SMPP bearer.

    appliance/ESME --SMPP--> Jasmin (smpps) --AMQP/Redis--> Jasmin (smppc) --SMPP--> Smsc
"""
import os
import signal
import threading

import pytest
import smpplib.client
import smpplib.consts
from jasmin_support import jasmin  # noqa: F401  (the module-scoped fixture)
from peer_support import wait_for
from smpp_support import queue_smpp, senders

from appliance.sms.models import InboundMessage, Message, MessagePart
from appliance.sms.text import segments
from modem.smpp.simulator import Smsc

ACCOUNT = ("branch", "branchpw")       # the appliance's account on Jasmin
RADIO = ("jasmin", "radiopw")          # Jasmin's account on the carrier's SMSC


@pytest.fixture(scope="module")
def network(jasmin):  # noqa: F811
    """Jasmin with the appliance's account, bound to the SMSC behind it, MO routed back."""
    smsc = Smsc(system_id=RADIO[0], password=RADIO[1]).start()
    jasmin.add_user(*ACCOUNT)
    jasmin.add_smsc(smsc.port, *RADIO, mo_to=ACCOUNT[0])
    yield jasmin, smsc
    smsc.stop()


class Esme:
    """A bare smpplib transceiver bound to Jasmin: what it sent and every deliver_sm it got."""

    def __init__(self, port):
        self.delivered, self.responses = [], []
        self.client = smpplib.client.Client("127.0.0.1", port, timeout=10, allow_unknown_opt_params=True)
        self.client.set_message_received_handler(lambda pdu: self.delivered.append(pdu))
        self.client.set_message_sent_handler(lambda pdu: self.responses.append(pdu))
        self.client.connect()
        self.client.bind_transceiver(system_id=ACCOUNT[0], password=ACCOUNT[1])
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self):
        try:
            self.client.listen()
        except (smpplib.exceptions.ConnectionError, OSError):
            pass  # closed by close()

    def close(self):
        try:
            self.client.unbind()
        except Exception:  # noqa: BLE001 - the listener thread may read the unbind_resp first
            pass
        self.client.disconnect()
        self.thread.join(5)


def test_harness_jasmin_relays_a_submit_and_its_receipt(network):
    jasmin, smsc = network
    esme = Esme(jasmin.smpp_port)
    try:
        esme.client.send_message(source_addr="10690000", destination_addr="13912345678",
                                 short_message=b"harness check", registered_delivery=1)
        # Jasmin answers from its queue with its own id, then relays to the SMSC ...
        response = wait_for(lambda: esme.responses and esme.responses[0], 10, "submit_sm_resp")
        assert response.status == smpplib.consts.SMPP_ESME_ROK
        assert smsc.wait(lambda: smsc.accepted()), jasmin.log()
        assert [(s.destination, s.text) for s in smsc.accepted()][-1] == ("13912345678", "harness check")
        # ... and maps the SMSC's receipt back onto its own id.
        receipt = wait_for(lambda: [p for p in esme.delivered if p.esm_class & 0x04], 15,
                           "the delivery receipt through Jasmin")[0]
        message_id = response.message_id.decode()
        assert receipt.receipted_message_id.decode() == message_id
        assert f"id:{message_id}" in receipt.short_message.decode() and "stat:DELIVRD" in receipt.short_message.decode()
    finally:
        esme.close()


def test_harness_jasmin_routes_an_mo_to_the_account(network):
    jasmin, smsc = network
    esme = Esme(jasmin.smpp_port)
    try:
        smsc.inject_mo("13900000001", "reply from a handset")
        mo = wait_for(lambda: [p for p in esme.delivered if not p.esm_class & 0x04], 15, "the MO through Jasmin")[0]
        assert mo.source_addr.decode() == "13900000001"
        assert mo.short_message == b"reply from a handset"
    finally:
        esme.close()


# --- the appliance's SMPP bearer through Jasmin --------------------------------------------

LONG = "尊敬的客户，您的保单即将到期，请及时续保以免影响保障。" * 5   # UCS2, several parts
DONE = {"sent", "delivered", "unknown", "failed"}


@pytest.fixture
def start_sender(database, config, network):
    """start_sender(**{dotted name: value}) -> the bearer's Sender turning in a thread,
    bound to Jasmin as the appliance's account (stopped at teardown)."""
    jasmin, _ = network
    with senders(config, jasmin.smpp_port, *ACCOUNT) as start:
        yield start


def parts_of(message):
    return list(MessagePart.select().where(MessagePart.message == message.id).order_by(MessagePart.seq))


def states(messages):
    return [Message.get_by_id(m.id).state for m in messages]


def at_smsc(smsc, number):
    """What the SMSC behind Jasmin accepted for `number` (+86…), in arrival order."""
    return [s for s in smsc.accepted() if s.destination == number.lstrip("+")]


def test_bearer_sends_short_and_long_ucs2_through_jasmin_and_receipts_deliver_them(start_sender, network):
    jasmin, smsc = network
    short = queue_smpp("+8613800138000", "Policy 886010000001 renewed")
    long = queue_smpp("+8613800138001", LONG)
    start_sender()
    wait_for(lambda: states([short, long]) == ["delivered", "delivered"], 20,
             "both delivered by the receipts Jasmin relayed")
    seg = segments(LONG)
    assert seg.encoding == "ucs2" and seg.part_count >= 3
    # The long one arrived whole at the SMSC behind Jasmin, each part once, in order.
    got = at_smsc(smsc, long.to_number)
    ref = parts_of(long)[0].concat_ref
    assert [s.concat for s in got] == [(ref, seg.part_count, n) for n in range(1, seg.part_count + 1)]
    assert "".join(s.text for s in got) == LONG
    assert {s.data_coding for s in got} == {8}
    assert [s.text for s in at_smsc(smsc, short.to_number)] == ["Policy 886010000001 renewed"]
    # Each part's bearer_ref is the id Jasmin gave it; its receipt found it by that id.
    refs = [p.bearer_ref for p in parts_of(short) + parts_of(long)]
    assert all(refs) and len(set(refs)) == len(refs)
    assert {(p.modem, p.state) for p in parts_of(short) + parts_of(long)} == {("smpp", "delivered")}


def test_mo_through_jasmin_reaches_the_inbox(start_sender, network):
    jasmin, smsc = network
    sender = start_sender()
    wait_for(lambda: sender.link.open, 10, "the bearer bound to Jasmin")
    smsc.inject_mo("+8613900139000", "查询保单")
    smsc.inject_mo("+8613900139001", LONG)
    wait_for(lambda: InboundMessage.select().count() == 2 and InboundMessage.select().where(
        InboundMessage.complete == True).count() == 2, 20, "both MO stored whole")  # noqa: E712
    short, long = InboundMessage.select().order_by(InboundMessage.id)
    assert (short.from_number, short.text, short.modem) == ("+8613900139000", "查询保单", "smpp")
    assert (long.from_number, long.text, long.part_count) == ("+8613900139001", LONG, segments(LONG).part_count)


def test_jasmind_killed_mid_window_nothing_lost_nothing_resent(start_sender, network):
    jasmin, smsc = network
    numbers = [f"+86138001390{i:02d}" for i in range(30)]
    early = [queue_smpp(n, f"notice {i}") for i, n in enumerate(numbers[:10])]
    # enquire_link slow enough that the kill, not the bearer's own keep-alive, cuts the link
    start_sender(**{"smpp.window": 5, "smpp.rate": 50.0, "smpp.enquire_link": 10.0})
    wait_for(lambda: set(states(early)) <= {"sent", "delivered"}, 15, "the first ten sent")
    # Freeze jasmind, then queue the rest: the window fills with submits it never answers
    # (no answer can be on its way: it froze before they left); then kill it.
    os.kill(jasmin.processes["jasmind"].popen.pid, signal.SIGSTOP)
    messages = early + [queue_smpp(n, f"notice {i}") for i, n in enumerate(numbers[10:], 10)]
    in_flight = wait_for(lambda: len(sending := [p for p in smpp_parts(numbers) if p.state == "sending"]) == 5
                         and sending, 10, "the window full of unanswered submits")
    jasmin.kill_jasmind()
    try:
        assert wait_until(lambda: all(p.state == "unknown" for p in refreshed(in_flight)), 10), [
            (p.state, p.error) for p in refreshed(in_flight)]
    finally:
        jasmin.restart_jasmind()  # the next tests need it, whatever happened here
    wait_for(lambda: set(states(messages)) <= DONE and "queued" not in states(messages), 40,
             "the rest sent after the link came back")
    unknown = {p.message_id for p in refreshed(in_flight)}
    assert {m.id for m in messages if Message.get_by_id(m.id).state == "unknown"} == unknown
    assert "not re-sent" in refreshed(in_flight)[0].error
    assert {Message.get_by_id(m.id).state for m in messages if m.id not in unknown} <= {"sent", "delivered"}
    # Nothing re-sent: Jasmin's SMPP server took each number from the appliance at most once
    # (the unknown ones: once if Jasmin read it before it froze, else never) ...
    taken = {n: taken_by_jasmin(jasmin, n) for n in numbers}
    assert max(taken.values()) == 1, taken
    # ... and nothing lost: each part the bearer counts as sent reached the SMSC behind it.
    sent = [m.to_number for m in messages if m.id not in unknown]
    assert smsc.wait(lambda: all(at_smsc(smsc, n) for n in sent), 20), [n for n in sent if not at_smsc(smsc, n)]
    # Jasmin itself is at-least-once: the one submit it was relaying to the SMSC when killed
    # (its RabbitMQ queue is consumed one unacknowledged message at a time) it relays again.
    twice = [n for n in numbers if len(at_smsc(smsc, n)) > 1]
    assert len(twice) <= 1 and all(len(at_smsc(smsc, n)) == 2 and taken[n] == 1 for n in twice)


def test_jasmin_throughput_quota_the_bearer_backs_off_and_loses_nothing(start_sender, network):
    jasmin, smsc = network
    # Jasmin refuses (ESME_RTHROTTLED) a submit_sm within 1/5 s of the account's last one;
    # the bearer is set to go four times faster, a window of 10 at once.
    jasmin.set_throughput(ACCOUNT[0], 5)
    try:
        numbers = [f"+86138001391{i:02d}" for i in range(6)]
        messages = [queue_smpp(n, f"notice {i}") for i, n in enumerate(numbers)]
        throttled_before = jasmin.log("default-smpps_01").count("QoS: submit_sm_event is faster")
        start_sender(**{"smpp.window": 10, "smpp.rate": 20.0})
        wait_for(lambda: set(states(messages)) <= {"sent", "delivered"}, 20, "all sent despite the quota")
        assert jasmin.log("default-smpps_01").count("QoS: submit_sm_event is faster") > throttled_before
        assert max(p.attempts for p in smpp_parts(numbers)) >= 2      # the refused ones went again …
        assert smsc.wait(lambda: [len(at_smsc(smsc, n)) for n in numbers] == [1] * len(numbers), 10), (
            [len(at_smsc(smsc, n)) for n in numbers])                 # … and each reached the SMSC once
    finally:
        jasmin.set_throughput(ACCOUNT[0], None)


def wait_until(predicate, timeout):
    """True once predicate() holds, False after `timeout` seconds (for asserts that explain)."""
    try:
        return bool(wait_for(predicate, timeout))
    except AssertionError:
        return False


def taken_by_jasmin(jasmin, number):
    """How many submit_sm for `number` Jasmin's SMPP server accepted from the appliance."""
    return sum(1 for line in jasmin.log("default-smpps_01").splitlines()
               if "SMS-MT" in line and f"[to:b'{number.lstrip('+')}']" in line)


def smpp_parts(numbers):
    return list(MessagePart.select().join(Message).where(Message.to_number.in_(numbers)))


def refreshed(parts):
    return [MessagePart.get_by_id(p.id) for p in parts]
