"""Helpers for the SMPP bearer's tests (tests/modem/smpp/) and the Jasmin ones: settings
pointing the bearer at an SMSC, and queuing a message the routing sent to SMPP."""
from appliance.sms import outbox
from appliance.sms.models import Message

FAST = {"smpp.enquire_link": 1.0, "smpp.reconnect": 0.2, "modems.retry_base": 0.2}


def smpp_settings(port, system_id="branch", password="pw", **more):
    """{dotted name: value} for the bearer against an SMSC on 127.0.0.1:port."""
    values = {"smpp.enabled": True, "smpp.host": "127.0.0.1", "smpp.port": port, "smpp.system_id": system_id,
              "smpp.password": password, "smpp.rate": 1000.0, **FAST}
    values.update(more)
    return values


def queue_smpp(to_number, text, **kwargs):
    """A message the routing sent to SMPP."""
    message = outbox.queue_message(to_number, text, **kwargs)
    Message.update(bearer="smpp").where(Message.id == message.id).execute()
    return message
