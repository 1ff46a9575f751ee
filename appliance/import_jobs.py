"""Imports run as background jobs, their progress and result kept in the database.

The web process starts a job for an uploaded file; a thread runs
appliance.importer.import_file (all or nothing) and records the phase and the
rows read, checked and written in the job's row, so a page can show a progress
bar while a large file is imported.

The import never holds the write lock for long (see importer.import_file):
rows are checked, staged under the job, then published in short batches, the
job's row recording how far publishing got in each batch's own transaction;
the last batch marks it 'done' with the audit entry. A batch refused because
another writer changed something since the check (an ID number taken, a
referenced record deleted) has the published batches taken back (importer.
_take_back), so the job ends 'failed' with nothing of it left. Between the writes the
row gets the progress counters now and then, and this process's live counters
(LIVE) are shown over it.

Jobs run in the web daemon. A job left 'queued' or 'running' that no thread of
this process runs (and no live process of this box owns) was stopped or
killed: if it had started publishing it is rolled forward when next looked
at; otherwise nothing of it was published, it is marked 'interrupted' and its
staged rows are dropped.

Several boxes on one database: a job's owner names its box ("HOST:PID", set when the job
is created), and only that box recovers it — another box's job is never marked
interrupted, discarded or rolled forward here, however it looks (its upload is on its
box's disk, and its process may be publishing this moment). A job of a box that never
comes back stays 'running' until an admin of that box's database clears it.
"""
import dataclasses
import json
import logging
import os
import threading
import time
from pathlib import Path

from appliance import clock, importer
from appliance.cluster import identity
from appliance.db import database, retrying
from appliance.errors import N_, InputError, NotFound
from appliance.models import ImportJob, audit

log = logging.getLogger(__name__)

SAVE_EVERY = 0.5    # seconds between progress writes: a row a tick would slow the import
LIVE = {}           # job id -> live progress dict, for jobs this process runs
_live_lock = threading.Lock()
_one_at_a_time = threading.Lock()  # two imports would fight over SQLite's one write lock


# --- starting and running ----------------------------------------------------------

def start(kind, path, filename, *, actor, source="", dry_run=False):
    """Create a job for an uploaded file and start its thread. Returns (job, thread)."""
    if kind not in importer.SPECS:
        raise InputError.of(N_("{field}: must be one of {choices}, got {kind!r}"),
                            field="kind", choices=', '.join(importer.SPECS), kind=kind)
    mark_interrupted()
    job = ImportJob.create(kind=kind, path=str(path), filename=filename, actor=actor, source=source,
                           dry_run=dry_run, owner=importer.owner())  # this box's, from the start
    with _live_lock:
        LIVE[job.id] = {"phase": "queued"}  # before the thread starts: never seen as orphaned
    thread = threading.Thread(target=run, args=(job.id,), name=f"import-job-{job.id}", daemon=True)
    thread.start()
    return job, thread


def run(job_id):
    """The job's thread: import the file, record the outcome, delete the upload."""
    database.connect(reuse_if_open=True)
    job = None
    try:
        job = ImportJob.get_by_id(job_id)
        with _one_at_a_time:
            retrying(_update, job_id, state="running", phase="reading", started_at=clock.now())
            _import(job)
    except Exception:  # the thread must record an end whatever happened
        log.exception("import job %s failed", job_id)
        _finish(job_id, "failed", message="internal error (see the web log)")
    finally:
        if job is not None:
            Path(job.path).unlink(missing_ok=True)
        with _live_lock:
            LIVE.pop(job_id, None)
        database.close()


def _import(job):
    progress = _Progress(job.id)
    try:
        report = importer.import_file(job.kind, job.path, dry_run=job.dry_run, actor=job.actor,
                                      source=job.source, file_name=job.filename, progress=progress,
                                      job_id=job.id)
    except importer.ImportFailed as exc:
        audit(job.actor, f"import.{job.kind}.refused", job.filename,
              f"{len(exc.errors)} error(s); first: {exc.errors[0]}", job.source)
        _finish(job.id, "failed", progress.counts, message=str(exc),
                errors=json.dumps([dataclasses.asdict(e) for e in exc.errors], ensure_ascii=False))
        return
    except InputError as exc:  # the file as a whole: unreadable, no column for a required field…
        _finish(job.id, "failed", progress.counts, message=str(exc))
        return
    report = {**report, "file": job.filename}
    # Published rows: publish() marked the job done with its last batch.
    _finish(job.id, "done", progress.counts, created=report["created"], updated=report["updated"],
            report=json.dumps(report, ensure_ascii=False))


def _roll_forward(job_id):
    """A job killed while publishing: publish the rest of its staged rows."""
    database.connect(reuse_if_open=True)
    try:
        importer.publish(job_id)
        job = ImportJob.get_by_id(job_id)
        Path(job.path).unlink(missing_ok=True)
        log.info("import job %s: rolled forward after an interruption", job_id)
    except importer.TakenBack as exc:  # it had been refused while publishing: its taking back finished
        log.info("import job %s: taken back after an interruption (%s)", job_id, exc)
    except Exception:
        log.exception("import job %s: could not roll forward", job_id)
    finally:
        with _live_lock:
            LIVE.pop(job_id, None)
        database.close()


def _discard(job_id):
    database.connect(reuse_if_open=True)
    try:
        importer.discard(job_id)
    except Exception:
        log.exception("import job %s: could not drop its staged rows", job_id)
    finally:
        database.close()


