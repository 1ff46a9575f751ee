"""A fake SMSC on 127.0.0.1 for unit tests and the demo ONLY — never a peer in production.

It speaks SMPP 3.4 over TCP with smpplib's PDU classes (modem/smpp/pdus.py): it
answers bind_transmitter/receiver/transceiver (checking system_id and password),
enquire_link, unbind and submit_sm (with a message_id, after `latency` seconds), sends
a delivery receipt deliver_sm (esm_class 0x04, the Appendix B text plus the
receipted_message_id and message_state TLVs) when registered_delivery asks, and
injects MO deliver_sm (long ones as UCS2/GSM parts with a concatenation UDH).

Faults on demand, for the bearer's tests: `max_rate` answers ESME_RTHROTTLED past N
submits in any second; `drop_after` closes the connection when the Nth submit
arrives (unanswered, like a link cut mid-window); `answer_enquire_link=False` leaves
a link silent; `undeliverable` numbers get an UNDELIV receipt.

It records everything it got (`pdus`, `submits`, `max_outstanding`: the most submits
a connection had unanswered at once), so a test can say what went on the air.
The tests of the real thing run against Jasmin (tests/modem/smpp/ and the jasmin work).

    python -m modem.smpp.simulator --port 2775 --system-id demo --password demo
"""
import argparse
import datetime
import heapq
import itertools
import logging
import socket
import threading
import time
from dataclasses import dataclass, field

from smpplib import consts

from appliance.sms.text import segments
from modem.smpp import pdus

log = logging.getLogger(__name__)

BIND_RESPONSES = {"bind_transmitter": "bind_transmitter_resp", "bind_receiver": "bind_receiver_resp",
                  "bind_transceiver": "bind_transceiver_resp"}


@dataclass
class Submitted:
    """One submit_sm as the SMSC got it."""
    sequence: int
    status: int               # what it answered (0 = accepted; None: never answered)
    message_id: str
    destination: str
    source: str
    data_coding: int
    esm_class: int
    concat: tuple             # (reference, total, seq) from the UDH, or None
    text: str
    registered_delivery: int
    outstanding: int          # submits of this connection unanswered when it arrived (itself included)
    at: float = field(default_factory=time.monotonic)
    answered_at: float = None  # when its submit_sm_resp left (monotonic)


