"""The dispatcher: the one thread of smsd that writes the database.

It claims queued parts for idle modems (committed as `sending` before a modem
gets them), records what the modems report back (sent with its reference,
retry, failed, unknown), stores inbound SMS and delivery reports before the
modem may delete them, expires messages whose window ended, and keeps the
modem health table current. Events from the modem workers are handled in
batches, one transaction per batch.
"""
import datetime
import logging
import queue
import time

from appliance import db as dbmod
from appliance import inbox, outbox, phones
from appliance.messages import ModemStatus
from appliance.models import audit
from appliance.sms_text import segments

from . import pdu as pdumod

log = logging.getLogger(__name__)

BATCH = 200


class Dispatcher:
    def __init__(self, config, pool, clock=datetime.datetime.now):
        self.config = config
        self.pool = pool
        self.clock = clock
        self.avoid = {}            # part id -> modems that failed it (try another first)
        self.sent_day = {}         # imsi -> parts today
        self.sent_month = {}       # imsi -> parts this month
        self.counted_for = None    # the date the counters are for
        self.next_housekeeping = 0.0
        self.next_status = 0.0
        self.dirty = set()         # workers whose health row needs writing
        self.alarmed = {}          # worker name -> alarm already audited
        self.parts_done = 0

    # --- the loop --------------------------------------------------------------

    def start(self):
        outbox.recover_interrupted(self.clock())
        self._load_counters()

    def run(self, stop, idle_wait=0.2):
        self.start()
        while not stop.is_set():
            try:
                self.step(idle_wait)
            except Exception:
                log.exception("dispatcher step failed; carrying on")
                stop.wait(1.0)
        self.write_status(force=True)

    def step(self, wait=0.2):
        events = self._take_events(wait)
        follow_ups, acks = [], []
        if events:
            with dbmod.write_transaction():
                for event in events:
                    self._handle(event, follow_ups, acks)
            for item in acks:
                item.done.set()
            for worker, job in follow_ups:
                worker.jobs.put(job)
        self.assign()
        now = time.monotonic()
        if now >= self.next_housekeeping:
            self.next_housekeeping = now + 1.0
            self.housekeeping()
        if now >= self.next_status or self.dirty:
            self.write_status()

    def _take_events(self, wait):
        events = []
        try:
            events.append(self.pool.events.get(timeout=wait))
        except queue.Empty:
            return events
        while len(events) < BATCH:
            try:
                events.append(self.pool.events.get_nowait())
            except queue.Empty:
                break
        return events

    def _handle(self, event, follow_ups, acks):
        kind = event[0]
        if kind == "result":
            _, worker, job, outcome = event
            self._result(worker, job, outcome, follow_ups)
        elif kind == "inbound":
            _, worker, item = event
            self._inbound(item)
            acks.append(item)
        elif kind == "health":
            self.dirty.add(event[1])

    # --- results -----------------------------------------------------------------

    def _result(self, worker, job, outcome, follow_ups):
        at = self.clock()
        worker.busy = False
        self.parts_done += 1
        if outcome.kind == "sent":
            outbox.record_sent(job.part_id, outcome.reference, at)
            self._count(worker)
            self.avoid.pop(job.part_id, None)
            nxt = self._claim_next_part(worker, job.message_id)
            if nxt is not None:
                follow_ups.append((worker, nxt))
            return
        log.info("part %s on %s: %s: %s", job.part_id, worker.name, outcome.kind, outcome.error)
        if outcome.kind == "unknown":
            self._count(worker)  # it may have gone out: count it against the caps
            outbox.record_unknown(job.part_id, outcome.error, at)
        elif outcome.kind == "permanent":
            outbox.record_failed(job.part_id, outcome.error, at)
        elif job.attempts >= self.config["modems.max_attempts"]:
            outbox.record_failed(job.part_id, f"gave up after {job.attempts} attempts: {outcome.error}", at)
        else:
            self.avoid.setdefault(job.part_id, set()).add(worker.name)
            delay = self.config["modems.retry_base"] * 2 ** (job.attempts - 1)
            outbox.record_retry(job.part_id, outcome.error, at + datetime.timedelta(seconds=delay), at)
        self.dirty.add(worker)

    def _claim_next_part(self, worker, message_id):
        """The next part of a long message goes on the same modem (same sender number),
        claimed in the transaction that records the previous one."""
        part = outbox.next_part_of(message_id, self.clock())
        if part is None or not self._may_send(worker, time.monotonic(), ignore_interval=True):
            return None
        job = self._job(part, worker)
        if not outbox.claim_part(part.id, worker.name, worker.info["imsi"], job.pdu, worker.info["carrier"]):
            return None
        worker.busy = True
        worker.last_submit = time.monotonic()
        return job

    def _count(self, worker):
        imsi = worker.info["imsi"] or worker.name
        self.sent_day[imsi] = self.sent_day.get(imsi, 0) + 1
        self.sent_month[imsi] = self.sent_month.get(imsi, 0) + 1
        self.dirty.add(worker)

    # --- inbound -------------------------------------------------------------------

    def _inbound(self, item):
        info = item.info
        try:
            if info["type"] == "SMS-STATUS-REPORT":
                self._status_report(item)
            elif info["type"] == "SMS-DELIVER":
                inbox.store_inbound(info.get("number") or "", info.get("text", ""), _local(info.get("time")),
                                    item.modem, info.get("concat"), self.clock())
            else:
                log.warning("%s: unexpected %s in the SIM store; deleted", item.modem, info["type"])
            item.stored = True
        except Exception:
            log.exception("%s: could not store an inbound PDU; it stays on the SIM", item.modem)
            item.stored = False

    def _status_report(self, item):
        info = item.info
        if not info["final"]:
            log.info("%s: report for reference %s: %s", item.modem, info["reference"], info["status_words"])
            return
        part_id = outbox.record_status_report(item.modem, info["reference"], info.get("number"),
                                              info["delivered"], info["status"], info["status_words"],
                                              self.clock())
        if part_id is None:
            log.warning("%s: delivery report for reference %s matches no part", item.modem, info["reference"])

    # --- assigning work ---------------------------------------------------------------

    def _may_send(self, worker, now, ignore_interval=False):
        imsi = worker.info["imsi"] or worker.name
        daily, monthly = self.config["modems.daily_cap"], self.config["modems.monthly_cap"]
        if daily and self.sent_day.get(imsi, 0) >= daily:
            return False
        if monthly and self.sent_month.get(imsi, 0) >= monthly:
            return False
        if not ignore_interval and now - worker.last_submit < self.config["modems.min_interval"]:
            return False
        return True

    def idle_workers(self):
        now = time.monotonic()
        return [w for w in self.pool.ready() if not w.busy and self._may_send(w, now)]

    def assign(self):
        """Give every idle healthy modem a part, best part first."""
        idle = self.idle_workers()
        if not idle:
            return 0
        parts = outbox.ready_parts(len(idle), self.clock())
        if not parts:
            return 0
        plan = []
        for part in parts:
            worker = self._choose(part, idle)
            if worker is None:
                continue
            idle.remove(worker)
            plan.append((worker, self._job(part, worker)))
            if not idle:
                break
        given = []
        with dbmod.write_transaction():
            for worker, job in plan:
                if outbox.claim_part(job.part_id, worker.name, worker.info["imsi"], job.pdu, worker.info["carrier"]):
                    given.append((worker, job))
        now = time.monotonic()
        for worker, job in given:  # only after the claims are committed
            worker.busy = True
            worker.last_submit = now
            worker.jobs.put(job)
        return len(given)

    def _choose(self, part, idle):
        """Least-busy idle modem, preferring one of the recipient's carrier, then one
        not yet failed on this part; the modem of earlier parts for a long message."""
        avoid = self.avoid.get(part.id, ())
        fresh = [w for w in idle if w.name not in avoid] or idle
        if part.seq > 1 and part.modem:
            same = [w for w in fresh if w.name == part.modem]
            if same:
                return same[0]
        carrier = _carrier(part.message.to_number)
        preferred = [w for w in fresh if carrier and w.info["carrier"] == carrier] or fresh
        return min(preferred, key=lambda w: (self.sent_day.get(w.info["imsi"] or w.name, 0), w.name))

    def _job(self, part, worker):
        message = part.message
        seg = segments(message.text)
        concat = (part.concat_ref or 0, message.part_count, part.seq) if message.part_count > 1 else None
        hex_pdu, length = pdumod.build_submit(
            message.to_number, seg.parts[part.seq - 1], seg.encoding, concat=concat,
            status_report=message.delivery_report and self.config["modems.delivery_reports"])
        from .pool import PartJob
        return PartJob(part.id, message.id, message.to_number, hex_pdu, length, part.seq,
                       message.part_count, part.attempts + 1)

    # --- housekeeping -----------------------------------------------------------------

    def housekeeping(self):
        at = self.clock()
        if self.counted_for != at.date():
            self._load_counters()
        outbox.expire_due(at)
        inbox.flush_incomplete(self.config["modems.concat_timeout"], at)
        if time.monotonic() >= self.pool.next_scan:
            self.pool.scan()

    def _load_counters(self):
        at = self.clock()
        day = at.replace(hour=0, minute=0, second=0, microsecond=0)
        self.sent_day = outbox.sent_counts(day)
        self.sent_month = outbox.sent_counts(day.replace(day=1))
        self.counted_for = at.date()

    def write_status(self, force=False):
        workers = list(self.pool.workers.values()) if force or time.monotonic() >= self.next_status \
            else list(self.dirty)
        self.dirty = set()
        self.next_status = time.monotonic() + 5.0
        if not workers:
            return
        at = self.clock()
        with dbmod.write_transaction():
            for worker in workers:
                snap = worker.snapshot()
                imsi = snap["imsi"] or worker.name
                row = {k: snap[k] for k in ("port", "device", "state", "alarm", "errors", "received", "busy",
                                            "imei", "imsi", "iccid", "operator", "carrier", "sim_state",
                                            "registration", "signal_dbm")}
                row.update(sent_today=self.sent_day.get(imsi, 0), sent_month=self.sent_month.get(imsi, 0),
                           updated_at=at,
                           last_activity=datetime.datetime.fromtimestamp(worker.last_activity)
                           if worker.last_activity else None)
                update = {getattr(ModemStatus, k): v for k, v in row.items() if k != "port"}
                ModemStatus.insert(**row).on_conflict(conflict_target=[ModemStatus.port], update=update).execute()
                if snap["alarm"] and self.alarmed.get(worker.name) != snap["alarm"]:
                    audit("system", "modem.alarm", worker.name, snap["alarm"], "smsd")
                    self.alarmed[worker.name] = snap["alarm"]
                elif not snap["alarm"] and worker.name in self.alarmed:
                    audit("system", "modem.rejoined", worker.name, "back in the pool", "smsd")
                    del self.alarmed[worker.name]


def _carrier(number):
    try:
        return phones.carrier_name(number)
    except Exception:  # a number phonenumbers cannot parse has no carrier
        return ""


def _local(when):
    """A PDU timestamp (with its zone) as naive local time, like the rest of the database."""
    if when is None:
        return None
    return when.astimezone().replace(tzinfo=None)
