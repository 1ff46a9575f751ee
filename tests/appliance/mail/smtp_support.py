"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd): it keeps what it received
and answers as a test scripts it — 4xx or 5xx for some recipients or the next DATA,
STARTTLS with a self-signed certificate and AUTH PLAIN/LOGIN."""
import email
import email.policy
import logging
import subprocess
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from peer_support import free_port

# aiosmtpd's own chatter ("connection lost") comes from its thread, sometimes after the test
# that used the server ended and pytest closed the stream the root logger wrote to ("Logging
# error" tracebacks in the run's output). The server's log is not what any test reads.
logging.getLogger("mail.log").propagate = False
logging.getLogger("mail.log").addHandler(logging.NullHandler())

USER, PASSWORD = "branch", "s3cret-pass"  # smtplib sends only ASCII credentials


class Handler:
    """What the server got (`received`: parsed messages) and what it answers."""

    def __init__(self):
        self.received = []
        self.data_answers = []    # answers for the next DATA commands ('451 …'); then 250
        self.refuse = {}          # recipient -> answer to RCPT TO
        self.hold = None          # a threading.Event DATA waits for (a mail the relay "has")
        self.holding = threading.Event()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold is not None:
            self.holding.set()
            while not self.hold.is_set():  # a blocking wait would stop the server's loop
                import asyncio
                await asyncio.sleep(0.02)
        with self.lock:
            if self.data_answers:
                return self.data_answers.pop(0)
            self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself


def self_signed(directory):
    """(cert, key) paths of a certificate for 127.0.0.1, made by openssl."""
    cert, key = directory / "relay.pem", directory / "relay.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def start(tls_dir=None):
    """A started Controller; with tls_dir, STARTTLS and AUTH are required."""
    handler = Handler()
    kwargs = {}
    if tls_dir is not None:
        import ssl
        cert, key = self_signed(tls_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        kwargs = dict(tls_context=context, require_starttls=True, authenticator=authenticator,
                      auth_require_tls=True, auth_required=True)
        handler.cafile = str(cert)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller
