"""Imports run as background jobs, their progress and result kept in the database.

The web process starts a job for an uploaded file; a thread runs
appliance.importer.import_file (all or nothing) and records the phase and the
rows read, checked and written in the job's row, so a page can show a progress
bar while a large file is imported.

The job's 'done' is written inside the import's own transaction, so it commits
with the rows or not at all. SQLite has one writer: while the import's transaction is open (phase
'writing') no other connection can update the job's row, and an update from
the import's own connection would be invisible until commit and rolled back
with it. So during that phase the row keeps the counts of the phase's start
and this process's live counters (LIVE) are shown over it; the row gets the
final counts when the import ends.

Jobs run only in the web daemon. A job left 'queued' or 'running' that no
thread of this process runs belongs to a process that was stopped or killed:
its transaction never committed, so it wrote nothing, and it is marked
'interrupted' when it is next looked at.
"""
import dataclasses
import json
import logging
import threading
import time
from pathlib import Path

from appliance import clock, importer
from appliance.db import database
from appliance.errors import InputError, NotFound
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
        raise InputError(f"kind: must be one of {', '.join(importer.SPECS)}, got {kind!r}", field="kind")
    mark_interrupted()
    job = ImportJob.create(kind=kind, path=str(path), filename=filename, actor=actor, source=source,
                           dry_run=dry_run)
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
            _update(job_id, state="running", phase="reading", started_at=clock.now())
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
                                      source=job.source, file_name=job.filename, progress=progress)
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
    _finish(job.id, "done", progress.counts, created=report["created"], updated=report["updated"],
            report=json.dumps(report, ensure_ascii=False))


class _Progress:
    """The importer's progress callback: live counters always, the row when it may."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.phase = None
        self.saved = 0.0
        self.counts = {}

    def __call__(self, phase, counts):
        self.counts = dict(counts)
        with _live_lock:
            LIVE[self.job_id] = {"phase": "writing" if phase == "committing" else phase, **self.counts}
        if phase == "committing":
            # Written in the import's own transaction, so the rows and 'done' commit
            # together: a kill after the commit never leaves a 'running' job that
            # would then be called interrupted although its rows were written.
            _finish(self.job_id, "done", self.counts, created=counts["created"], updated=counts["updated"])
            return
        moment = time.monotonic()
        if (phase != self.phase or moment - self.saved >= SAVE_EVERY) and not database.in_transaction():
            _update(self.job_id, phase=phase, **_columns(self.counts))
            self.saved = moment
        self.phase = phase


def _columns(counts):
    return {"total": counts.get("total"), "rows_read": counts.get("read", 0),
            "rows_checked": counts.get("checked", 0), "rows_written": counts.get("written", 0)}


def _update(job_id, **values):
    ImportJob.update(**values).where(ImportJob.id == job_id).execute()


def _finish(job_id, state, counts=None, **values):
    _update(job_id, state=state, phase="finished", finished_at=clock.now(), **_columns(counts or {}), **values)


# --- looking at jobs ---------------------------------------------------------------

def mark_interrupted():
    """Jobs left queued or running with no thread here to run them are interrupted.
    Returns how many were marked."""
    open_jobs = list(ImportJob.select(ImportJob.id, ImportJob.path)
                     .where(ImportJob.state.in_(("queued", "running"))))
    with _live_lock:
        orphans = [job for job in open_jobs if job.id not in LIVE]
    if not orphans:
        return 0
    ImportJob.update(state="interrupted", finished_at=clock.now(),
                     message="interrupted: the web service stopped before the import finished; "
                             "nothing was imported").where(
        ImportJob.id.in_([job.id for job in orphans]), ImportJob.state.in_(("queued", "running"))).execute()
    for job in orphans:  # a killed process left its upload behind
        Path(job.path).unlink(missing_ok=True)
    return len(orphans)


def get(job_id):
    """One job's state as a dict (live counters over the row while it runs)."""
    mark_interrupted()
    job = ImportJob.get_or_none(ImportJob.id == job_id)
    if job is None:
        raise NotFound(f"job: no import job {job_id}", field="job")
    return describe(job)


def describe(job):
    out = {"id": job.id, "kind": job.kind, "filename": job.filename, "dry_run": job.dry_run,
           "actor": job.actor, "state": job.state, "phase": job.phase, "total": job.total,
           "read": job.rows_read, "checked": job.rows_checked, "written": job.rows_written,
           "created": job.created, "updated": job.updated, "message": job.message,
           "report": json.loads(job.report) if job.report else None,
           "errors": json.loads(job.errors) if job.errors else [],
           "created_at": job.created_at, "finished_at": job.finished_at}
    with _live_lock:
        live = dict(LIVE.get(job.id) or {})
    if live and out["state"] in ("queued", "running"):
        out["phase"] = live.get("phase", out["phase"])
        for key in ("total", "read", "checked", "written"):
            if key in live:
                out[key] = live[key]
    if out["state"] == "done" and out["report"] is None:  # between the commit and the full report
        out["report"] = {"kind": job.kind, "file": job.filename, "rows": job.total, "created": job.created,
                         "updated": job.updated, "dry_run": job.dry_run}
    out["percent"] = percent(out)
    return out


def percent(job):
    """Done share of the work, 0-100: checking is half the work and writing the other half."""
    if job["state"] == "done":
        return 100
    total = job.get("total")
    if not total:
        return 0
    return min(100, int(50 * (job["checked"] + job["written"]) / total))


def recent(limit=10):
    mark_interrupted()
    return [describe(job) for job in ImportJob.select().order_by(ImportJob.id.desc()).limit(limit)]


def row_errors(job):
    """The job's row errors as importer.RowError objects (for the error table)."""
    return [importer.RowError(**e) for e in job["errors"]]
