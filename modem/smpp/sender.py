"""The SMPP bearer's loop: claims parts, submits them, records what the SMSC says.

One thread does it all, the socket (modem/smpp/link.py) and the database, in turns:
read what arrived (select with a short timeout), record it in one write transaction
(submit_sm_resp results, delivery receipts, MO messages), answer the deliver_sm only
after that commit, then claim as many parts as the window and the account's rate allow
and submit them only after the claim committed.

Crash rules, as for the modems (appliance/sms/delivery.py): a part is `sending`
(modem 'smpp', claimed_by this box) in a committed transaction before its submit_sm
leaves; submit_sm_resp OK makes it `sent` with bearer_ref = the SMSC's message_id;
a refusal that means "not now" (ESME_RTHROTTLED, ESME_RMSGQFUL) puts it back to
`queued` with next_attempt_at (it never went on the air) and pauses the bearer; a
link lost with submits unanswered makes those parts `unknown`, never re-sent
silently; at start the box's `sending` SMPP parts become `unknown`
(delivery.recover_interrupted). A receipt or MO the SMSC sent is stored before
deliver_sm_resp, so a crash in between makes the SMSC send it again, never lose it.
"""
import datetime
import logging
import time
from dataclasses import dataclass

import peewee
from smpplib import consts

from appliance import clock, db as dbmod
from appliance.cluster import boxes
from appliance.cluster.identity import box_name
from appliance.models import audit
from appliance.privacy import mask_mobile
from appliance.sms import delivery, inbox, routing
from appliance.sms.models import MessagePart, ModemStatus
from appliance.sms.text import segments
from modem.smpp import pdus
from modem.smpp.link import Link, LinkDown, status_words
from modem.smpp.pacing import Backoff, TokenBucket

log = logging.getLogger(__name__)

PORT = "smpp"          # the bearer's row in the modem table (ModemStatus.port) and parts' modem
NOT_NOW = {consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL}
TRANSIENT = {consts.SMPP_ESME_RSYSERR, consts.SMPP_ESME_RX_T_APPN, consts.SMPP_ESME_RSUBMITFAIL,
             consts.SMPP_ESME_RDELIVERYFAILURE}
RECONNECT_LIMIT = 300.0   # the reconnect wait doubles up to 5 minutes
THROTTLE_FIRST, THROTTLE_LIMIT = 1.0, 60.0
READY_CHECK = 0.5      # seconds between looks for parts when the last look found none
HOUSEKEEPING = 1.0
STATUS = 2.0
DRAIN = 5.0            # seconds a stop waits for answers to the submits in flight
OVERFLOW_CHECK = 5.0   # seconds between asking routing how many modem-routed parts SMPP may take


@dataclass
class InFlight:
    part: delivery.ReadyPart
    at: float          # monotonic time the submit_sm left