class _Progress:
    """The importer's progress callback: live counters always, the row now and then."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.phase = None
        self.saved = 0.0
        self.counts = {}

    def __call__(self, phase, counts):
        self.counts = dict(counts)
        with _live_lock:
            LIVE[self.job_id] = {"phase": phase, **self.counts}
        moment = time.monotonic()
        if phase != "finished" and (phase != self.phase or moment - self.saved >= SAVE_EVERY) \
                and not database.in_transaction():
            retrying(_update, self.job_id, phase=phase, **_columns(self.counts, written=phase != "writing"))
            self.saved = moment
        self.phase = phase


def _columns(counts, written=True):
    # While writing, publish() keeps rows_written (its rows, in its transactions).
    columns = {"total": counts.get("total"), "rows_read": counts.get("read", 0),
               "rows_checked": counts.get("checked", 0)}
    if written:
        columns["rows_written"] = counts.get("written", 0)
    return columns


def _update(job_id, **values):
    ImportJob.update(**values).where(ImportJob.id == job_id).execute()


def _finish(job_id, state, counts=None, **values):
    retrying(_update, job_id, state=state, phase="finished", finished_at=clock.now(), **_columns(counts or {}), **values)


# --- looking at jobs ---------------------------------------------------------------

def _runs_elsewhere(job):
    """Is the job's process (e.g. an `appliance import` on this box) still alive, or is
    it another box's job (that box alone recovers it)?"""
    box, _, pid = (job.owner or "").rpartition(":")
    if box and box != identity.this_box():
        return True
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted():
    """Jobs left queued or running with no thread here to run them were stopped or
    killed: those that had started publishing are rolled forward (in a thread),
    the others are marked interrupted (nothing of them was published). Returns
    how many were marked."""
    open_jobs = list(ImportJob.select(ImportJob.id, ImportJob.path, ImportJob.owner, ImportJob.published)
                     .where(ImportJob.state.in_(("queued", "running"))))
    with _live_lock:
        orphans = [job for job in open_jobs if job.id not in LIVE and not _runs_elsewhere(job)]
        forward = [job for job in orphans if job.published is not None]
        for job in forward:
            LIVE[job.id] = {"phase": "writing"}
    for job in forward:
        threading.Thread(target=_roll_forward, args=(job.id,), name=f"import-job-{job.id}", daemon=True).start()
    orphans = [job for job in orphans if job.published is None]
    if not orphans:
        return 0
    retrying(lambda: ImportJob.update(
        state="interrupted", finished_at=clock.now(),
        message="interrupted: the web service stopped before the import finished; nothing was imported").where(
        ImportJob.id.in_([job.id for job in orphans]), ImportJob.state.in_(("queued", "running")),
        ImportJob.published.is_null()).execute())
    for job in orphans:  # a killed process left its upload and staged rows behind
        Path(job.path).unlink(missing_ok=True)
        threading.Thread(target=_discard, args=(job.id,), daemon=True).start()
    return len(orphans)


def get(job_id):
    """One job's state as a dict (live counters over the row while it runs)."""
    mark_interrupted()
    job = ImportJob.get_or_none(ImportJob.id == job_id)
    if job is None:
        raise NotFound.of(N_("{field}: no import job {job_id}"), field="job", job_id=job_id)
    return describe(job)


def describe(job):
    out = {"id": job.id, "kind": job.kind, "filename": job.filename, "dry_run": job.dry_run,
           "actor": job.actor, "state": job.state, "phase": job.phase, "total": job.total,
           "read": job.rows_read, "checked": job.rows_checked, "written": job.rows_written,
           # rows staged: all of them once publishing began (the row keeps no count before)
           "staged": (job.total or 0) if job.published is not None else 0,
           "created": job.created, "updated": job.updated, "message": job.message,
           "report": json.loads(job.report) if job.report else None,
           "errors": json.loads(job.errors) if job.errors else [],
           "created_at": job.created_at, "finished_at": job.finished_at}
    with _live_lock:
        live = dict(LIVE.get(job.id) or {})
    if live and out["state"] in ("queued", "running"):
        out["phase"] = live.get("phase", out["phase"])
        for key in ("total", "read", "checked", "staged", "written"):
            if key in live:
                out[key] = live[key]
    if out["state"] == "done" and out["report"] is None:  # between the commit and the full report
        out["report"] = {"kind": job.kind, "file": job.filename, "rows": job.total, "created": job.created,
                         "updated": job.updated, "dry_run": job.dry_run}
    out["percent"] = percent(out)
    return out


def percent(job):
    """Done share of the work, 0-100: checking is half the work and writing (staging,
    then publishing) the other half. `written` is the rows published, in every process."""
    if job["state"] == "done":
        return 100
    total = job.get("total")
    if not total:
        return 0
    staged = job.get("staged") or 0  # writing is staging, then publishing ("written")
    return min(100, int(50 * job["checked"] / total + 25 * (staged + job["written"]) / total))


def recent(limit=10):
    mark_interrupted()
    return [describe(job) for job in ImportJob.select().order_by(ImportJob.id.desc()).limit(limit)]


def row_errors(job):
    """The job's row errors as importer.RowError objects (for the error table)."""
    return [importer.RowError(**e) for e in job["errors"]]
