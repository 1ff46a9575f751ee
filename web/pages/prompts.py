"""IVR prompts: listen to every prompt in the browser, replace one by uploading
a file or recording it in the browser (web/static/prompts.js), restore the
default. Files are handled by appliance.ivr.prompt_files (sox converts and checks);
only catalogue names reach the file system, so no path comes from the request.

After a text the defaults speak changed (company name, hotline…), "rebuild the
default prompts" (asked first) leaves a request through appliance/system/restarts.py,
as the settings page's "apply now" does; the box's supervisor runs `appliance prompts
build` and the page shows its progress (static/restarts.js polls /prompts/rebuild.json).
"""
import os
import re
import tempfile
from pathlib import Path

import bottle

from appliance.errors import InputError
from appliance.ivr import prompt_files
from appliance.system import restarts
from web.pages import N_, check_upload_size, page
from web.pages.confirm import ask_first
from web.pages.settings import restart_rows

MAX_UPLOAD = 30 * 1024 * 1024   # 5 minutes of 48 kHz 16-bit mono is 28 MB
BROWSER_SECONDS = 60            # the in-browser recorder stops itself after this
STATES = {"custom": N_("replaced by an admin"), "default": N_("default (generated)"),
          "": N_("sound file missing"), "n/a": N_("not used in this language")}
LANGUAGE_LABELS = {"zh": N_("Mandarin"), "en": N_("English")}


def row_for(ctx, name):
    """A prompt with its texts (as callers hear them), states and audio URLs."""
    entry = prompt_files.catalogue()[name]
    row = {"name": name, "languages": []}
    for language in prompt_files.LANGUAGES:
        state = prompt_files.state(ctx.config, name, language)
        item = {"code": language, "label": LANGUAGE_LABELS[language], "state": state, "state_text": STATES[state],
                "text": prompt_files.fill(entry[language], ctx.config) if language in entry else "",
                "url": "", "default_url": ""}
        if state in ("custom", "default"):
            path = prompt_files.audio_file(ctx.config, name, language)
            # The modification time in the URL: a replaced prompt is fetched again, not the cached one.
            item["url"] = f"/prompts/{name}/{language}.wav?v={path.stat().st_mtime_ns}"
        if state == "custom" and prompt_files.default_path(ctx.config, name, language).exists():
            path = prompt_files.default_path(ctx.config, name, language)
            item["default_url"] = f"/prompts/{name}/{language}.wav?default=1&v={path.stat().st_mtime_ns}"
        row["languages"].append(item)
    return row


@page("/prompts", "ivr", nav=("IVR prompts", 71))
def prompts_list(ctx):
    q = ctx.query("q")
    names = [name for name, entry in prompt_files.catalogue().items() if not entry.get("dynamic")
             and q.lower() in " ".join((name, entry.get("zh", ""), entry.get("en", ""))).lower()]
    rows = [row_for(ctx, name) for name in names]
    replaced = sum(1 for row in rows for item in row["languages"] if item["state"] == "custom")
    return ctx.render("prompts", title=ctx._("IVR prompts"), rows=rows, q=q, replaced=replaced,
                      rebuild=restart_rows(ctx, ["prompts"])[0])


REBUILD_QUESTION = N_("Rebuild the default prompts? Those whose text changed (company name, hotline…) are spoken anew; prompts replaced by an admin keep playing.")  # noqa: E501  (one literal: the catalogue's msgid)


@page("/prompts/rebuild", "ivr", method="POST")
def prompts_rebuild(ctx):
    """Ask the box to rebuild the default prompts (audited first, then the request)."""
    ask_first(ctx, ctx._(REBUILD_QUESTION), ctx._("Rebuild the default prompts"), "/prompts")
    ctx.audit("prompt.rebuild")
    restarts.request(ctx.config.data_dir, ["prompts"])
    ctx.redirect("/prompts#rebuild", "ok", ctx._("Rebuild requested; its progress shows below."))


