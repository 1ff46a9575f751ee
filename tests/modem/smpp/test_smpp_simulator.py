"""The fake SMSC (modem/smpp/simulator.py) as smpplib's own client sees it: the
simulator is only for unit tests and the demo, but what it says must be SMPP 3.4."""
import pytest
import smpplib.client
from smpplib import consts

from modem.smpp import pdus
from modem.smpp.simulator import Smsc


@pytest.fixture
def smsc():
    with Smsc(latency=0.0, receipt_delay=0.0) as server:
        yield server


def _client(smsc, received):
    client = smpplib.client.Client("127.0.0.1", smsc.port, timeout=5, allow_unknown_opt_params=True)
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.set_message_sent_handler(lambda pdu: received.append(pdu))
    client.set_error_pdu_handler(lambda pdu: None)  # recorded as sent: the test reads its status
    client.connect()
    return client


def test_bind_submit_receipt_and_mo(smsc):
    received = []
    client = _client(smsc, received)
    try:
        client.bind_transceiver(system_id="appliance", password="secret")
        client.send_message(**pdus.submit_fields("+8613800138000", "续保通知" * 20, "ucs2", concat=(9, 2, 1),
                                                 report=True))
        smsc.inject_mo("+8613900139000", "查询保单" * 20)  # 80 UCS2 units: two parts
        while len(received) < 4:
            client.read_once()
    finally:
        client.disconnect()
    resp = next(p for p in received if p.command == "submit_sm_resp")
    receipt = next(p for p in received if p.command == "deliver_sm" and pdus.is_receipt(p))
    mo = [p for p in received if p.command == "deliver_sm" and not pdus.is_receipt(p)]
    assert resp.status == 0 and resp.message_id
    parsed = pdus.parse_receipt(receipt)
    assert (parsed.message_id, parsed.stat, parsed.delivered) == (resp.message_id.decode(), "DELIVRD", True)
    assert receipt.message_state == 2 and receipt.receipted_message_id == resp.message_id
    assert [pdus.split_udh(p.short_message, p.esm_class)[0][1:] for p in mo] == [(2, 1), (2, 2)]
    assert "".join(pdus.decode_text(pdus.split_udh(p.short_message, p.esm_class)[1], p.data_coding) for p in mo) \
        == "查询保单" * 20
    [got] = smsc.submits
    assert (got.destination, got.concat, got.data_coding, got.esm_class) == ("8613800138000", (9, 2, 1), 8, 0x40)
    assert got.text == ("续保通知" * 20)


def test_bad_password_refused(smsc):
    client = _client(smsc, [])
    try:
        with pytest.raises(smpplib.exceptions.PDUError):
            client.bind_transceiver(system_id="appliance", password="wrong")
    finally:
        client.disconnect()
    assert smsc.binds == 0


def test_throttle_and_drop():
    with Smsc(max_rate=2, drop_after=4) as smsc:
        received = []
        client = _client(smsc, received)
        try:
            client.bind_transceiver(system_id="appliance", password="secret")
            for i in range(3):
                client.send_message(**pdus.submit_fields(f"+861380013800{i}", "hello", "gsm7"))
            while len(received) < 3:
                client.read_once()
            assert sorted(p.status for p in received) == [0, 0, consts.SMPP_ESME_RTHROTTLED]
            smsc.max_rate = None
            client.send_message(**pdus.submit_fields("+8613800138009", "hello", "gsm7"))
            client.send_message(**pdus.submit_fields("+8613800138010", "hello", "gsm7"))
            with pytest.raises(smpplib.exceptions.ConnectionError):
                while True:
                    client.read_once()
        finally:
            client.disconnect()
        assert [s.status for s in smsc.submits] == [0, 0, consts.SMPP_ESME_RTHROTTLED, 0, None]
