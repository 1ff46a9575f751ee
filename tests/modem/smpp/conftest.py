"""Fixtures for the SMPP bearer: the fake SMSC (modem/smpp/simulator.py) on 127.0.0.1
and the bearer's sender turning in a thread against it, on a real SQLite database."""

import pytest
from smpp_support import senders

from modem.smpp.simulator import Smsc


@pytest.fixture
def smsc():
    server = Smsc(system_id="branch", password="pw").start()
    yield server
    server.stop()


@pytest.fixture
def start_sender(database, config, smsc):
    """start_sender(**{dotted name: value}) -> a Sender running in a thread (stopped at teardown)."""
    with senders(config, smsc.port) as start:
        yield start
