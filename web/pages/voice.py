"""Voice campaigns on the admin page: the list with live progress (static/voice.js polls
/voice.json), creating one from a group, a pasted list or an uploaded file with a
confirmation step (the count and the first text, before anything is created), a
campaign's page with start/pause/resume/cancel (cancel asks first), its calls filtered
with a CSV export, a survey's answer counts and the answers' recordings.

The domain does the work (appliance.voice.sources, .control, .listing): this module
reads forms and translates result and state codes into the page's language.
"""
import io
import os
import re
import secrets
import time

import bottle

from appliance.errors import InputError, NotFound
from appliance.models import ContactGroup
from appliance.privacy import mask_mobile
from appliance.services import notices
from appliance.voice import control, listing, sources, surveys
from appliance.voice.models import ATTEMPT_STATES, RESULTS, CallAnswer, CallAttempt
from web.api import json_response
from web.pages import N_, check_upload_size, error_page, page, page_url, respond

RESULT_LABELS = {"confirmed": N_("Confirmed"), "answered": N_("Answered, not confirmed"),
                 "completed": N_("Survey completed"), "machine": N_("Answering machine or announcement"),
                 "busy": N_("Line busy"), "no_answer": N_("No answer"), "invalid": N_("Invalid number"),
                 "unreachable": N_("Unreachable or powered off"), "rejected": N_("Rejected"),
                 "congestion": N_("Network congestion"), "failed": N_("Call failed"),
                 "unknown": N_("Result unknown")}
STATE_LABELS = {"draft": N_("Draft"), "running": N_("Calling"), "paused": N_("Paused"), "done": N_("Finished"),
                "cancelled": N_("Cancelled")}
ATTEMPT_LABELS = {"queued": N_("Waiting to call"), "dialling": N_("Calling now"), "done": N_("Called"),
                  "unknown": N_("Outcome unknown"), "skipped": N_("Skipped (do not call)")}
KIND_LABELS = {"notice": N_("Voice notice"), "survey": N_("Phone survey"), "return_visit": N_("Return visit"),
               "screening": N_("Number screening"), "monitor": N_("Answer monitoring")}
# What the early-audio classifier heard before an answer (appliance/voice/early_audio.py, screening.py).
AUDIO_LABELS = {"sit_vacant": N_("Information tone: vacant number"), "sit_no_circuit": N_("Information tone: no circuit"),
                "busy": N_("Busy tone"), "congestion": N_("Congestion tone"), "ringback": N_("Ringing"),
                "speech": N_("Speech"), "tone": N_("A tone"), "silence": N_("Silence"),
                "kong_hao": N_("Announcement: the number does not exist"),
                "ting_ji": N_("Announcement: the line is suspended"),
                "guan_ji": N_("Announcement: the phone is off"),
                "wu_fa_jie_tong": N_("Announcement: cannot be reached now")}
SCREEN_LABELS = {"valid": N_("Valid number"), "invalid": N_("Invalid number"),
                 "unreachable": N_("Unreachable or powered off"), "unknown": N_("Result unknown")}
CREATABLE = ("notice", "survey", "return_visit", "screening")  # monitor campaigns come from the settings
ACTIONS = {"start": N_("Start"), "pause": N_("Pause"), "resume": N_("Resume"), "cancel": N_("Cancel campaign")}
MAX_UPLOAD = 20 * 1024 * 1024
UPLOAD_DAYS = 1
UPLOAD_NAME = re.compile(r"^voice-[0-9a-f]{16}\.(csv|xlsx|txt)$")  # what the confirmation step carries
OPTION_FIELDS = ("window", "max_tries", "retry_minutes")


def label(ctx, code):
    """A result, state or kind code in the page's language."""
    for labels in (RESULT_LABELS, STATE_LABELS, ATTEMPT_LABELS, KIND_LABELS):
        if code in labels:
            return ctx._(labels[code])
    return code


def answer_word(ctx, answer):
    """A survey answer as read: yes/no in words, a key or a scale's digit as it is."""
    words = surveys.ANSWER_WORDS.get(answer)
    return answer if words is None else words[0 if ctx.lang == "zh" else 1]


