"""The demo's SMTP sink (`appliance mail sink`, standard library only) as a real process:
the mailer delivers to it and each mail lands as a .eml file, its Chinese intact."""
import datetime
import email
import email.policy
import signal
import subprocess
import sys

from mail_support import make_customer
from peer_support import free_port, wait_for

from appliance.mail import mailer, outbox

NOON = datetime.datetime(2026, 12, 1, 4, 0)


def test_the_mailer_delivers_to_the_sink(config, database, tmp_path):
    port, inbox = free_port(), tmp_path / "mail"
    sink = subprocess.Popen([sys.executable, "-m", "appliance.cli", "mail", "sink", "--dir", str(inbox),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "mail sink on 127.0.0.1" in sink.stdout.readline()
        config = config.replace(mail__host="127.0.0.1", mail__port=port, mail__starttls=False,
                                mail__from="notice@demo.invalid")
        customer = make_customer(email="zhang@example.com")
        outbox.send_to_customer(config, customer, template="ticket_answered",
                                variables={"ticket_no": "T1", "answer": "材料已齐全，三日内赔付。"}, now=NOON)
        assert mailer.step(config, NOON) == {"sent": 1}
        (path,) = wait_for(lambda: list(inbox.glob("*.eml")), what="the .eml file")
        got = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert got["Subject"] == "【平安保险】工单已答复" and got["To"] == "zhang@example.com"
        assert "材料已齐全，三日内赔付。" in got.get_body(("plain",)).get_content()
    finally:
        sink.send_signal(signal.SIGTERM)
        assert sink.wait(timeout=30) == 0, sink.stderr.read()
