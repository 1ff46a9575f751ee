"""The voice campaigns' listings: campaigns with their progress, a campaign's call attempts
(filtered by result, state and number, paged) and their CSV, a survey's tallies as CSV,
and an answer's recording. One query and one serialiser each, shared by `appliance voice`, the
API (/api/v1/voice/…) and the admin page, as appliance/sms/history.py is for messages.
"""
import csv
import io
import re
from pathlib import Path

from peewee import fn

from appliance import listings
from appliance.errors import N_, InputError, NotFound
from appliance.privacy import mask_mobile
from appliance.voice import campaigns, surveys
from appliance.voice.models import ATTEMPT_STATES, RESULTS, CallAnswer, CallAttempt, ScreenedNumber, VoiceCampaign

CSV_COLUMNS = ("id", "number", "state", "result", "try_no", "talk_seconds", "answer_seconds", "keys",
               "dial_status", "hangup_cause", "early_media", "audio_class", "dialled_at", "ended_at", "detail")
CSV_CHUNK = 1000


def campaign_report(campaign_id):
    """A campaign's settings, its counts per state and result, answer and confirmation rates
    and progress (the share of attempts that reached an end: done, unknown or skipped)."""
    campaign = VoiceCampaign.get_or_none(VoiceCampaign.id == campaign_id)
    if campaign is None:
        raise NotFound.of(N_("{field}: no voice campaign {campaign_id}"), field="id", campaign_id=campaign_id)
    return _report(campaign, _counts([campaign_id]).get(campaign_id, {}))


def campaign_reports(campaign_ids):
    """The reports of these campaigns (those that exist), counted in one query."""
    found = list(VoiceCampaign.select().where(VoiceCampaign.id.in_(campaign_ids))) if campaign_ids else []
    counts = _counts([c.id for c in found]) if found else {}
    return [_report(c, counts.get(c.id, {})) for c in found]


def campaign_page(before=None, limit=listings.PAGE_SIZE):
    """A Page of campaign reports, newest first (their counts in one query)."""
    page = listings.keyset(VoiceCampaign.select(), VoiceCampaign.id, before, limit)
    counts = _counts([c.id for c in page.rows]) if page.rows else {}
    return listings.Page([_report(c, counts.get(c.id, {})) for c in page.rows], page.next_before)


def _counts(campaign_ids):
    """{campaign id: {(state, result): n}}, counted by the database: the pages poll these
    every few seconds, and a campaign may hold 100,000 attempts."""
    query = (CallAttempt.select(CallAttempt.campaign, CallAttempt.state, CallAttempt.result,
                                fn.COUNT(CallAttempt.id))
             .where(CallAttempt.campaign.in_(campaign_ids))
             .group_by(CallAttempt.campaign, CallAttempt.state, CallAttempt.result))
    found = {}
    for campaign_id, state, result, count in query.tuples():
        found.setdefault(campaign_id, {})[(state, result)] = count
    return found


def _report(campaign, counts):
    """The figures of campaigns.summary (same definitions: rates of finished attempts) and more."""
    states = {s: 0 for s in ATTEMPT_STATES}
    results = {r: 0 for r in RESULTS if r}
    for (state, result), count in counts.items():
        states[state] += count
        if result:
            results[result] += count
    attempts = sum(states.values())
    finished = states["done"] + states["unknown"]
    answered = sum(results[r] for r in campaigns.ANSWERED)
    ended = finished + states["skipped"]
    return {"id": campaign.id, "name": campaign.name, "state": campaign.state, "line_group": campaign.line_group,
            "attempts": attempts, **states, "results": results,
            "answer_rate": round(answered / finished, 4) if finished else None,
            "confirmation_rate": round(results["confirmed"] / answered, 4) if answered else None,
            "kind": campaign.kind, "notice_type": campaign.notice_type, "text": campaign.text,
            "window": campaign.window, "max_tries": campaign.max_tries, "retry_minutes": campaign.retry_minutes,
            "source": campaign.source, "created_by": campaign.created_by, "created_at": campaign.created_at,
            "started_at": campaign.started_at, "finished_at": campaign.finished_at,
            "progress": round(ended / attempts, 4) if attempts else None}


def _filtered(campaign_id, result=None, state=None, number=None):
    query = CallAttempt.select().where(CallAttempt.campaign == campaign_id)
    if listings.choice(result, [r for r in RESULTS if r], "result"):
        query = query.where(CallAttempt.result == result)
    if listings.choice(state, ATTEMPT_STATES, "state"):
        query = query.where(CallAttempt.state == state)
    if number:
        query = query.where(CallAttempt.number.endswith(number_digits(number)))
    return query


def number_digits(text, field="number"):
    """The digits a number filter matches at the end of a stored number: any written form
    (+86 138-0013-8000, 008613800138000, 13800138000) or only its last digits (8000)."""
    digits = re.sub(r"\D", "", text or "")
    if not digits or len(digits) > 20:
        raise InputError.of(N_("{field}: {text!r} is not a number or the last digits of one"), field=field, text=text)
    for prefix in ("0086", "86"):  # the country code is written in some forms and not in others
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            return digits[len(prefix):]
    return digits