def live(ctx, report):
    """What the list and a campaign's page show of a campaign, as static/voice.js refreshes it."""
    percent = lambda rate: "–" if rate is None else f"{rate * 100:.1f}%"  # noqa: E731
    return {"state": label(ctx, report["state"]), "state_code": report["state"], "attempts": report["attempts"],
            "done": report["done"],
            "queued": report["queued"], "dialling": report["dialling"],
            "answered": sum(report["results"][r] for r in ("confirmed", "answered", "completed")),
            "confirmed": report["results"]["confirmed"], "answer_rate": percent(report["answer_rate"]),
            "confirmation_rate": percent(report["confirmation_rate"]),
            "progress": round(100 * (report["progress"] or 0), 1),
            **{f"result_{r}": n for r, n in report["results"].items()}}


def render_list(ctx, status=200, error=None, values=None):
    page_ = listing.campaign_page(ctx.query_int("before"))
    body = ctx.render("voice", title=ctx._("Voice campaigns"), rows=page_.rows,
                      live={r["id"]: live(ctx, r) for r in page_.rows}, error=error, values=values or {},
                      groups=list(ContactGroup.select().order_by(ContactGroup.name)), kinds=CREATABLE,
                      label=lambda code: label(ctx, code), kind_labels=KIND_LABELS, notice_types=notice_types(ctx),
                      next_url=page_url("/voice", before=page_.next_before) if page_.next_before else None)
    return respond(body, status)


@page("/voice", "view", nav=("Voice campaigns", 26))
def voice_page(ctx):
    return render_list(ctx)


@page("/voice.json", "view")
def voice_json(ctx):
    ids = [int(i) for i in ctx.query("ids").split(",") if i.isdigit() and len(i) < 19][:100]
    return json_response(200, {str(r["id"]): live(ctx, r) for r in listing.campaign_reports(ids)})


def form_values(ctx):
    return {k: ctx.form(k) for k in ("name", "kind", "notice_type", "script", "source", "numbers", "group", "text",
                                     "line_group", "upload", *OPTION_FIELDS)}


def notice_types(ctx):
    """(type, title) of the notice catalogue, the title in the page's language."""
    side = 0 if ctx.lang == "zh" else -1
    return [(n["type"], n["title"].split(" / ")[side]) for n in notices.catalogue()]


def callees_of(ctx, values):
    """The numbers the form names, from its source; an upload is kept for the confirmation."""
    if values["source"] == "group":
        if not values["group"].isdigit():
            raise InputError.of(N_("{field}: choose a group"), field="group")
        return sources.from_group(int(values["group"]))
    if values["source"] == "file":
        if not values["upload"]:
            values["upload"] = save_upload(ctx)
        if not UPLOAD_NAME.match(values["upload"]):
            raise InputError.of(N_("{field}: choose a file"), field="file")
        path = ctx.config.data_dir / "uploads" / values["upload"]
        if not path.exists():
            raise InputError.of(N_("{field}: the uploaded file is gone; upload it again"), field="file")
        return sources.from_file(path)
    if values["source"] != "list":
        raise InputError.of(N_("{field}: choose a group, a list or a file"), field="source")
    return sources.from_text(values["numbers"])


def save_upload(ctx):
    upload = bottle.request.files.get("file")
    if upload is None or not upload.raw_filename:
        raise InputError.of(N_("{field}: choose a file"), field="file")
    suffix = os.path.splitext(upload.raw_filename)[1].lower()
    if suffix not in (".csv", ".xlsx", ".txt"):
        raise InputError.of(N_("{field}: only .csv, .xlsx and .txt files"), field="file")
    folder = ctx.config.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    forget_old_uploads(folder)
    name = f"voice-{secrets.token_hex(8)}{suffix}"
    upload.save(str(folder / name))
    try:
        check_upload_size((folder / name).stat().st_size, MAX_UPLOAD)
    except InputError:
        (folder / name).unlink(missing_ok=True)
        raise
    return name


