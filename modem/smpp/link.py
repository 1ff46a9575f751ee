"""One SMPP 3.4 transceiver session with the SMSC, owned by one thread.

The sender's thread is the only one that touches the socket: it sends PDUs and
reads what arrived with select() and a timeout, instead of smpplib's Client, whose
blocking read loop would need a second thread racing the first on the socket.
smpplib builds and parses the PDUs (modem/smpp/pdus.py).

The link keeps itself alive: after `enquire_every` seconds with nothing received it
sends enquire_link; when an enquire_link, the bind or a submit_sm stays unanswered
that long, the link is dead (LinkDown), as it is when the SMSC closes or unbinds.
"""
import logging
import select
import socket
import time

from smpplib import consts

from modem.smpp import pdus

log = logging.getLogger(__name__)

BIND_TIMEOUT = 10.0


class LinkDown(Exception):
    """The session ended; the message says why, in words."""


def status_words(status):
    """An SMPP command_status in words."""
    return f"{consts.DESCRIPTIONS.get(status, 'unknown status')} (0x{status:08x})"


class Link:
    def __init__(self, host, port, system_id, password, system_type="", enquire_every=30.0):
        self.host, self.port = host, port
        self.system_id, self.password, self.system_type = system_id, password, system_type
        self.enquire_every = enquire_every
        self.sequence = pdus.Sequence()
        self.sock = None
        self.buffer = bytearray()
        self.last_received = 0.0
        self.enquire_sent = None   # monotonic time of the enquire_link awaiting its answer
        self.early = []            # PDUs that came with the bind's answer (a receipt waiting at the SMSC)

    # --- open and close ------------------------------------------------------------

    def bind(self):
        """Connect and bind as transceiver; LinkDown with the reason if refused."""
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=BIND_TIMEOUT)
        except OSError as exc:
            raise LinkDown(f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.enquire_sent = None
        self.send(pdus.make("bind_transceiver", self.sequence, system_id=self.system_id, password=self.password,
                            system_type=self.system_type, addr_ton=0, addr_npi=0, address_range=""))
        deadline = time.monotonic() + BIND_TIMEOUT
        self.early = []
        while time.monotonic() < deadline:
            got = self.read(deadline - time.monotonic())
            for n, pdu in enumerate(got):
                if pdu.command == "bind_transceiver_resp":
                    if pdu.status:
                        self.close()
                        raise LinkDown(f"the SMSC refused the bind as {self.system_id!r}: {status_words(pdu.status)}")
                    log.info("bound to %s:%s as %s", self.host, self.port, self.system_id)
                    self.early = got[n + 1:]  # read() hands them out first
                    return
        self.close()
        raise LinkDown(f"no answer to bind_transceiver in {BIND_TIMEOUT:g} s")

    def close(self, unbind=False):
        if self.sock is None:
            return
        if unbind:
            try:
                self.send(pdus.make("unbind", self.sequence))
            except LinkDown:
                pass
        try:
            self.sock.close()
        finally:
            self.sock = None

    @property
    def open(self):
        return self.sock is not None

    # --- traffic -------------------------------------------------------------------

    def send(self, pdu):
        try:
            self.sock.sendall(pdu.generate())
        except OSError as exc:
            self.close()
            raise LinkDown(f"sending {pdu.command} failed: {exc.strerror or exc}") from None
        return pdu

    def request(self, command, **fields):
        """Send a request PDU; returns it (its .sequence names its answer)."""
        return self.send(pdus.make(command, self.sequence, **fields))

    def answer(self, request, command, status=0, **fields):
        self.send(pdus.response(command, request, status=status, **fields))

    def read(self, timeout):
        """PDUs that arrive within `timeout` seconds (maybe none). enquire_link and
        unbind are answered here; LinkDown when the SMSC closed or unbound."""
        if self.early:
            early, self.early = self.early, []
            return early
        try:
            readable, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
            if not readable:
                return []
            data = self.sock.recv(65536)
        except OSError as exc:
            self.close()
            raise LinkDown(f"reading failed: {exc.strerror or exc}") from None
        if not data:
            self.close()
            raise LinkDown("the SMSC closed the connection")
        self.buffer += data
        try:
            got = pdus.take_pdus(self.buffer)
        except ValueError as exc:
            self.close()
            raise LinkDown(str(exc)) from None
        self.last_received = time.monotonic()
        self.enquire_sent = None  # anything heard proves the link alive
        rest = []
        for pdu in got:
            if pdu.command == "enquire_link":
                self.answer(pdu, "enquire_link_resp")
            elif pdu.command == "unbind":
                self.answer(pdu, "unbind_resp")
                self.close()
                raise LinkDown("the SMSC unbound the session")
            elif pdu.command != "enquire_link_resp":
                rest.append(pdu)
        return rest

    def keep_alive(self, oldest_unanswered=None):
        """enquire_link on a quiet link; LinkDown when it, or a submit sent at
        `oldest_unanswered` (monotonic), went unanswered for enquire_every seconds."""
        now = time.monotonic()
        if self.enquire_sent is not None and now - self.enquire_sent > self.enquire_every:
            self.close()
            raise LinkDown(f"no answer to enquire_link in {self.enquire_every:g} s: the link is dead")
        if oldest_unanswered is not None and now - oldest_unanswered > self.enquire_every:
            self.close()
            raise LinkDown(f"a submit_sm stayed unanswered for {self.enquire_every:g} s: the link is dead")
        if self.enquire_sent is None and now - self.last_received >= self.enquire_every:
            self.request("enquire_link")
            self.enquire_sent = now

    def next_check(self):
        """Seconds until keep_alive() has something to do."""
        now = time.monotonic()
        if self.enquire_sent is not None:
            return max(0.0, self.enquire_sent + self.enquire_every - now)
        return max(0.0, self.last_received + self.enquire_every - now)
