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
from appliance.sms import inbox, outbox
from appliance import phones
from appliance.daemon import Watchdog
from appliance.sms.models import ModemStatus
from appliance.models import audit
from appliance.sms.text import segments

from modem import pdu as pdumod
from modem.pool import PartJob

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
        self.next_ready_check = 0.0
        self.dirty = set()         # workers whose health row needs writing
        self.alarmed = {}          # worker name -> alarm already audited
        self.parts_done = 0

    # --- the loop --------------------------------------------------------------

    def start(self):
        outbox.recover_interrupted(self.clock())
        self._load_counters()

    def run(self, stop, idle_wait=0.2):
        self.start()
        watchdog = Watchdog()  # a hung step (e.g. a database lock never freed) gets smsd restarted
        while not stop.is_set():
            try:
                self.step(idle_wait)
            except Exception:
                log.exception("dispatcher step failed; carrying on")
                stop.wait(1.0)
            watchdog.pet()
        self.write_status(force=True)

    def step(self, wait=0.2):
        """Handle the events that came in, then give idle modems work: one
        transaction for both, committed before any modem hears of it."""
        events = self._take_events(wait)
        at = self.clock()
        results, reports, acks, sent = [], [], [], []
        for event in events:
            if event[0] == "result":
                self._result(event[1], event[2], event[3], at, results, sent)
        idle = self.idle_workers()
        ready = []
        if idle and (events or time.monotonic() >= self.next_ready_check):
            ready = outbox.ready_parts(len(idle), at)
            if len(ready) < len(idle):
                # Nothing more is due: with a large scheduled backlog the query is not
                # free, so ask again in half a second unless the modems report back.
                self.next_ready_check = time.monotonic() + 0.5
        jobs = []
        if events or ready:
            with dbmod.write_transaction():
                for event in events:
                    if event[0] == "inbound":
                        self._inbound(event[2], reports)
                        acks.append(event[2])
                    elif event[0] == "health":
                        self.dirty.add(event[1])
                outbox.record_results(results, at)
                outbox.record_status_reports(reports, at)
                jobs = self._next_parts(sent, at)
                taken = {w for w, _ in jobs}
                jobs += self._plan([w for w in idle if w not in taken], ready)
                claimed = outbox.claim_parts([(j.ready, w.name, w.info["imsi"], j.pdu, w.info["carrier"])
                                              for w, j in jobs], at)
            for item in acks:
                item.done.set()
        now = time.monotonic()
        for worker, job in jobs:  # only after the claims are committed
            if job.part_id in claimed:
                worker.busy = True
                worker.last_submit = now
                worker.jobs.put(job)
        if now >= self.next_housekeeping:
            self.next_housekeeping = now + 1.0
            self.housekeeping()
        if now >= self.next_status or self.dirty:
            self.write_status()
        return len(jobs)

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

    # --- results -----------------------------------------------------------------

    def _result(self, worker, job, outcome, at, results, sent):
        worker.busy = False
        self.parts_done += 1
        if outcome.kind == "sent":
            results.append(outbox.Result(job.part_id, "sent", reference=outcome.reference))
            self._count(worker)
            self.avoid.pop(job.part_id, None)
            if job.seq < job.total:
                sent.append((worker, job.message_id))
            return
        log.info("part %s on %s: %s: %s", job.part_id, worker.name, outcome.kind, outcome.error)
        if outcome.kind == "unknown":
            self._count(worker)  # it may have gone out: count it against the caps
            results.append(outbox.Result(job.part_id, "unknown", error=outcome.error))
        elif outcome.kind == "permanent":
            results.append(outbox.Result(job.part_id, "failed", error=outcome.error))
        elif job.attempts >= self.config["modems.max_attempts"]:
            results.append(outbox.Result(job.part_id, "failed",
                                         error=f"gave up after {job.attempts} attempts: {outcome.error}"))
        else:
            self.avoid.setdefault(job.part_id, set()).add(worker.name)
            delay = self.config["modems.retry_base"] * 2 ** (job.attempts - 1)
            results.append(outbox.Result(job.part_id, "retry", error=outcome.error,
                                         retry_at=at + datetime.timedelta(seconds=delay)))
        self.dirty.add(worker)

    def _next_parts(self, sent, at):
        """The next part of a long message goes on the same modem (same sender
        number), claimed in the transaction that records the previous one."""
        jobs = []
        now = time.monotonic()
        for worker, message_id in sent:
            if worker.busy or worker.state != "ok" or not self._may_send(worker, now, ignore_interval=True):
                continue
            part = outbox.next_part_of(message_id, at)
            if part is not None:
                jobs.append((worker, self._job(part, worker)))
        return jobs

    def _count(self, worker):
        imsi = worker.info["imsi"] or worker.name
        self.sent_day[imsi] = self.sent_day.get(imsi, 0) + 1
        self.sent_month[imsi] = self.sent_month.get(imsi, 0) + 1

    # --- inbound -------------------------------------------------------------------

    def _inbound(self, item, reports):
        info = item.info
        try:
            if info["type"] == "SMS-STATUS-REPORT":
                self._status_report(item, reports)
            elif info["type"] == "SMS-DELIVER":
                inbox.store_inbound(info.get("number") or "", info.get("text", ""), _local(info.get("time")),
                                    item.modem, info.get("concat"), self.clock())
            else:
                log.warning("%s: unexpected %s in the SIM store; deleted", item.modem, info["type"])
            item.stored = True
        except Exception:
            log.exception("%s: could not store an inbound PDU; it stays on the SIM", item.modem)
            item.stored = False

    def _status_report(self, item, reports):
        info = item.info
        if not info["final"]:
            log.info("%s: report for reference %s: %s", item.modem, info["reference"], info["status_words"])
            return
        reports.append((item.modem, info["reference"], info.get("number"), info["delivered"], info["status"],
                        info["status_words"]))

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
        """Give every idle healthy modem a part now (a step without waiting)."""
        return self.step(0)

    def _plan(self, idle, ready):
        plan = []
        idle = list(idle)
        for part in ready:
            if not idle:
                break
            worker = self._choose(part, idle)
            idle.remove(worker)
            plan.append((worker, self._job(part, worker)))
        return plan

    def _choose(self, part, idle):
        """Least-busy idle modem, preferring one of the recipient's carrier, then one
        not yet failed on this part; the modem of earlier parts for a long message."""
        avoid = self.avoid.get(part.part_id, ())
        fresh = [w for w in idle if w.name not in avoid] or idle
        if part.seq > 1 and part.modem:
            same = [w for w in fresh if w.name == part.modem]
            if same:
                return same[0]
        carrier = _carrier(part.to_number)
        preferred = [w for w in fresh if carrier and w.info["carrier"] == carrier] or fresh
        return min(preferred, key=lambda w: (self.sent_day.get(w.info["imsi"] or w.name, 0), w.name))

    def _job(self, part, worker):
        seg = segments(part.text)
        concat = (part.concat_ref or 0, part.part_count, part.seq) if part.part_count > 1 else None
        hex_pdu, length = pdumod.build_submit(
            part.to_number, seg.parts[part.seq - 1], seg.encoding, concat=concat,
            status_report=part.delivery_report and self.config["modems.delivery_reports"])
        return PartJob(part.part_id, part.message_id, part.to_number, hex_pdu, length, part.seq,
                       part.part_count, part.attempts + 1, ready=part)

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
        """Health rows: every modem every few seconds, and at once when one changes state."""
        workers = list(self.pool.workers.values()) if force or time.monotonic() >= self.next_status \
            else list(self.dirty)
        self.dirty = set()
        if len(workers) == len(self.pool.workers):
            self.next_status = time.monotonic() + 2.0
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