def forget_old_uploads(folder, now=None):
    """Files of confirmation steps nobody confirmed (or of a server stopped between the two
    steps) are removed after a day: a confirmed one is removed when its campaign is made."""
    limit = (now or time.time()) - UPLOAD_DAYS * 86400
    for path in folder.glob("voice-*"):
        if UPLOAD_NAME.match(path.name) and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def options_of(ctx, values):
    """control.create's arguments from the form (numbers as numbers; the rest it checks)."""
    options = {"window": values["window"], "text": values["text"], "kind": values["kind"],
               "notice_type": values["notice_type"] if values["kind"] == "notice" else "",
               "script": values["script"] or None, "line_group": values["line_group"] or "default",
               "config": ctx.config}
    for key in ("max_tries", "retry_minutes"):
        text = values[key]
        if text and not text.isdigit():
            raise InputError.of(N_("{field}: must be a whole number"), field=key)
        options[key] = int(text) if text else None
    if values["kind"] not in CREATABLE:
        raise InputError.of(N_("{field}: must be one of {choices}"), field="kind", choices=", ".join(CREATABLE))
    if not values["name"]:
        raise InputError.of(N_("{field}: a campaign needs a name"), field="name")
    return options


@page("/voice/confirm", "campaigns", method="POST")
def voice_confirm(ctx):
    """The confirmation step: how many numbers and the first text; nothing is created yet."""
    values = form_values(ctx)
    try:
        options = options_of(ctx, values)
        shown = control.preview(values["name"], callees_of(ctx, values), **options)
    except InputError as exc:
        return render_list(ctx, 400, ctx.error_text(exc), values)
    first = mask_mobile(shown["number"]) if ctx.masks("mobile") else shown["number"]
    return ctx.render("voice_confirm", title=ctx._("Create a voice campaign"), values=values, count=shown["count"],
                      first=first, first_text=shown["text"], kind_label=label(ctx, values["kind"]))


@page("/voice/back", "campaigns", method="POST")
def voice_back(ctx):
    """From the confirmation back to the form, with what was typed."""
    return render_list(ctx, values=form_values(ctx))


@page("/voice", "campaigns", method="POST")
def voice_create(ctx):
    values = form_values(ctx)
    try:
        options = options_of(ctx, values)
        callees = callees_of(ctx, values)
        source = {"list": "list", "group": f"group {values['group']}", "file": "file"}[values["source"]]
        campaign = control.create(values["name"], callees, created_by=ctx.user.username, source=f"web: {source}",
                                  **options)
    except InputError as exc:
        return render_list(ctx, 400, ctx.error_text(exc), values)
    if values["upload"]:
        (ctx.config.data_dir / "uploads" / values["upload"]).unlink(missing_ok=True)
    ctx.audit("voice.create", f"voice_campaign:{campaign.id}", f"{len(callees)} numbers")
    ctx.redirect(f"/voice/{campaign.id}", "ok", ctx._("Campaign created as a draft. Start it when ready."))


def attempt_filters(ctx):
    return {"result": ctx.query("result") or None, "state": ctx.query("state") or None,
            "number": ctx.query("number") or None}


@page("/voice/{campaign_id:int}", "view")
def voice_campaign(ctx, campaign_id):
    report = listing.campaign_report(campaign_id)
    filters = attempt_filters(ctx)
    error = None
    try:
        calls = listing.attempts(campaign_id, before=ctx.query_int("before"), **filters)
    except InputError as exc:
        error, calls = ctx.error_text(exc), listing.attempts(campaign_id, limit=0)
    rows = [listing.as_dict(a, mask=ctx.masks("mobile")) for a in calls.rows]
    for row, attempt in zip(rows, calls.rows):
        row["heard"] = ctx._(AUDIO_LABELS[attempt.audio_class]) if attempt.audio_class in AUDIO_LABELS \
            else attempt.audio_class
        row["early_audio"] = bool(attempt.early_audio)
    screened = listing.screened([r["id"] for r in rows]) if report["kind"] == "screening" else {}
    recorded = set(CallAnswer.select(CallAnswer.attempt).where(
        CallAnswer.attempt.in_([r["id"] for r in rows]), CallAnswer.recording != "").tuples()) if rows else set()
    return ctx.render("voice_campaign", title=report["name"], report=report, live=live(ctx, report), rows=rows,
                      recorded={a for (a,) in recorded}, filters=filters, error=error,
                      screened={k: ctx._(SCREEN_LABELS[v]) for k, v in screened.items()},
                      heard_column=any(r["heard"] for r in rows),
                      tallies=surveys.tallies(campaign_id), answer_word=lambda a: answer_word(ctx, a),
                      results=[r for r in RESULTS if r], states=ATTEMPT_STATES, label=lambda c: label(ctx, c),
                      actions=ACTIONS, allowed=[a for a, (states, _) in control.TRANSITIONS.items()
                                                if report["state"] in states],
                      csv_url=page_url(f"/voice/{campaign_id}/attempts.csv", **filters),
                      next_url=page_url(f"/voice/{campaign_id}", before=calls.next_before, **filters)
                      if calls.next_before else None)