@page("/prompts/rebuild.json", "ivr")
def prompts_rebuild_state(ctx):
    """The rebuild's state in the page's language, for static/restarts.js."""
    row = restart_rows(ctx, ["prompts"])[0]
    return {"prompts": {"state": row["state"], "text": row["text"]}}


@page("/prompts/{name}", "ivr")
def prompt_detail(ctx, name):
    prompt_files.check_name(name, "name")
    return ctx.render("prompt", title=ctx._("Prompt {name}").format(name=name), row=row_for(ctx, name),
                      max_mb=MAX_UPLOAD // (1024 * 1024), max_seconds=BROWSER_SECONDS)


@page("/prompts/{name}/{lang}.wav", "ivr")
def prompt_audio(ctx, name, lang):
    """The WAV file for an <audio> player (Range requests work: bottle.static_file)."""
    path = prompt_files.audio_file(ctx.config, name, lang, default=ctx.query("default") == "1")
    return bottle.static_file(path.name, root=str(path.parent), mimetype="audio/wav",
                              headers={"Cache-Control": "private, no-cache"})


def uploaded_name(upload):
    """The file name as the browser sent it (for messages), without any path."""
    name = upload.raw_filename or "upload"
    try:  # the multipart parser decodes as Latin-1; browsers send UTF-8
        name = name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return os.path.basename(name.replace("\\", "/"))[-80:] or "upload"


@page("/prompts/{name}/{lang}", "ivr", method="POST")
def prompt_upload(ctx, name, lang):
    prompt_files.check_name(name, "name")
    prompt_files.check_language(lang, "lang")
    target = f"prompt:{name}/{lang}"
    source = "browser" if ctx.form("source") == "browser" else "upload"
    upload = bottle.request.files.get("file")
    shown = uploaded_name(upload) if upload is not None else ""
    try:
        check_upload_size(ctx.request.content_length, MAX_UPLOAD)
        if upload is None or not upload.raw_filename:
            raise InputError.of(N_("{field}: choose an audio file"), field="file")
        # sox picks the reader by the file's extension: keep a harmless one.
        suffix = Path(shown).suffix.lower()
        suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".wav"
        before = prompt_files.state(ctx.config, name, lang)
        with tempfile.TemporaryDirectory(prefix="prompt-upload-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            upload.save(str(path))
            check_upload_size(path.stat().st_size, MAX_UPLOAD)
            _, seconds = prompt_files.install(ctx.config, name, path, lang, field="file", shown=shown)
    except InputError as exc:
        ctx.audit(f"prompt.{source}.refused", target, str(exc))
        ctx.redirect(f"/prompts/{name}", "error", ctx.error_text(exc))
    how = "recorded in the browser" if source == "browser" else f"uploaded {shown}"
    ctx.audit(f"prompt.{source}", target, f"{how}, {seconds:.1f} s (replaced the {before or 'missing'} prompt)")
    ctx.redirect(f"/prompts/{name}", "ok", ctx._("Prompt replaced ({seconds} s). Calls from now on hear it.")
                 .format(seconds=f"{seconds:.1f}"))


RESTORE_QUESTION = N_("Restore the default prompt “{name}” ({lang})? The replacement is deleted and calls hear the default from this moment.")  # noqa: E501  (one literal: the catalogue's msgid)


@page("/prompts/{name}/{lang}/restore", "ivr", method="POST")
def prompt_restore(ctx, name, lang):
    prompt_files.check_name(name, "name")
    prompt_files.check_language(lang, "lang")
    ask_first(ctx, ctx._(RESTORE_QUESTION).format(name=name, lang=lang),
              ctx._("Restore the default"), f"/prompts/{name}")
    if not prompt_files.restore_default(ctx.config, name, lang):
        ctx.redirect(f"/prompts/{name}", "ok", ctx._("This prompt had no replacement."))
    ctx.audit("prompt.restore", f"prompt:{name}/{lang}", "replacement removed, the default plays again")
    ctx.redirect(f"/prompts/{name}", "ok", ctx._("The default prompt plays again."))
