"""The dispatcher: the one thread of smsd that writes the database.

It claims queued parts for idle modems (committed as `sending` before a modem
gets them), records what the modems report back (sent with its reference,
retry, failed, unknown), stores inbound SMS and delivery reports before the
modem may delete them, expires messages whose window ended, and keeps the
modem health table current. Events from the pool are handled in batches, one
transaction per batch.

It talks to a pool only through `ready()`, `hand(worker, job)`, `events`,
`workers` and `rescan()` (modem/pool.py, or the in-memory modem/twin.py), and
keeps its own books on the modems: which are busy, when each last submitted,
how many parts each SIM (by IMSI) sent today and this month. Every step takes
`now=`, so its choices can be followed step by step.

Several boxes on one database (issue 16): it beats this box's heartbeat row,
names this box (box.name) on every part it claims and every modem row it
writes, recovers at start only this box's parts, and marks `unknown` the parts
of boxes whose heartbeat stopped (appliance.cluster.boxes).
"""
import datetime
import logging
import queue

import peewee

from appliance import clock, db as dbmod, phones
from appliance.cluster import boxes
from appliance.cluster.identity import box_name
from appliance.models import audit
from appliance.sms import delivery, inbox
from appliance.sms.models import ModemStatus
from appliance.sms.text import segments
from modem import pdu as pdumod
from modem.events import HealthChanged, Inbound, PartJob, SubmitFinished

log = logging.getLogger(__name__)

BATCH = 200
READY_CHECK = datetime.timedelta(seconds=0.5)
HOUSEKEEPING = datetime.timedelta(seconds=1)
STATUS = datetime.timedelta(seconds=2)
RESEND_CHECK = datetime.timedelta(seconds=30)


