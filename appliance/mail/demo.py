"""The e-mail part of `appliance demo`: the SMTP sink (appliance/mail/sink.py) as the relay,
so the mailer the demo runs delivers somewhere to read (DIR/mail/*.eml)."""
import socket


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hook(demo):
    inbox, port = demo.data_dir / "mail", _free_port()
    demo.start("mailsink", demo.appliance_argv("mail", "sink", "--dir", str(inbox), "--port", str(port)))
    demo.overrides.update({"mail.host": "127.0.0.1", "mail.port": port, "mail.starttls": False,
                           "mail.from": "平安保险 <notice@demo.invalid>", "mail.poll": 2.0})
    demo.note(f"e-mail:     the mailer sends to a local sink; each mail lands in {inbox} as a .eml file "
              f"(give a customer an e-mail address and choose e-mail on the customer page)")
