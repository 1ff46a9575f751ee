"""SMS surveys (appliance.services.surveys: campaigns of kind survey, answers 1-5 by
reply) on the admin page: each survey's question, how many were asked and answered,
the answers per score and their average, newest first with keyset paging; a CSV of the
tallies and, per survey, a CSV of its answers (numbers masked as the role sees them).
Voice surveys (answers by key) have their own page, /voice, linked from here."""
import csv
import io

from appliance import listings
from appliance.services import surveys
from appliance.services.models import Campaign, SurveyAnswer
from web.pages import page, page_url, respond

SCORES = ("1", "2", "3", "4", "5")


def survey_campaigns():
    return Campaign.select().where(Campaign.kind == "survey")


def csv_response(rows, filename):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    # A BOM, so that Excel in China opens the UTF-8 file with its Chinese intact.
    return respond("\ufeff" + out.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def percent(rate):
    return "" if rate is None else f"{rate * 100:.1f}%"


@page("/surveys", "view", nav=("SMS surveys", 27))
def surveys_page(ctx):
    listed = listings.keyset(survey_campaigns(), Campaign.id, ctx.query_int("before"))
    rows = [{**t, "created_at": c.created_at, "rate": percent(t["response_rate"])}
            for c, t in ((c, surveys.tally(c.id)) for c in listed.rows)]
    return ctx.render("surveys", title=ctx._("SMS surveys"), rows=rows, scores=SCORES,
                      next_url=page_url("/surveys", before=listed.next_before) if listed.next_before else None)


@page("/surveys.csv", "view")
def surveys_csv(ctx):
    _ = ctx._
    rows = [[_("Survey"), _("Question"), _("Questions sent"), _("Answers"), _("Response rate")]
            + [_("{score} points").format(score=s) for s in SCORES] + [_("Average score")]]
    for campaign in survey_campaigns().order_by(Campaign.id.desc()):
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