@page("/voice/{campaign_id:int}.json", "view")
def voice_campaign_json(ctx, campaign_id):
    return json_response(200, {str(campaign_id): live(ctx, listing.campaign_report(campaign_id))})


@page("/voice/{campaign_id:int}/cancel", "campaigns")
def voice_cancel_confirm(ctx, campaign_id):
    report = listing.campaign_report(campaign_id)
    return ctx.render("voice_cancel", title=ctx._("Cancel campaign"), report=report)


@page("/voice/{campaign_id:int}/{action}", "campaigns", method="POST")
def voice_action(ctx, campaign_id, action):
    if action not in ACTIONS:
        raise NotFound.of(N_("{field}: no action {action}"), field="action", action=action)
    try:
        control.change(campaign_id, action)
    except InputError as exc:
        if exc.http_status == 404:
            raise
        ctx.redirect(f"/voice/{campaign_id}", "error", ctx._("This cannot be done now: the campaign is {state}.").format(
            state=label(ctx, control.get(campaign_id).state)))
    ctx.audit(f"voice.{action}", f"voice_campaign:{campaign_id}")
    ctx.redirect(f"/voice/{campaign_id}", "ok", ctx._("Saved."))


@page("/voice/{campaign_id:int}/attempts.csv", "view")
def voice_attempts_csv(ctx, campaign_id):
    control.get(campaign_id)
    text = listing.csv_text(campaign_id, mask=ctx.masks("mobile"), label=lambda c: label(ctx, c) if c else "",
                            **attempt_filters(ctx))
    # A BOM, so that Excel in China opens the UTF-8 file with its Chinese intact.
    return respond("\ufeff" + text, headers={"Content-Type": "text/csv; charset=utf-8",
                                             "Content-Disposition": f'attachment; filename="voice-{campaign_id}.csv"'})


@page("/voice/{campaign_id:int}/tallies.csv", "view")
def voice_tallies_csv(ctx, campaign_id):
    control.get(campaign_id)
    return respond("\ufeff" + listing.tallies_csv(campaign_id, ctx.lang), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="voice-{campaign_id}-tallies.csv"'})


@page("/voice/{campaign_id:int}/answers.csv", "view")
def voice_answers_csv(ctx, campaign_id):
    """A survey's answers, one row per call and a column per question (appliance.voice.surveys),
    for those who see numbers: the export holds them in full."""
    control.get(campaign_id)
    if ctx.masks("mobile"):
        return error_page(ctx.config, 403, N_("Your role may not open this page."), ctx.session)
    out = io.StringIO()
    surveys.write_csv(campaign_id, out, "zh" if ctx.lang == "zh" else "en")
    return respond("\ufeff" + out.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="voice-{campaign_id}-answers.csv"'})


@page("/voice/{campaign_id:int}/attempts/{attempt_id:int}/early.wav", "view")
def voice_early_audio(ctx, campaign_id, attempt_id):
    """What the line played before any answer, for an <audio> player: an admin hears what the
    classifier heard (and may make it a reference: `appliance voice reference add`)."""
    path = listing.early_audio(ctx.config, campaign_id, attempt_id)
    return bottle.static_file(path.name, root=str(path.parent), mimetype="audio/wav",
                              headers={"Cache-Control": "private, no-cache"})


@page("/voice/{campaign_id:int}/attempts/{attempt_id:int}/recording.wav", "view")
def voice_recording(ctx, campaign_id, attempt_id):
    """An answer's recording for an <audio> player (Range requests work)."""
    if CallAttempt.get_or_none(CallAttempt.id == attempt_id, CallAttempt.campaign == campaign_id) is None:
        raise NotFound.of(N_("{field}: no call {attempt_id} in campaign {campaign_id}"),
                          field="attempt", attempt_id=attempt_id, campaign_id=campaign_id)
    path = listing.recording(ctx.config, campaign_id, attempt_id, ctx.query_int("question"))
    return bottle.static_file(path.name, root=str(path.parent), mimetype="audio/wav",
                              headers={"Cache-Control": "private, no-cache"})
