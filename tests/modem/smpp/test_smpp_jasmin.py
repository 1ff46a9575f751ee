"""Against a real SMPP server no one here wrote: Jasmin (tests/jasmin_support.py), with the
fake SMSC (modem/smpp/simulator.py) behind it standing for the carrier's network and the
handsets. First the harness itself with plain smpplib, then the appliance's SMPP bearer.

    appliance/ESME --SMPP--> Jasmin (smpps) --AMQP/Redis--> Jasmin (smppc) --SMPP--> Smsc
"""
import threading

import pytest
import smpplib.client
import smpplib.consts
from jasmin_support import jasmin  # noqa: F401  (the module-scoped fixture)
from peer_support import wait_for

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
