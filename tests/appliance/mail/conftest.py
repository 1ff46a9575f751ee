"""Fixtures for the e-mail channel: a real SMTP server on 127.0.0.1 (smtp_support), a
configuration pointing the mailer at it, and customers who prefer e-mail."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import smtp_support  # noqa: E402
from mail_support import make_customer  # noqa: E402

from appliance import clock  # noqa: E402


@pytest.fixture
def smtp_server():
    controller = smtp_support.start()
    yield controller
    controller.stop()


@pytest.fixture
def mail_config(config, smtp_server, database):
    """The mailer's configuration: the plain relay above, a cap of 100 an hour, the box in
    Shanghai (tests/conftest.py puts the zone back to UTC after each test)."""
    clock.set_zone("Asia/Shanghai")
    return config.replace(mail__host="127.0.0.1", mail__port=smtp_server.port, mail__starttls=False,
                          mail__from="平安保险 <notice@branch.example.com>", mail__timeout=10.0,
                          mail__per_hour_cap=100)


@pytest.fixture
def customer(database):
    return make_customer()