def attempts(campaign_id, *, result=None, state=None, number=None, before=None, limit=listings.PAGE_SIZE):
    """A Page of the campaign's call attempts, newest first, filtered."""
    return listings.keyset(_filtered(campaign_id, result, state, number), CallAttempt.id, before, limit)


def as_dict(attempt, mask=True):
    """An attempt for --json, the API and the page; the number masked unless `mask` is False."""
    return {"id": attempt.id, "campaign_id": attempt.campaign_id,
            "number": mask_mobile(attempt.number) if mask else attempt.number,
            "customer_id": attempt.customer_id, "state": attempt.state, "result": attempt.result,
            "try_no": attempt.try_no, "talk_seconds": attempt.talk_seconds,
            "answer_seconds": attempt.answer_seconds, "keys": attempt.keys, "dial_status": attempt.dial_status,
            "hangup_cause": attempt.hangup_cause, "early_media": attempt.early_media,
            "audio_class": attempt.audio_class, "queued_at": attempt.queued_at, "not_before": attempt.not_before,
            "dialled_at": attempt.dialled_at, "ended_at": attempt.ended_at, "detail": attempt.detail}


def csv_text(campaign_id, *, result=None, state=None, number=None, mask=True, label=None):
    """Every attempt that passes the filters as CSV (oldest first), read in chunks. `label`
    (a function) adds the result and state in words for people: the page gives its gettext."""
    query = _filtered(campaign_id, result, state, number)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS + (("result_text", "state_text") if label else ()))
    last = 0
    while True:
        rows = list(query.where(CallAttempt.id > last).order_by(CallAttempt.id).limit(CSV_CHUNK))
        for attempt in rows:
            data = as_dict(attempt, mask)
            line = ["" if data[c] is None else data[c] for c in CSV_COLUMNS]
            writer.writerow(line + ([label(attempt.result), label(attempt.state)] if label else []))
        if len(rows) < CSV_CHUNK:
            return out.getvalue()
        last = rows[-1].id


def tallies_csv(campaign_id, language="zh"):
    """A survey's tallies (appliance.voice.surveys.tallies) as CSV: one row per question and
    answer, with the question's text, the count and the scale's average."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("question", "text", "answer", "count", "average"))
    for tally in surveys.tallies(campaign_id):
        for answer, count in tally["counts"].items():
            word = surveys.ANSWER_WORDS.get(answer, (answer, answer))[0 if language == "zh" else 1]
            writer.writerow((tally["question"] + 1, tally["text"], word, count,
                             "" if tally["average"] is None else tally["average"]))
    return out.getvalue()


def recording(config, campaign_id, attempt_id, question=None):
    """The path of a survey answer's recording for the attempt (the first one, or the given
    question's); NotFound when there is none. Only a file under data_dir is ever given out:
    the stored path is the dialer's, but a row that points elsewhere must not open the disk."""
    query = (CallAnswer.select().join(CallAttempt)
             .where(CallAttempt.id == attempt_id, CallAttempt.campaign == campaign_id, CallAnswer.recording != ""))
    if question is not None:
        query = query.where(CallAnswer.question == question)
    answer = query.order_by(CallAnswer.question).first()
    if answer is None:
        raise NotFound.of(N_("{field}: attempt {attempt_id} of campaign {campaign_id} has no recording"),
                          field="attempt_id", attempt_id=attempt_id, campaign_id=campaign_id)
    return _on_the_box(config, answer.recording, attempt_id)


def early_audio(config, campaign_id, attempt_id):
    """The path of the early audio recorded on the attempt (what the line played before any
    answer: a carrier's announcement, tones), where it was kept; NotFound otherwise."""
    attempt = CallAttempt.get_or_none(CallAttempt.id == attempt_id, CallAttempt.campaign == campaign_id)
    if attempt is None or not attempt.early_audio:
        raise NotFound.of(N_("{field}: attempt {attempt_id} of campaign {campaign_id} has no early audio"),
                          field="attempt_id", attempt_id=attempt_id, campaign_id=campaign_id)
    return _on_the_box(config, attempt.early_audio, attempt_id)


def _on_the_box(config, stored, attempt_id):
    root = Path(config.data_dir).resolve()
    path = (root / stored).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound.of(N_("{field}: the recording of attempt {attempt_id} is not on the box"),
                          field="attempt_id", attempt_id=attempt_id)
    return path


def screened(attempt_ids):
    """{attempt id: status} of the numbers screening classified through these attempts."""
    if not attempt_ids:
        return {}
    return dict(ScreenedNumber.select(ScreenedNumber.attempt, ScreenedNumber.status)
                .where(ScreenedNumber.attempt.in_(list(attempt_ids))).tuples())
