"""The one thread that makes every database write of the FastAGI server.

Why: with SQLite, two connections wanting the write lock at once make the
loser's busy handler sleep in steps of up to 100 ms; with 120 calls writing
their records, that gave per-command latencies of a second. One writer
queues them in order instead. And because the writes queued while one
commits go together into the next transaction (each in its own savepoint, so
one failing job rolls back alone), a burst costs one fsync, not one per job.

A job's future completes only after its transaction has committed, so a flow
that waits for it before telling the caller keeps the rule "committed before
the effect". Flows that can, start a write and play a prompt that does not
depend on it while it commits (see agi/flows.py).
"""
import logging
import queue
import threading
from concurrent.futures import Future

from appliance.db import database, write_transaction

log = logging.getLogger(__name__)

BATCH = 64


class Writer:
    def __init__(self, name="db-writer"):
        self.jobs = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def submit(self, fn, *args, **kwargs):
        """Queue fn(*args, **kwargs); returns a Future resolved after the commit."""
        future = Future()
        self.jobs.put((future, fn, args, kwargs))
        return future

    def call(self, fn, *args, **kwargs):
        """Run fn in the writer and wait for it (committed); its exception is raised here."""
        return self.submit(fn, *args, **kwargs).result()

    def stop(self):
        self.jobs.put(None)
        self.thread.join(10)

    def _run(self):
        try:
            while True:
                first = self.jobs.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < BATCH:
                    try:
                        job = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        self.jobs.put(None)  # stop after this batch
                        break
                    batch.append(job)
                self._commit(batch)
        finally:
            if not database.is_closed():
                database.close()

    def _commit(self, batch):
        outcomes = []
        try:
            with write_transaction():
                for future, fn, args, kwargs in batch:
                    try:
                        with database.atomic():  # a savepoint: a failure undoes this job only
                            outcomes.append((future, True, fn(*args, **kwargs)))
                    except Exception as exc:
                        outcomes.append((future, False, exc))
        except Exception as exc:  # the commit itself failed: nothing of the batch is written
            log.exception("database write of %d job(s) failed", len(batch))
            for future, *_ in batch:
                future.set_exception(exc)
            return
        for future, ok, value in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
