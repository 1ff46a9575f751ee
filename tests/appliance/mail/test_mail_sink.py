"""The demo's SMTP sink (`appliance mail sink`, standard library only) as a real process:
the mailer delivers to it and each mail lands as a .eml file, its Chinese intact. And
`appliance doctor`'s e-mail lines for branch IT."""
import datetime
import email
import email.policy
import signal
import subprocess
import sys

import smtp_support
from mail_support import make_customer
from peer_support import free_port, wait_for

from appliance.mail import mailer, outbox
from appliance.mail.models import MailMessage

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


def test_doctor_says_whether_the_relay_answers(mail_config, smtp_server, customer, tmp_path):
    from appliance.mail import doctor
    (line,) = doctor.doctor_check(mail_config)
    assert line == ("ok", "e-mail relay", f"127.0.0.1:{smtp_server.port} answers")
    tls = smtp_support.start(tls_dir=tmp_path)
    try:
        config = mail_config.replace(mail__port=tls.port, mail__starttls=True, mail__cafile=tls.handler.cafile,
                                     mail__username=smtp_support.USER, mail__password="wrong")
        (status, _, detail) = doctor.doctor_check(config)[0]
        assert status == "fail" and detail.startswith("authentication refused: 535")
    finally:
        tls.stop()
    outbox.send_to_customer(mail_config, customer, template="birthday", now=NOON)
    MailMessage.update(state="unknown").execute()
    lines = doctor.doctor_check(mail_config.replace(mail__host=""))
    assert [s for s, _, _ in lines] == ["ok", "warn"]
    assert lines[1][2].startswith("1 mail(s) interrupted while sending")