class _Link:
    """One client connection: its socket, bind and unanswered submits."""

    ids = itertools.count(1)

    def __init__(self, sock):
        self.id = next(self.ids)
        self.sock = sock
        self.lock = threading.Lock()
        self.bound = ""        # the bind command once bound
        self.outstanding = 0
        self.open = True

    @property
    def receives(self):
        return self.bound in ("bind_receiver", "bind_transceiver")

    def send(self, pdu):
        data = pdu.generate()
        with self.lock:
            if not self.open:
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                return False

    def close(self):
        with self.lock:
            self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Smsc:
    """The fake SMSC. start() listens (port 0: a free one, see .port); stop() closes all."""

    def __init__(self, system_id="appliance", password="secret", host="127.0.0.1", port=0, latency=0.0,
                 receipt_delay=0.0, max_rate=None, drop_after=None, answer_enquire_link=True,
                 undeliverable=(), receipt_stat=None):
        self.system_id, self.password = system_id, password
        self.host, self.port = host, port
        self.latency, self.receipt_delay = latency, receipt_delay
        self.max_rate, self.drop_after = max_rate, drop_after
        self.answer_enquire_link = answer_enquire_link
        self.undeliverable = set(undeliverable)
        self.receipt_stat = receipt_stat    # force a stat word for every receipt (e.g. "EXPIRED")
        self.pdus = []            # (monotonic, link id, direction in|out, command, status)
        self.submits = []         # Submitted, in arrival order
        self.deliver_acks = []    # (monotonic, sequence, status) of deliver_sm_resp received
        self.max_outstanding = 0
        self.on_deliver_ack = None  # called with the deliver_sm_resp as it arrives (tests look at the peer then)
        self.binds = 0            # successful binds so far
        self.links = []
        self.changed = threading.Condition()
        self._accepted_times = []
        self._waiting = []        # deliver_sm for a receiver not bound yet (receipts wait at the SMSC)
        self._timers = []         # heap of (due, n, callable)
        self._timer_n = itertools.count()
        self._sequence = pdus.Sequence()
        self._message_ids = itertools.count(1)
        self._mo_refs = itertools.count(1)
        self._stop = threading.Event()
        self._listener = None
        self._threads = []

    # --- life ----------------------------------------------------------------------

    def start(self):
        self._listener = socket.create_server((self.host, self.port))
        self._listener.settimeout(0.2)  # accept() wakes to see stop(): closing does not wake it
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop, "smsc-accept")
        self._spawn(self._timer_loop, "smsc-timers")
        log.info("fake SMSC listening on %s:%s", self.host, self.port)
        return self

    def stop(self):
        self._stop.set()
        with self.changed:
            self.changed.notify_all()
        try:
            self._listener.close()
        except OSError:
            pass
        for link in list(self.links):
            link.close()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def drop_links(self):
        """Cut every connection now (a network fault), answering nothing more."""
        for link in list(self.links):
            link.close()

    def wait(self, predicate, timeout=10.0):
        """Wait until predicate() holds (checked whenever the SMSC records something)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(min(left, 0.2))
        return True

    def accepted(self):
        """The submits it accepted (status 0), in order."""
        return [s for s in self.submits if s.status == 0]

    # --- MO ----------------------------------------------------------------------------

    def inject_mo(self, from_number, text, to="10690000"):
        """A handset sends `text` to the account: deliver_sm per part (UDH when long)."""
        seg = segments(text)
        ref = next(self._mo_refs) % 256
        for seq, part in enumerate(seg.parts, 1):
            concat = (ref, seg.part_count, seq) if seg.part_count > 1 else None
            fields = pdus.submit_fields(to, part, seg.encoding, concat=concat, source_addr="")
            fields.update(source_addr=from_number.lstrip("+"), source_addr_ton=1 if from_number.startswith("+") else 0,
                          destination_addr=to, dest_addr_ton=0, registered_delivery=0)
            self._deliver(fields)

    # --- internals -----------------------------------------------------------------------

    def _spawn(self, target, name, *args):
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _record(self, link, direction, command, status=0):
        with self.changed:
            self.pdus.append((time.monotonic(), link.id, direction, command, status))
            self.changed.notify_all()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            link = _Link(sock)
            self.links.append(link)
            self._spawn(self._serve, f"smsc-link-{link.id}", link)

    def _serve(self, link):
        buffer = bytearray()
        try:
            while not self._stop.is_set() and link.open:
                data = link.sock.recv(65536)
                if not data:
                    break
                buffer += data
                for pdu in pdus.take_pdus(buffer):
                    self._handle(link, pdu)
                    if not link.open:
                        break
        except (OSError, ValueError) as exc:
            log.info("fake SMSC: link %s ends: %s", link.id, exc)
        finally:
            link.close()
            with self.changed:
                if link in self.links:
                    self.links.remove(link)
                self.changed.notify_all()

    def _handle(self, link, pdu):
        self._record(link, "in", pdu.command, pdu.status or 0)
        if pdu.command in BIND_RESPONSES:
            self._bind(link, pdu)
        elif pdu.command == "enquire_link":
            if self.answer_enquire_link:
                self._send(link, pdus.response("enquire_link_resp", pdu))
        elif pdu.command == "unbind":
            self._send(link, pdus.response("unbind_resp", pdu))
            link.close()
        elif pdu.command == "submit_sm":
            self._submit(link, pdu)
        elif pdu.command == "deliver_sm_resp":
            if self.on_deliver_ack is not None:
                self.on_deliver_ack(pdu)
            with self.changed:
                self.deliver_acks.append((time.monotonic(), pdu.sequence, pdu.status))
                self.changed.notify_all()
        elif pdu.command.endswith("_resp"):
            pass
        else:
            self._send(link, pdus.response("generic_nack", pdu, status=consts.SMPP_ESME_RINVCMDID))

    def _send(self, link, pdu):
        if link.send(pdu):
            self._record(link, "out", pdu.command, pdu.status or 0)

    def _bind(self, link, pdu):
        ok = pdus.text_field(pdu, "system_id") == self.system_id and \
            pdus.text_field(pdu, "password") == self.password
        if not ok:
            self._send(link, pdus.response(BIND_RESPONSES[pdu.command], pdu, status=consts.SMPP_ESME_RBINDFAIL))
            return
        link.bound = pdu.command
        self._send(link, pdus.response(BIND_RESPONSES[pdu.command], pdu, system_id="fakesmsc"))
        with self.changed:
            self.binds += 1
            waiting, self._waiting = self._waiting, []
            self.changed.notify_all()
        for fields in waiting:
            self._deliver(fields)

    def _submit(self, link, pdu):
        concat, payload = pdus.split_udh(pdu.short_message or b"", pdu.esm_class or 0)
        status, message_id, drop = self._admit()
        with self.changed:
            link.outstanding += 1
            self.max_outstanding = max(self.max_outstanding, link.outstanding)
            record = Submitted(pdu.sequence, None if drop else status, message_id,
                               pdus.text_field(pdu, "destination_addr"), pdus.text_field(pdu, "source_addr"),
                               pdu.data_coding or 0, pdu.esm_class or 0, concat,
                               pdus.decode_text(payload, pdu.data_coding or 0), pdu.registered_delivery or 0,
                               link.outstanding)
            self.submits.append(record)
            self.changed.notify_all()
        if drop:
            log.info("fake SMSC: dropping link %s at submit %s", link.id, len(self.submits))
            link.close()
            if record.registered_delivery & 1:  # it was accepted: its receipt waits for the next bind
                self._later(self.receipt_delay, self._receipt, record)
            return
        resp = pdus.response("submit_sm_resp", pdu, status=status, message_id=message_id if status == 0 else "")
        self._later(self.latency, self._answer_submit, link, resp, record)

    def _admit(self):
        """(status, message_id, drop) for a submit arriving now."""
        with self.changed:
            now = time.monotonic()
            self._accepted_times = [t for t in self._accepted_times if now - t < 1.0]
            if self.max_rate is not None and len(self._accepted_times) >= self.max_rate:
                return consts.SMPP_ESME_RTHROTTLED, "", False
            self._accepted_times.append(now)
            if self.drop_after is not None:
                self.drop_after -= 1
                if self.drop_after <= 0:
                    self.drop_after = None
                    return 0, f"{next(self._message_ids):010x}", True
            return 0, f"{next(self._message_ids):010x}", False

    def _answer_submit(self, link, resp, record):
        if not link.open:  # accepted, so it goes on the air: its receipt waits for the next bind
            if resp.status == 0 and record.registered_delivery & 1:
                self._later(self.receipt_delay, self._receipt, record)
            return
        with self.changed:
            link.outstanding -= 1
            record.answered_at = time.monotonic()
        self._send(link, resp)
        if resp.status == 0 and record.registered_delivery & 1:
            self._later(self.receipt_delay, self._receipt, record)

    def _receipt(self, record):
        stat = self.receipt_stat or ("UNDELIV" if record.destination in self.undeliverable else "DELIVRD")
        now = datetime.datetime.now(datetime.timezone.utc)
        text = pdus.receipt_text(record.message_id, stat, "000" if stat == "DELIVRD" else "001", now, now,
                                 record.text)
        self._deliver({"source_addr": record.destination, "destination_addr": record.source, "esm_class": pdus.RECEIPT,
                       "data_coding": 0, "short_message": text.encode("ascii"),
                       "receipted_message_id": record.message_id, "message_state": pdus.MESSAGE_STATES[stat]})

    def _deliver(self, fields):
        link = next((l for l in self.links if l.open and l.receives), None)
        if link is None:
            with self.changed:
                self._waiting.append(fields)
            return
        self._send(link, pdus.make("deliver_sm", self._sequence, **fields))

    def _later(self, delay, action, *args):
        if delay <= 0:
            action(*args)
            return
        with self.changed:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_n), action, args))
            self.changed.notify_all()

    def _timer_loop(self):
        while not self._stop.is_set():
            with self.changed:
                due = []
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    due.append(heapq.heappop(self._timers))
                if not due:
                    wait = self._timers[0][0] - now if self._timers else 0.5
                    self.changed.wait(min(wait, 0.5))
                    continue
            for _, _, action, args in due:
                try:
                    action(*args)
                except Exception:
                    log.exception("fake SMSC: a timed send failed")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m modem.smpp.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775)
    parser.add_argument("--system-id", default="appliance")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before a submit_sm is answered")
    parser.add_argument("--receipt-delay", type=float, default=1.0, help="seconds before the delivery receipt")
    parser.add_argument("--max-rate", type=float, default=None, help="ESME_RTHROTTLED past this many submits/s")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    smsc = Smsc(args.system_id, args.password, args.host, args.port, latency=args.latency,
                receipt_delay=args.receipt_delay, max_rate=args.max_rate).start()
    print(f"fake SMSC (tests and demo only) on {smsc.address}", flush=True)
    from appliance.daemon import stop_event_on_signals
    stop_event_on_signals().wait()
    smsc.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
