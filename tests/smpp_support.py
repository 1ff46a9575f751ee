"""Helpers for the SMPP bearer's tests (tests/modem/smpp/) and the Jasmin ones: settings
pointing the bearer at an SMSC, and queuing a message the routing sent to SMPP."""
import contextlib
import threading

from appliance.sms import outbox
from appliance.sms.models import Message

FAST = {"smpp.enquire_link": 1.0, "smpp.reconnect": 0.2, "modems.retry_base": 0.2}


def smpp_settings(port, system_id="branch", password="pw", **more):
    """{dotted name: value} for the bearer against an SMSC on 127.0.0.1:port."""
    values = {"smpp.enabled": True, "smpp.host": "127.0.0.1", "smpp.port": port, "smpp.system_id": system_id,
              "smpp.password": password, "smpp.rate": 1000.0, **FAST}
    values.update(more)
    return values


@contextlib.contextmanager
def senders(config, port, *account):
    """start(**{dotted name: value}) -> the bearer's Sender turning in a thread against the SMSC
    on 127.0.0.1:port (as `account`: system_id, password); all stopped when the block ends."""
    from modem.smpp.sender import Sender
    running = []

    def start(**settings):
        values = smpp_settings(port, *account, **settings)
        sender = Sender(config.replace(**{k.replace(".", "__"): v for k, v in values.items()}))
        stop = threading.Event()
        thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))
        return sender
    try:
        yield start
    finally:
        for stop, thread in running:
            stop.set()
            thread.join(20)


def queue_smpp(to_number, text, **kwargs):
    """A message the routing sent to SMPP."""
    message = outbox.queue_message(to_number, text, **kwargs)
    Message.update(bearer="smpp").where(Message.id == message.id).execute()
    return message