class Dispatcher:
    def __init__(self, config, pool):
        self.config = config
        self.pool = pool
        self.box = box_name(config)
        self.heartbeat_timeout = config["box.heartbeat_timeout"]
        # PostgreSQL: parts are chosen again under SKIP LOCKED in the claiming transaction
        # (other boxes claim meanwhile); SQLite's one writer needs no second look.
        self.relock = not isinstance(dbmod.database.obj, peewee.SqliteDatabase)
        self.busy = set()          # names of modems with a job handed and not finished
        self.last_submit = {}      # modem name -> when it was last handed a part
        self.avoid = {}            # part id -> modems that failed it (try another first)
        self.sent_day = {}         # imsi -> parts today
        self.sent_month = {}       # imsi -> parts this month
        self.counted_for = None    # the date the counters are for
        self.next = {}             # periodic task -> when it is due
        self.dirty = set()         # workers whose health row needs writing
        self.alarmed = {}          # worker name -> alarm already audited
        self.parts_done = 0
        self.ready_seen = {}       # modem name -> when it was last in the pool (ready)
        self.started_at = None

    # --- the loop --------------------------------------------------------------

    def start(self, now=None):
        now = now or clock.now()
        self.started_at = now
        # Alive before anything is claimed: another box's sweep of silent boxes then
        # leaves this box's new claims alone (appliance.sms.delivery.recover_dead_boxes).
        dbmod.retrying(boxes.beat, self.box, now, starting=True)
        self.next["beat"] = now + boxes.beat_interval(self.heartbeat_timeout)
        # Only the modems' parts: the box's SMPP daemon (modem/smpp/) may be submitting its own.
        delivery.recover_interrupted(now, box=self.box, bearer="modem")
        self._load_counters(now)

    def run(self, stop, idle_wait=0.2, beat=lambda: None):
        """Turn until `stop` is set; `beat()` after every turn, failed ones too (the loop
        carries on after those), so smsd can tell a stuck loop (e.g. a database lock
        never freed) from a quiet one."""
        self.start()
        while not stop.is_set():
            try:
                self.step(idle_wait)
            except dbmod.Busy:  # another daemon's long write: waited for, not a fault here
                log.warning("dispatcher: the database stayed busy; trying again")
            except Exception:
                log.exception("dispatcher step failed; carrying on")
                stop.wait(1.0)
            beat()
        self.write_status(force=True)

    def step(self, wait=0.2, now=None):
        """Handle the events that came in, then give idle modems work: one
        transaction for both, committed before any modem hears of it. Returns
        how many parts were handed out."""
        events = self._take_events(wait)
        now = now or clock.now()
        if self.counted_for != clock.today(now):
            self._load_counters(now)  # a new day: the daily caps start again
        results, sent = self._results(events, now)
        idle = self.idle_workers(now)
        ready = self._ready_parts(idle, bool(events), now)
        jobs = []
        if events or ready:
            # Safe to try again: the transaction rolled back whole, and _commit
            # changes nothing outside it until it has committed.
            jobs = dbmod.retrying(self._commit, events, results, sent, idle, ready, now)
        for worker, job in jobs:  # only after the claims are committed
            self.busy.add(worker.name)
            self.last_submit[worker.name] = now
            self.pool.hand(worker, job)
        if self._due("housekeeping", now, HOUSEKEEPING):
            dbmod.retrying(self.housekeeping, now)
        self.write_status(now=now)
        return len(jobs)

    def _due(self, task, now, period):
        """True once per period for a periodic task. A clock set back by more than
        a period makes it due at once rather than stalling it."""
        due = self.next.get(task)
        if due is not None and now < due and due - now <= period:
            return False
        self.next[task] = now + period
        return True

    def _take_events(self, wait):
        events = []
        try:
            events.append(self.pool.events.get(timeout=wait) if wait else self.pool.events.get_nowait())
        except queue.Empty:
            return events
        while len(events) < BATCH:
            try:
                events.append(self.pool.events.get_nowait())
            except queue.Empty:
                break
        return events

    def _ready_parts(self, idle, news, now):
        """Parts that may go now, as many as there are idle modems. With a large
        scheduled backlog the query is not free: when it found less than asked,
        ask again after READY_CHECK unless the modems report back meanwhile."""
        if not idle:
            return []
        due = self.next.get("ready_check")
        if not news and due is not None and now < due and due - now <= READY_CHECK:
            return []
        # Twice as many as there are idle modems: later parts of long messages may be
        # waiting for a modem that is busy, and must not hold up the others.
        ready = delivery.ready_parts(2 * len(idle), now, box=self.box)
        self.next["ready_check"] = now + READY_CHECK if len(ready) < len(idle) else None
        return ready

    def _commit(self, events, results, sent, idle, ready, now):
        """One write transaction: inbound, results and reports recorded, the next
        parts claimed. Returns the (worker, job) pairs claimed."""
        reports, acks = [], []
        with dbmod.write_transaction():
            for event in events:
                if isinstance(event, Inbound):
                    self._inbound(event, reports, now)
                    acks.append(event)
                elif isinstance(event, HealthChanged):
                    self.dirty.add(event.worker)
            delivery.record_results(results, now)
            delivery.record_status_reports(reports, now, box=self.box)
            jobs = self._next_parts(sent, now)
            taken = {w for w, _ in jobs}
            idle = [w for w in idle if w not in taken]
            if ready and idle and self.relock:
                ready = delivery.ready_parts(2 * len(idle), now, box=self.box, lock=True)
            jobs += self._plan(idle, ready)
            claimed = delivery.claim_parts([(j.part_id, w.name, w.info["imsi"], j.pdu, w.info["carrier"])
                                            for w, j in jobs], now, box=self.box)
        for item in acks:  # committed: the worker may delete them from the SIM now
            item.done.set()
        return [(w, j) for w, j in jobs if j.part_id in claimed]

    # --- results -----------------------------------------------------------------

    def _results(self, events, now):
        """Results of finished submits, and (worker, message id) of long messages
        whose next part should follow on the same modem."""
        results, sent = [], []
        for event in events:
            if isinstance(event, SubmitFinished):
                self._result(event.worker, event.job, event.outcome, now, results, sent)
        return results, sent

    def _result(self, worker, job, outcome, now, results, sent):
        self.busy.discard(worker.name)
        self.parts_done += 1
        if outcome.kind == "sent":
            results.append(delivery.Result(job.part_id, "sent", reference=outcome.reference))
            self._count(worker)
            self.avoid.pop(job.part_id, None)
            if job.seq < job.total:
                sent.append((worker, job.message_id))
            return
        log.info("part %s on %s: %s: %s", job.part_id, worker.name, outcome.kind, outcome.error)
        results.append(self._failure(worker, job, outcome, now))
        self.dirty.add(worker)

    def _failure(self, worker, job, outcome, now):
        """The Result of a submit that did not (surely) go out."""
        if outcome.kind == "unknown":
            self._count(worker)  # it may have gone out: count it against the caps
            return delivery.Result(job.part_id, "unknown", error=outcome.error)
        if outcome.kind == "permanent":
            return delivery.Result(job.part_id, "failed", error=outcome.error)
        if job.attempts >= self.config["modems.max_attempts"]:
            return delivery.Result(job.part_id, "failed",
                                   error=f"gave up after {job.attempts} attempts: {outcome.error}")
        self.avoid.setdefault(job.part_id, set()).add(worker.name)
        delay = self.config["modems.retry_base"] * 2 ** (job.attempts - 1)
        return delivery.Result(job.part_id, "retry", error=outcome.error,
                               retry_at=now + datetime.timedelta(seconds=delay))

    def _next_parts(self, sent, now):
        """The next part of a long message goes on the same modem (same sender
        number), claimed in the transaction that records the previous one."""
        jobs = []
        for worker, message_id in sent:
            if worker.name in self.busy or worker.state != "ok" or \
                    not self._may_send(worker, now, ignore_interval=True):
                continue
            part = delivery.next_part_of(message_id, now)
            if part is not None:
                jobs.append((worker, self._job(part, worker)))
        return jobs

    def _count(self, worker):
        imsi = self._sim(worker)
        self.sent_day[imsi] = self.sent_day.get(imsi, 0) + 1
        self.sent_month[imsi] = self.sent_month.get(imsi, 0) + 1

    # --- inbound -------------------------------------------------------------------

    def _inbound(self, item, reports, now):
        info = item.info
        try:
            if info["type"] == "SMS-STATUS-REPORT":
                self._status_report(item, reports)
            elif info["type"] == "SMS-DELIVER":
                inbox.store_inbound(info.get("number") or "", info.get("text", ""), _instant(info.get("time")),
                                    f"{self.box}/{item.modem}", info.get("concat"), now)  # every box has a gsm0
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
        imsi = self._sim(worker)
        daily, monthly = self.config["modems.daily_cap"], self.config["modems.monthly_cap"]
        if daily and self.sent_day.get(imsi, 0) >= daily:
            return False
        if monthly and self.sent_month.get(imsi, 0) >= monthly:
            return False
        if ignore_interval:
            return True
        last = self.last_submit.get(worker.name)
        # A clock set back (last in the future) must not stall the modem.
        return last is None or not last <= now < last + datetime.timedelta(
            seconds=self.config["modems.min_interval"])

    def idle_workers(self, now=None):
        now = now or clock.now()
        return [w for w in self.pool.ready() if w.name not in self.busy and self._may_send(w, now)]

    def assign(self, now=None):
        """Give every idle healthy modem a part now (a step without waiting)."""
        return self.step(0, now)

    def _plan(self, idle, ready):
        plan = []
        idle = list(idle)
        for part in ready:
            if not idle:
                break
            worker = self._choose(part, idle)
            if worker is None:
                continue  # waits for the modem its earlier parts left from
            idle.remove(worker)
            plan.append((worker, self._job(part, worker)))
        return plan

    def _choose(self, part, idle):
        """Least-busy idle modem, preferring one of the recipient's carrier, then one
        not yet failed on this part. A later part of a long message goes from the SIM
        its earlier parts left from, or waits for it (None): the receiving phone joins
        only parts from one sender, whatever failed or restarted in between."""
        if part.sender:
            return next((w for w in idle if w.name == part.sender and
                         (not part.sender_imsi or not w.info["imsi"] or w.info["imsi"] == part.sender_imsi)),
                        None)
        avoid = self.avoid.get(part.part_id, ())
        fresh = [w for w in idle if w.name not in avoid] or idle
        carrier = phones.carrier_name(part.to_number)
        preferred = [w for w in fresh if carrier and w.info["carrier"] == carrier] or fresh
        return min(preferred, key=lambda w: (self.sent_day.get(self._sim(w), 0), w.name))

    def _job(self, part, worker):
        seg = segments(part.text)
        concat = (part.concat_ref or 0, part.part_count, part.seq) if part.part_count > 1 else None
        hex_pdu, length = pdumod.build_submit(
            part.to_number, seg.parts[part.seq - 1], seg.encoding, concat=concat,
            status_report=part.delivery_report and self.config["modems.delivery_reports"])
        return PartJob(part.part_id, part.message_id, part.to_number, hex_pdu, length, part.seq,
                       part.part_count, part.attempts + 1, ready=part)

    # --- housekeeping -----------------------------------------------------------------

    def housekeeping(self, now=None):
        now = now or clock.now()
        if self._due("beat", now, boxes.beat_interval(self.heartbeat_timeout)):
            boxes.beat(self.box, now)
            delivery.recover_dead_boxes(self.heartbeat_timeout, self.box, now)
        delivery.expire_due(now)
        inbox.flush_incomplete(self.config["modems.concat_timeout"], now)
        self._resend_stranded(now)
        self.pool.rescan()

    def _resend_stranded(self, now):
        """The rest of a long message waits for the SIM its first parts left from;
        after modems.resend_after without that modem in the pool, the whole message
        goes again from another SIM, as a new message with a new reference."""
        ready = [w.name for w in self.pool.ready()]
        for name in ready:
            self.ready_seen[name] = now
        if not self._due("resend", now, RESEND_CHECK):
            return
        limit = datetime.timedelta(seconds=self.config["modems.resend_after"])
        dead = boxes.dead_boxes(self.heartbeat_timeout, self.box, now)
        for message_id, modem in delivery.stranded_messages(ready, self.box, dead):
            seen = self.ready_seen.get(modem, self.started_at or now)  # not seen since smsd started
            if now - seen < limit:
                continue
            why = f"{modem}, the SIM its first parts left from, was out of the pool for {limit.total_seconds():g} s"
            new = delivery.resend_whole(message_id, why, now)
            if new is not None:
                audit("system", "sms.resent", message_id, f"{why}; sent again as message {new.id}", "smsd")

    def _load_counters(self, now):
        today = clock.today(now)  # the caps count the box's day and month
        self.sent_day = delivery.sent_counts(clock.day_start(today))
        self.sent_month = delivery.sent_counts(clock.day_start(today.replace(day=1)))
        self.counted_for = today

    def write_status(self, force=False, now=None):
        """Health rows: every modem every few seconds, and at once when one changes state."""
        now = now or clock.now()
        if self._due("status", now, STATUS) or force:
            workers = list(self.pool.workers.values())
        else:
            workers = list(self.dirty)
        self.dirty = set()
        if not workers:
            return
        dbmod.retrying(self._write_status_rows, workers, now)

    def _write_status_rows(self, workers, now):
        alarmed = dict(self.alarmed)
        with dbmod.write_transaction():
            for worker in workers:
                self._status_row(worker, now, alarmed)
        self.alarmed = alarmed  # only once committed: a write rolled back and retried audits again

    def _status_row(self, worker, now, alarmed):
        snap = worker.snapshot()
        imsi = self._sim(worker)
        row = {"box": self.box}
        row.update({k: snap[k] for k in ("port", "device", "state", "alarm", "errors", "received", "busy",
                                    "imei", "imsi", "iccid", "operator", "carrier", "sim_state",
                                    "registration", "signal_dbm", "last_activity")})
        row.update(sent_today=self.sent_day.get(imsi, 0), sent_month=self.sent_month.get(imsi, 0),
                   updated_at=now)
        update = {getattr(ModemStatus, k): v for k, v in row.items() if k not in ("box", "port")}
        ModemStatus.insert(**row).on_conflict(conflict_target=[ModemStatus.box, ModemStatus.port],
                                              update=update).execute()
        if snap["alarm"] and alarmed.get(worker.name) != snap["alarm"]:
            audit("system", "modem.alarm", worker.name, snap["alarm"], "smsd")
            alarmed[worker.name] = snap["alarm"]
        elif not snap["alarm"] and worker.name in alarmed:
            audit("system", "modem.rejoined", worker.name, "back in the pool", "smsd")
            del alarmed[worker.name]

    def _sim(self, worker):
        """The key of a modem's SIM in the cap counters: its IMSI (a SIM moved to another
        modem or box keeps its count), else this box's modem (every box has a gsm0)."""
        return worker.info["imsi"] or f"{self.box}/{worker.name}"


def _instant(stamp):
    """An SMS centre's timestamp (aware, in its own zone) as a stored instant (naive UTC)."""
    if stamp is None:
        return None
    return clock.instant(stamp)
