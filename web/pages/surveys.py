"""SMS surveys (appliance.services.surveys: campaigns of kind survey, answers 1-5 by
reply) on the admin page: each survey's question, how many were asked and answered,
the answers per score and their average, newest first with keyset paging; a CSV of the
tallies and, per survey, a CSV of its answers (numbers masked as the role sees them).
Sending one (campaigns permission) shows first what would go out — how many, the text
the first recipient gets, the cost — and sends only when confirmed.
Voice surveys (answers by key) have their own page, /voice, linked from here."""
import csv
import io

from appliance import groups, listings
from appliance.errors import N_, InputError
from appliance.models import ContactGroup
from appliance.services import campaigns, surveys
from appliance.services.models import Campaign, SurveyAnswer
from web.pages import page, page_url, respond

SEND_FIELDS = ("name", "group", "question", "department")

SCORES = ("1", "2", "3", "4", "5")


def survey_campaigns(since="", until=""):
    """Survey campaigns sent within days since..until (both included; empty: no limit)."""
    query = Campaign.select().where(Campaign.kind == "survey")
    for condition in listings.day_range(Campaign.created_at, since, until):
        query = query.where(condition)
    return query


def day_filters(ctx):
    return {"since": ctx.query("since"), "until": ctx.query("until")}


def csv_response(rows, filename):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    # A BOM, so that Excel in China opens the UTF-8 file with its Chinese intact.
    return respond("\ufeff" + out.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def percent(rate):
    return "" if rate is None else f"{rate * 100:.1f}%"


def surveys_view(ctx, form=None, error=None, status=200):
    filters = day_filters(ctx)
    try:
        listed = listings.keyset(survey_campaigns(**filters), Campaign.id, ctx.query_int("before"))
    except InputError as exc:
        error, status, listed = error or ctx.error_text(exc), 400, listings.Page([])
    rows = [{**t, "created_at": c.created_at, "rate": percent(t["response_rate"])}
            for c, t in ((c, surveys.tally(c.id)) for c in listed.rows)]
    body = ctx.render("surveys", title=ctx._("SMS surveys"), rows=rows, scores=SCORES, form=form or {},
                      error=error, groups=list(ContactGroup.select().order_by(ContactGroup.name)),
                      filters=filters, csv_url=page_url("/surveys.csv", **filters),
                      next_url=page_url("/surveys", before=listed.next_before, **filters) if listed.next_before else None)
    return respond(body, status)


@page("/surveys", "view", nav=("SMS surveys", 27))
def surveys_page(ctx):
    return surveys_view(ctx)


def send_form(ctx):
    """The send form, checked: (form, group); InputError names the field."""
    form = {name: ctx.form(name) for name in SEND_FIELDS}
    for field in ("name", "question"):
        if not form[field]:
            raise InputError.of(N_("{field}: please fill it in"), field=field)
    if not form["group"]:
        raise InputError.of(N_("{field}: choose a group"), field="group")
    return form, groups.get_group(form["group"])


@page("/surveys/confirm", "campaigns", method="POST")
def survey_confirm(ctx):
    """What the survey would send, before anything is queued."""
    try:
        form, group = send_form(ctx)
        preview = campaigns.preview(ctx.config, groups.recipients(group), template_key="survey",
                                    extra={"question": form["question"]}, samples=1)
    except InputError as exc:
        return surveys_view(ctx, {name: ctx.form(name) for name in SEND_FIELDS}, ctx.error_text(exc), 400)
    sample = preview["samples"][0] if preview["samples"] else None
    return ctx.render("survey_confirm", title=ctx._("Send an SMS survey"), form=form, group=group, preview=preview,
                      first=ctx.mobile(sample["to"]) if sample else "", first_text=sample["text"] if sample else "")


@page("/surveys", "campaigns", method="POST")
def survey_send(ctx):
    try:
        form, group = send_form(ctx)
        campaign = surveys.send(ctx.config, form["name"], group.id, form["question"], created_by=ctx.user.username,
                                department=form["department"], source="web")
    except InputError as exc:
        return surveys_view(ctx, {name: ctx.form(name) for name in SEND_FIELDS}, ctx.error_text(exc), 400)
    ctx.audit("survey.send", f"campaign:{campaign.id}", f"{campaign.queued} queued")
    ctx.redirect("/surveys", "ok", ctx._("Survey sent: {queued} messages queued, {skipped} skipped.").format(
        queued=campaign.queued, skipped=campaign.skipped))


@page("/surveys.csv", "view")
def surveys_csv(ctx):
    _ = ctx._
    rows = [[_("Survey"), _("Question"), _("Questions sent"), _("Answers"), _("Response rate")]
            + [_("{score} points").format(score=s) for s in SCORES] + [_("Average score")]]
    for campaign in survey_campaigns(**day_filters(ctx)).order_by(Campaign.id.desc()):
        t = surveys.tally(campaign.id)
        rows.append([t["name"], t["question"], t["sent"], t["answers"], percent(t["response_rate"])]
                    + [t["scores"][s] for s in SCORES] + ["" if t["average"] is None else t["average"]])
    return csv_response(rows, "sms-surveys.csv")


@page("/surveys/{campaign_id:int}/answers.csv", "view")
def survey_answers_csv(ctx, campaign_id):
    surveys.tally(campaign_id)  # NotFound for a campaign that is no survey
    _ = ctx._
    rows = [[_("Mobile"), _("Score"), _("Answered at")]]
    answers = SurveyAnswer.select().where(SurveyAnswer.campaign == campaign_id).order_by(SurveyAnswer.answered_at)
    rows += [[ctx.mobile(a.number), a.score, ctx.when(a.answered_at)] for a in answers]
    return csv_response(rows, f"sms-survey-{campaign_id}.csv")
