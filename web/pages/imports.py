"""Importing customers, staff, policies, payments and claims from CSV or XLSX.

An upload becomes an import job (appliance/import_jobs.py) run by a thread of
this process; the file is checked and written all-or-nothing by
appliance.importer, and a bad row is listed with its line and column. A small
file is answered on the spot; a larger one sends the browser to the job's page,
whose progress bar static/import_job.js keeps current from the job's JSON.
"""
import os
import secrets

import bottle

from appliance import import_jobs, importer
from appliance.errors import InputError
from web.api import json_response
from web.pages import N_, check_upload_size, page, respond

MAX_UPLOAD = 50 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")
IMPORT_WAIT = 2.0  # seconds the upload's answer waits for the job before showing its progress page

STATE_LABELS = {"queued": N_("waiting for another import"), "running": N_("running"), "done": N_("done"),
                "failed": N_("refused"), "interrupted": N_("interrupted")}
PHASE_LABELS = {"queued": N_("waiting"), "reading": N_("reading the file"), "checking": N_("checking rows"),
                "writing": N_("writing rows"), "finished": N_("finished")}


def render_import(ctx, status=200, **values):
    kinds = list(importer.SPECS)
    values.setdefault("kind", ctx.form("kind") if ctx.request.method == "POST" else "customers")
    body = ctx.render("import", title=ctx._("Import"), kinds=kinds, specs=importer.SPECS,
                      report=values.pop("report", None), errors=values.pop("errors", []),
                      error=values.pop("error", None), jobs=import_jobs.recent(), labels=STATE_LABELS, **values)
    return respond(body, status)


@page("/import", "import", nav=("Import", 68))
def import_form(ctx):
    return render_import(ctx)


@page("/import", "import", method="POST")
def import_upload(ctx):
    upload = bottle.request.files.get("file")
    kind = ctx.form("kind")
    dry_run = ctx.form("dry_run") == "1"
    if upload is None or not upload.raw_filename:
        return render_import(ctx, 400, error=ctx.error_text(InputError.of(N_("{field}: choose a file"), field="file")))
    name = os.path.basename(upload.raw_filename)
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUFFIXES:
        return render_import(ctx, 400, error=ctx.error_text(
            InputError.of(N_("{field}: {name}: only .csv and .xlsx files"), field="file", name=name)))
    folder = ctx.config.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The importer reads the suffix from the path: keep the name, make the path unique.
    path = folder / f"{secrets.token_hex(4)}-{name}"
    try:
        upload.save(str(path))
        check_upload_size(path.stat().st_size, MAX_UPLOAD)
        job, thread = import_jobs.start(kind, path, name, actor=ctx.user.username, source=ctx.source,
                                        dry_run=dry_run)
    except InputError as exc:
        path.unlink(missing_ok=True)
        return render_import(ctx, 400, error=ctx.error_text(exc))
    thread.join(IMPORT_WAIT)
    if thread.is_alive():
        ctx.redirect(f"/import/jobs/{job.id}")
    return render_outcome(ctx, import_jobs.get(job.id))


def render_outcome(ctx, job):
    """A finished job shown on the import page, as the upload's own answer."""
    if job["state"] == "done":
        return render_import(ctx, report=job["report"], filename=job["filename"], kind=job["kind"])
    if job["errors"]:
        return render_import(ctx, 400, errors=import_jobs.row_errors(job), filename=job["filename"],
                             kind=job["kind"], error=ctx._(
                                 "Nothing was imported: the file has errors. Fix them and upload it again."))
    return render_import(ctx, 400, kind=job["kind"], error=ctx.error_text(job["message"]))


@page("/import/jobs/{job_id:int}", "import")
def import_job(ctx, job_id):
    job = import_jobs.get(job_id)
    error = None
    if job["errors"]:
        error = ctx._("Nothing was imported: the file has errors. Fix them and upload it again.")
    elif job["state"] in ("failed", "interrupted"):
        error = ctx.error_text(job["message"]) if job["state"] == "failed" else ctx._(
            "The import was interrupted (the service stopped). Nothing was imported; upload the file again.")
    return ctx.render("import_job", title=ctx._("Import job {id}").format(id=job["id"]), job=job,
                      errors=import_jobs.row_errors(job), error=error, report=job["report"],
                      filename=job["filename"], states=STATE_LABELS, phases=PHASE_LABELS)


@page("/import/jobs/{job_id:int}.json", "import")
def import_job_json(ctx, job_id):
    job = import_jobs.get(job_id)
    return json_response(200, {**job, "state_text": ctx._(STATE_LABELS[job["state"]]),
                               "phase_text": ctx._(PHASE_LABELS[job["phase"]])})
