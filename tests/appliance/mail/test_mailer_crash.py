"""kill -9 of `appliance run mailer` while the relay has a mail: the claim was committed
before the send (the row is `sending`), and the restarted mailer makes it `unknown` and
never sends it again, while it sends the others."""
import signal
import subprocess
import sys
import threading

from mail_support import make_customer
from peer_support import wait_for

from appliance.config import load_config
from appliance.mail import outbox
from appliance.mail.models import MailMessage


def start_mailer(config_file):
    return subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(config_file), "run", "mailer"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def queue(config, customer):
    return outbox.send_to_customer(config, customer, template="ticket_answered",
                                   variables={"ticket_no": "T1", "answer": "已处理"})


def test_kill_9_mid_send_leaves_the_mail_unknown_never_resent(config_file, database, smtp_server):
    with open(config_file, "a") as fh:
        fh.write(f'[mail]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nstarttls = false\n'
                 f'from = "notice@branch.example.com"\npoll = 0.2\n')
    config = load_config(config_file)
    first = queue(config, make_customer(email="first@example.com"))
    handler = smtp_server.handler
    handler.hold = threading.Event()
    mailer = start_mailer(config_file)
    try:
        wait_for(handler.holding.is_set, timeout=60, what="the relay holding the first mail")
        row = MailMessage.get_by_id(first.id)
        assert (row.state, row.attempts) == ("sending", 1)  # committed before the relay heard of it
        mailer.send_signal(signal.SIGKILL)
        mailer.wait(timeout=30)
    finally:
        handler.hold.set()  # the relay may well have taken it: that is why it is unknown
    second = queue(config, make_customer(email="second@example.com"))
    mailer = start_mailer(config_file)
    try:
        wait_for(lambda: MailMessage.get_by_id(second.id).state == "sent", timeout=60, what="the second mail sent")
        row = MailMessage.get_by_id(first.id)
        assert (row.state, row.attempts) == ("unknown", 1)
        assert "not sent again" in row.failure_reason
        addresses = [m["To"] for m in handler.received]
        assert addresses.count("first@example.com") <= 1 and addresses.count("second@example.com") == 1
    finally:
        mailer.send_signal(signal.SIGTERM)
        assert mailer.wait(timeout=30) == 0, mailer.stderr.read()
