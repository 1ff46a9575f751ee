"""Importing customers, staff, policies, payments and claims from CSV or XLSX.

The file is checked and written all-or-nothing by appliance.importer; a bad row
is listed with its line and column and nothing is imported.
"""
import os
import secrets

import bottle

from appliance.errors import InputError

from .pages import page, respond

MAX_UPLOAD = 50 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")


def importer():
    from appliance import importer as module
    return module


def render_import(ctx, status=200, **values):
    kinds = list(importer().SPECS)
    values.setdefault("kind", ctx.form("kind") if ctx.request.method == "POST" else "customers")
    body = ctx.render("import", title=ctx._("Import"), kinds=kinds, specs=importer().SPECS,
                      report=values.pop("report", None), errors=values.pop("errors", []),
                      error=values.pop("error", None), **values)
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
        return render_import(ctx, 400, error=ctx.error_text(InputError("file: choose a file", field="file")))
    name = os.path.basename(upload.raw_filename)
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUFFIXES:
        return render_import(ctx, 400, error=ctx.error_text(
            InputError(f"file: {name}: only .csv and .xlsx files", field="file")))
    folder = ctx.config.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The importer names the file in its errors: keep the name, make the path unique.
    path = folder / f"{secrets.token_hex(4)}-{name}"
    try:
        upload.save(str(path))
        if path.stat().st_size > MAX_UPLOAD:
            raise InputError(f"file: larger than {MAX_UPLOAD // (1024 * 1024)} MB", field="file")
        report = importer().import_file(kind, path, dry_run=dry_run, actor=ctx.user.username)
    except importer().ImportFailed as exc:
        ctx.audit(f"import.{kind}.refused", name, f"{len(exc.errors)} error(s); first: {exc.errors[0]}")
        return render_import(ctx, 400, errors=exc.errors, filename=name, error=ctx._(
            "Nothing was imported: the file has errors. Fix them and upload it again."))
    except InputError as exc:
        return render_import(ctx, 400, error=ctx.error_text(exc))
    finally:
        path.unlink(missing_ok=True)
    return render_import(ctx, report=report, filename=name)