class Sender:
    def __init__(self, config, stopping=None):
        self.config = config
        self.box = box_name(config)
        self.stopping = stopping
        self.link = Link(config["smpp.host"], config["smpp.port"], config["smpp.system_id"], config["smpp.password"],
                         config["smpp.system_type"], config["smpp.enquire_link"])
        self.window = config["smpp.window"]
        self.bucket = TokenBucket(config["smpp.rate"])
        self.reconnect = Backoff(config["smpp.reconnect"], RECONNECT_LIMIT)
        self.throttle = Backoff(THROTTLE_FIRST, THROTTLE_LIMIT)
        self.relock = not isinstance(dbmod.database.obj, peewee.SqliteDatabase)
        self.inflight = {}        # sequence number -> InFlight
        self.next_connect = 0.0   # monotonic
        self.paused_until = 0.0   # monotonic: no submits before (the SMSC said "not now")
        self.next_look = 0.0      # monotonic: when to look for ready parts again
        self.next = {}            # periodic task -> monotonic due time
        self.overflow_left, self.overflow_at = 0, None
        self.alarm, self.errors = "not bound yet", 0
        self.sent_today, self.counted_for = 0, None
        self.parts_done = 0       # submits answered or lost (for the bench)
        self.last_activity = None

    # --- the loop ----------------------------------------------------------------------

    def start(self, now=None):
        now = now or clock.now()
        dbmod.retrying(boxes.beat, self.box, now)
        delivery.recover_interrupted(now, box=self.box, bearer="smpp")
        self._count_today(now)
        self.write_status(force=True)

    def run(self, stop, beat=lambda: None):
        """Turn until `stop` is set; then wait a little for the answers in flight, unbind."""
        self.stopping = stop
        self.start()
        while not stop.is_set():
            try:
                self.step()
            except dbmod.Busy:
                log.warning("smpp: the database stayed busy; trying again")
            except Exception:
                log.exception("smpp: a turn failed; dropping the link and carrying on")
                self._lost("an internal error (see the log)")
                stop.wait(1.0)
            beat()
        self.finish()

    def step(self, wait=0.2):
        if not self.link.open:
            if time.monotonic() >= self.next_connect:
                self._connect()
            else:
                self._idle(min(wait, self.next_connect - time.monotonic()))
        if self.link.open:
            try:
                self._turn(wait)
            except LinkDown as exc:
                self._lost(str(exc))
        if self._due("housekeeping", HOUSEKEEPING):
            dbmod.retrying(self.housekeeping)
        self.write_status()

    def finish(self):
        """Stop: answers to the submits in flight are awaited a little; then unbind.
        What is still unanswered is `unknown` (it may be on the air)."""
        deadline = time.monotonic() + DRAIN
        while self.link.open and self.inflight and time.monotonic() < deadline:
            try:
                self._handle(self.link.read(0.2))
            except LinkDown as exc:
                self._lost(str(exc))
        if self.inflight:
            self._lost("the daemon stopped before the SMSC answered")
        self.link.close(unbind=True)
        self.alarm = "stopped"
        self.write_status(force=True)

    def _idle(self, seconds):
        if seconds > 0:
            if self.stopping is not None:
                self.stopping.wait(seconds)
            else:
                time.sleep(seconds)

    def _due(self, task, period):
        now = time.monotonic()
        if now < self.next.get(task, 0.0):
            return False
        self.next[task] = now + period
        return True

    # --- the link ----------------------------------------------------------------------

    def _connect(self):
        try:
            self.link.bind()
        except LinkDown as exc:
            delay = self.reconnect.next()
            self.next_connect = time.monotonic() + delay
            self.errors += 1
            self._set_alarm(f"{exc}; trying again in {delay:g} s")
            self.write_status(force=True)
            return
        self.reconnect.reset()
        self.last_activity = clock.now()
        self._set_alarm("")
        self.write_status(force=True)

    def _lost(self, reason):
        """The link is gone: its unanswered submits become `unknown` (committed), and a
        bind is tried again after the backoff."""
        self.link.close()
        lost, self.inflight = list(self.inflight.values()), {}
        if lost:
            error = f"the SMPP link dropped with its submit_sm unanswered ({reason}); not re-sent"
            dbmod.retrying(self._record_lost, [delivery.Result(f.part.part_id, "unknown", error=error) for f in lost])
            self.parts_done += len(lost)
            log.warning("smpp: %d part(s) in flight when the link dropped: marked unknown", len(lost))
        delay = self.reconnect.next()
        self.next_connect = time.monotonic() + delay
        self.errors += 1
        self._set_alarm(f"{reason}; binding again in {delay:g} s")
        self.write_status(force=True)

    def _record_lost(self, results):
        with dbmod.write_transaction():
            delivery.record_results(results)

    def _set_alarm(self, words):
        if words and words != self.alarm:
            log.warning("smpp: %s", words)
        if words and not self.alarm:
            audit("system", "modem.alarm", PORT, words, "smpp")
        elif not words and self.alarm and self.alarm != "not bound yet":
            audit("system", "modem.rejoined", PORT, "bound again", "smpp")
        self.alarm = words

    # --- one turn ----------------------------------------------------------------------

    def _turn(self, wait):
        self._handle(self.link.read(self._read_timeout(wait)))
        self._submit_more()
        oldest = min((f.at for f in self.inflight.values()), default=None)
        self.link.keep_alive(oldest)

    def _read_timeout(self, wait):
        """Short when a submit may go soon, else up to `wait` (or the keep-alive's due)."""
        timeout = min(wait, self.link.next_check())
        now = time.monotonic()
        if len(self.inflight) < self.window and now >= self.paused_until and now >= self.next_look:
            timeout = min(timeout, self.bucket.wait(now))
        return timeout

    def _handle(self, got):
        """Record what the SMSC said in one transaction; answer its deliver_sm after."""
        if not got:
            return
        now = clock.now()
        answered, results, receipts, mos, acks = [], [], [], [], []
        for pdu in got:
            if pdu.command in ("submit_sm_resp", "generic_nack"):
                flight = self.inflight.get(pdu.sequence)
                if flight is None:
                    log.warning("smpp: %s for sequence %s, which is not in flight", pdu.command, pdu.sequence)
                    continue
                answered.append(pdu.sequence)
                results.append(self._result(flight, pdu, now))
            elif pdu.command == "deliver_sm":
                (receipts if pdus.is_receipt(pdu) else mos).append(pdu)
                acks.append(pdu)
            else:
                log.info("smpp: %s from the SMSC ignored", pdu.command)
        refused = dbmod.retrying(self._record, results, receipts, mos, now)
        for sequence in answered:  # committed: they are no longer in flight
            self.inflight.pop(sequence, None)
        self.parts_done += len(answered)
        self.last_activity = now
        if answered:
            self.next_look = 0.0  # answers free the window: look for parts at once
        for pdu in acks:  # an MO that could not be stored: "try again later", the link stays up
            self.link.answer(pdu, "deliver_sm_resp", status=consts.SMPP_ESME_RX_T_APPN if id(pdu) in refused else 0)

    def _result(self, flight, pdu, now):
        part, status = flight.part, pdu.status or 0
        attempts = part.attempts + 1
        if status == 0 and pdu.command == "submit_sm_resp":
            self.throttle.reset()
            self.sent_today += 1
            return delivery.Result(part.part_id, "sent", bearer_ref=pdus.text_field(pdu, "message_id"))
        words = status_words(status)
        if status in NOT_NOW:
            # One step of the backoff per pause, not per refusal: a window of submits refused
            # together (Jasmin's quota refuses all but one of a burst) must not double it ten times.
            mono = time.monotonic()
            if mono >= self.paused_until:
                self.paused_until = mono + self.throttle.next()
            delay = self.paused_until - mono
            self.bucket.empty(mono)
            return delivery.Result(part.part_id, "retry", error=f"the SMSC said not now: {words}",
                                   retry_at=now + datetime.timedelta(seconds=delay))
        self.errors += 1
        if status in TRANSIENT and attempts < self.config["modems.max_attempts"]:
            delay = self.config["modems.retry_base"] * 2 ** (attempts - 1)
            return delivery.Result(part.part_id, "retry", error=f"the SMSC refused it for now: {words}",
                                   retry_at=now + datetime.timedelta(seconds=delay))
        return delivery.Result(part.part_id, "failed", error=f"the SMSC refused it: {words}")

    def _record(self, results, receipts, mos, now):
        with dbmod.write_transaction():
            delivery.record_results(results, now)
            final = [pdus.parse_receipt(p) for p in receipts]
            for receipt in final:
                if not receipt.final:
                    log.info("smpp: receipt for %s: %s (not final)", receipt.message_id, receipt.stat)
            final = [r for r in final if r.final]
            matched = delivery.record_receipts([(r.message_id, r.number, r.delivered, pdus.MESSAGE_STATES.get(r.stat),
                                                 r.words()) for r in final], now)
            for receipt, part_id in zip(final, matched):
                if part_id is None:
                    log.warning("smpp: a receipt for message_id %s matches no part sent over SMPP", receipt.message_id)
            return {id(pdu) for pdu in mos if not self._store_mo(pdu, now)}

    def _store_mo(self, pdu, now):
        """Store one MO (its own savepoint); False when it could not be, so that one bad
        message is answered "try again later" instead of dropping the link for all."""
        try:
            with dbmod.write_transaction():
                self._store_mo_text(pdu, now)
            return True
        except Exception as exc:
            if dbmod.is_busy(exc):
                raise  # the whole turn is tried again
            log.exception("smpp: could not store an MO from %s; the SMSC will send it again",
                          mask_mobile(pdus.text_field(pdu, "source_addr")))
            return False

    def _store_mo_text(self, pdu, now):
        concat, payload = pdus.split_udh(pdu.short_message or pdu.message_payload or b"", pdu.esm_class or 0)
        sender = pdus.text_field(pdu, "source_addr")
        if (pdu.source_addr_ton or 0) == 1 and not sender.startswith("+"):
            sender = "+" + sender
        inbox.store_inbound(sender, pdus.decode_text(payload, pdu.data_coding or 0), None, PORT, concat, now)

    # --- submitting ----------------------------------------------------------------------

    def _submit_more(self):
        mono = time.monotonic()
        if mono < self.paused_until or mono < self.next_look:
            return
        room = min(self.window - len(self.inflight), self.bucket.available(mono))
        if room <= 0:
            return
        claimed = dbmod.retrying(self._claim, room, clock.now())
        if len(claimed) < room:
            self.next_look = mono + READY_CHECK
        for part, pdu in claimed:  # the claims are committed: now they may go on the air
            self.link.send(pdu)
            self.inflight[pdu.sequence] = InFlight(part, time.monotonic())
        self.bucket.take(len(claimed), mono)

    def _claim(self, count, now):
        """Claim up to `count` parts (committed before returning): [(part, submit_sm PDU)].
        SMPP-routed parts first; modem-routed ones as overflow while routing allows."""
        with dbmod.write_transaction():
            parts = delivery.ready_parts(count, now, box=self.box, lock=self.relock, bearer="smpp")
            overflow = []
            if len(parts) < count and self._overflow(now) > 0:
                taken = {p.message_id for p in parts}
                extra = delivery.ready_parts(count, now, box=self.box, lock=self.relock, bearer="overflow")
                overflow = [p for p in extra if p.message_id not in taken][:min(count - len(parts), self.overflow_left)]
            built = [(part, self._pdu(part)) for part in parts + overflow]
            claimed = delivery.claim_parts([(part.part_id, PORT, "", pdu.short_message.hex(), "")
                                            for part, pdu in built], now, box=self.box)
        self.overflow_left -= sum(1 for part in overflow if part.part_id in claimed)
        return [(part, pdu) for part, pdu in built if part.part_id in claimed]

    def _overflow(self, now):
        """Modem-routed parts the SMPP bearer may take now (routing.overflow_allowance, a
        counting query over the queue: asked every few seconds, counted down meanwhile)."""
        if self.overflow_at is None or abs((now - self.overflow_at).total_seconds()) >= OVERFLOW_CHECK:
            self.overflow_left = max(0, int(routing.overflow_allowance(self.config, now) or 0))
            self.overflow_at = now
        return self.overflow_left

    def _pdu(self, part):
        """The submit_sm of a part: the same text, UDH and concat_ref on every try."""
        seg = segments(part.text)
        concat = (part.concat_ref or 0, part.part_count, part.seq) if part.part_count > 1 else None
        fields = pdus.submit_fields(part.to_number, seg.parts[part.seq - 1], seg.encoding, concat=concat,
                                    source_addr=self.config["smpp.source_addr"], report=part.delivery_report)
        return pdus.make("submit_sm", self.link.sequence, **fields)

    # --- housekeeping and health ---------------------------------------------------------

    def housekeeping(self, now=None):
        now = now or clock.now()
        if self._due("beat", boxes.beat_interval(self.config["box.heartbeat_timeout"]).total_seconds()):
            boxes.beat(self.box, now)
        if self.counted_for != clock.today(now):
            self._count_today(now)
        delivery.expire_due(now)
        inbox.flush_incomplete(self.config["modems.concat_timeout"], now)

    def _count_today(self, now):
        today = clock.today(now)
        self.sent_today = (MessagePart.select().where(MessagePart.modem == PORT, MessagePart.claimed_by == self.box,
                                                      MessagePart.sent_at >= clock.day_start(today)).count())
        self.counted_for = today

    def write_status(self, force=False):
        if force or self._due("status", STATUS):
            dbmod.retrying(self._write_status_row, clock.now())

    def _write_status_row(self, now):
        row = {"box": self.box, "port": PORT, "device": f"smpp://{self.link.host}:{self.link.port}",
               "state": "ok" if self.link.open else "absent", "operator": self.config["smpp.system_id"],
               "sent_today": self.sent_today, "errors": self.errors, "alarm": self.alarm[:250],
               "busy": bool(self.inflight), "last_activity": self.last_activity, "updated_at": now}
        update = {getattr(ModemStatus, k): v for k, v in row.items() if k not in ("box", "port")}
        with dbmod.write_transaction():
            ModemStatus.insert(**row).on_conflict(conflict_target=[ModemStatus.box, ModemStatus.port],
                                                  update=update).execute()
