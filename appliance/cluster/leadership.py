"""Singletons: the work only one box may do at a time, elected through the database.

Several boxes on one PostgreSQL server each run the services daemon, but the daily notice
run, the firing of scheduled sends, ticket escalations and hand-offs, and the answer
monitor's rounds must happen once. Each such singleton has a lease row (cluster/models.py
Lease: name, holder "BOX:PID", expires_at, token). A box does the work only while it holds
the lease; when its box dies the lease runs out and another box takes it over.

Why lease rows and not PostgreSQL advisory locks:
- the same two conditional UPDATEs work on SQLite and PostgreSQL, so the one-box default
  and a pool of boxes run the same code (advisory locks would need an SQLite twin);
- an advisory lock lives in a database session, and peewee gives each thread its own
  connection, reopened at will: a lock lost with a dropped connection goes unnoticed by its
  holder, while a lease says until when it holds and is renewed on purpose;
- the row is visible: `appliance doctor` shows which box holds which singleton;
- the token gives fencing: every taking adds one, and the holder's writes check their token
  in the same transaction (fenced()/check()), so a box that stalled past its lease (a
  frozen VM, a network partition) cannot commit after another box took over.

Taking: UPDATE … SET holder=me, token=token+1 WHERE name=N AND (holder='' OR expired OR
holder=me); renewing: UPDATE … SET expires_at WHERE name=N AND holder=me AND token=mine.
The row count decides; no SELECT is trusted. On PostgreSQL the renewing UPDATE row-locks
the lease until its transaction ends, so a taker waits for the holder's commit and then sees
the renewed expiry. Expiry is read on each box's clock: boxes must keep time (NTP) well
within box.lease_seconds.

A singleton's work must also record what it did in the transaction that marks it done
(a notice's dedupe_key, a schedule's next run, a ticket's `escalated` event), so a box that
takes over after a crash mid-run finishes the run without repeating what was committed.
"""
import contextlib
import datetime
import logging
import os

import peewee

from appliance import clock
from appliance.cluster.identity import box_name
from appliance.cluster.models import Lease
from appliance.db import Busy, retrying, write_transaction
from appliance.errors import N_, ApplianceError
from appliance.system.checks import Joined, said

log = logging.getLogger(__name__)

LOCK_WAIT_MS = 500  # how long taking a lease waits for a row its holder has locked


class LeaseLost(ApplianceError):
    """Another box took this singleton's lease over: the work in hand is rolled back."""


class Singleton:
    """One singleton's lease as this process holds it (or not)."""

    def __init__(self, name, holder, seconds):
        self.name = name
        self.holder = holder
        self.seconds = seconds
        self.token = None  # the fencing token while held
        self.until = None  # the expiry this process last wrote

    def hold(self, now=None):
        """Renew the lease, or take it if free or expired; True while this process holds it.
        False too when the lease row stays locked: its holder is committing under it now.
        In the first half of its term the lease is known to hold: no write (the services
        daemon asks every pass, and SQLite has one writer)."""
        now = now or clock.now()
        if self.token is not None and now < self.until - datetime.timedelta(seconds=self.seconds / 2):
            return True
        try:
            return retrying(self._hold, now, waits=(0.02, 0.1))
        except Busy:
            return False

    def _hold(self, now):
        with write_transaction() as transaction:
            if not isinstance(transaction.db, peewee.SqliteDatabase):
                # A holder's fenced transaction keeps the row locked: wait briefly, not for its length.
                transaction.db.execute_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
            token = self.token if self.token is not None and self._renew(now) else self._take(now)
        taken = token is not None and token != self.token
        self.token, self.until = token, self._until(now)  # only once committed
        if taken:
            log.info("%s: this box (%s) now holds the lease, token %d", self.name, self.holder, token)
        return token is not None

    def _take(self, now):
        """The new token when the lease was free or expired (or this holder's own), else None."""
        Lease.insert(name=self.name).on_conflict_ignore().execute()
        taken = (Lease.update(holder=self.holder, token=Lease.token + 1, taken_at=now, expires_at=self._until(now))
                 .where(Lease.name == self.name,
                        (Lease.holder == "") | (Lease.expires_at < now) | (Lease.holder == self.holder))
                 .execute())
        return Lease.get_by_id(self.name).token if taken else None

    def check(self, now=None):
        """Inside the caller's write transaction: raise LeaseLost unless this process still
        holds the lease with its token (and renew it), so the caller's writes commit only
        under the lease."""
        if self.token is None or not self._renew(now or clock.now()):
            self.token = None
            raise LeaseLost(f"{self.name}: another box took the lease over; this box stops its work")

    @contextlib.contextmanager
    def fenced(self, now=None):
        """A write transaction that commits only while this process holds the lease."""
        with write_transaction():
            self.check(now)
            yield

    def release(self, now=None):
        """Let the lease go at once (a clean stop), so another box need not wait for its expiry."""
        if self.token is None:
            return
        now = now or clock.now()
        retrying(lambda: Lease.update(holder="", expires_at=now)
                 .where(Lease.name == self.name, Lease.holder == self.holder, Lease.token == self.token)
                 .execute())
        self.token = None

    def _renew(self, now):
        return (Lease.update(expires_at=self._until(now))
                .where(Lease.name == self.name, Lease.holder == self.holder, Lease.token == self.token)
                .execute()) == 1

    def _until(self, now):
        return now + datetime.timedelta(seconds=self.seconds)


class Leadership:
    """This process's singletons, by name, each held on demand."""

    def __init__(self, config, pid=None):
        self.holder = f"{box_name(config)}:{pid or os.getpid()}"
        self.seconds = config["box.lease_seconds"]
        self.singletons = {}

    def __getitem__(self, name):
        if name not in self.singletons:
            self.singletons[name] = Singleton(name, self.holder, self.seconds)
        return self.singletons[name]

    def hold(self, name, now=None):
        return self[name].hold(now)

    def release_all(self):
        for singleton in self.singletons.values():
            try:
                singleton.release()
            except Exception:  # stopping: the lease runs out by itself
                log.exception("%s: could not release the lease; it expires by itself", singleton.name)


def holders(now=None):
    """Every singleton's lease: [{name, holder, box, token, expires_at, held}], by name."""
    now = now or clock.now()
    return [{"name": lease.name, "holder": lease.holder, "box": lease.holder.rpartition(":")[0],
             "token": lease.token, "expires_at": lease.expires_at,
             "held": bool(lease.holder) and lease.expires_at is not None and lease.expires_at >= now}
            for lease in Lease.select().order_by(Lease.name)]


def doctor_check(config):
    """`appliance doctor`: which box holds which singleton (none held: its daemon runs nowhere)."""
    try:
        leases = holders()
    except peewee.DatabaseError:  # not migrated yet: the migrations line says so
        return []
    what = said(N_("singletons"))
    if not leases:
        return [("ok", what, said(N_("none elected yet (the services daemon has not run)")))]
    held, expired = N_("{name} → {box} (token {token})"), N_("{name} → nobody (expired {when})")
    detail = [said(held, name=lease["name"], box=lease["box"], token=lease["token"]) if lease["held"]
              else said(expired, name=lease["name"], when=clock.format(lease["expires_at"])) for lease in leases]
    return [("ok" if all(lease["held"] for lease in leases) else "warn", what, Joined(detail))]
