"""Fixtures for the SMPP bearer: the fake SMSC (modem/smpp/simulator.py) on 127.0.0.1
and the bearer's sender turning in a thread against it, on a real SQLite database."""
import threading

import pytest
from smpp_support import smpp_settings

from modem.smpp.sender import Sender
from modem.smpp.simulator import Smsc


@pytest.fixture
def smsc():
    server = Smsc(system_id="branch", password="pw").start()
    yield server
    server.stop()


@pytest.fixture
def start_sender(database, config, smsc):
    """start_sender(**{dotted name: value}) -> a Sender running in a thread (stopped at teardown)."""
    running = []

    def start(**settings):
        values = smpp_settings(smsc.port, **settings)
        sender = Sender(config.replace(**{k.replace(".", "__"): v for k, v in values.items()}))
        stop = threading.Event()
        thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))
        return sender
    yield start
    for stop, thread in running:
        stop.set()
        thread.join(20)
