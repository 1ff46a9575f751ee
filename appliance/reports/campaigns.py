"""Campaign effect and survey results for the campaigns created in a period.

Effect: per SMS campaign, its messages (targets), those delivered (reached) and the survey
answers they brought (responses); a campaign sent by e-mail (or each customer's preferred
channel) has a row for its e-mails too, reached when the relay accepted them; per voice
campaign, the numbers called, those that answered (a person: answered, confirmed, completed)
and those that confirmed the notice or finished the survey; and what each cost (SMS parts at
their tariffs, call minutes at reports.call_price, e-mails at reports.mail_price).
Survey results: per question, each answer's count and share (SMS surveys score 1–5; phone
surveys and return visits as keyed, yes/no and choices in words)."""
from collections import defaultdict
from decimal import Decimal

from peewee import fn

from appliance.errors import N_
from appliance.mail.models import MailMessage
from appliance.reports import channels
from appliance.reports.period import money, rate
from appliance.services.models import Campaign, SurveyAnswer
from appliance.sms import billing
from appliance.sms.models import Message
from appliance.voice import surveys as voice_surveys
from appliance.voice.models import CallAttempt, VoiceCampaign

RESPONDED = ("confirmed", "completed")
KIND_LABELS = {"bulk": N_("Bulk send"), "survey": N_("SMS survey"), "schedule": N_("Scheduled send"),
               "subscription": N_("Subscription send"), "bench": N_("Bench test"),
               "notice": N_("Voice notice"), "survey_call": N_("Phone survey"), "return_visit": N_("Return visit"),
               "screening": N_("Number screening"), "monitor": N_("Answer monitoring")}
CHANNEL_LABELS = {"sms": N_("SMS"), "voice": N_("Voice call"), "email": N_("E-mail")}
ANSWER_LABELS = {"yes": N_("Yes"), "no": N_("No")}
EFFECT_COLUMNS = [("campaign", N_("Campaign"), None), ("channel", N_("Channel"), CHANNEL_LABELS),
                  ("kind", N_("Kind"), KIND_LABELS), ("targets", N_("Targets"), None),
                  ("reached", N_("Reached"), None), ("reach_rate", N_("Reach rate"), None),
                  ("responses", N_("Responses"), None), ("response_rate", N_("Response rate"), None),
                  ("cost", N_("Cost (CNY)"), None)]
SURVEY_COLUMNS = [("campaign", N_("Campaign"), None), ("channel", N_("Channel"), CHANNEL_LABELS),
                  ("question", N_("Question"), None), ("answer", N_("Answer"), ANSWER_LABELS),
                  ("count", N_("Answers"), None), ("share", N_("Share"), None)]


def _effect_row(name, channel, kind, targets, reached, responses, cost):
    return {"campaign": name, "channel": channel, "kind": kind, "targets": targets, "reached": reached,
            "reach_rate": rate(reached, targets), "responses": responses, "response_rate": rate(responses, reached),
            "cost": money(cost)}


def _sms_effect(config, rng):
    found = list(Campaign.select().where(Campaign.created_at >= rng.start, Campaign.created_at < rng.end)
                 .order_by(Campaign.created_at, Campaign.id))
    ids = [c.id for c in found] or [0]
    costs = {r["campaign_id"]: r["cost"] for r in billing.campaign_report(ids, config)}
    counts = defaultdict(lambda: [0, 0])
    for cid, state, n in (Message.select(Message.campaign_id, Message.state, fn.COUNT(Message.id))
                          .where(Message.campaign_id.in_(ids)).group_by(Message.campaign_id, Message.state).tuples()):
        counts[cid][0] += n
        counts[cid][1] += n if state == "delivered" else 0
    answers = dict(SurveyAnswer.select(SurveyAnswer.campaign, fn.COUNT(SurveyAnswer.id))
                   .where(SurveyAnswer.campaign.in_(ids)).group_by(SurveyAnswer.campaign).tuples())
    mails = defaultdict(lambda: [0, 0])
    for cid, state, n in (MailMessage.select(MailMessage.campaign_id, MailMessage.state, fn.COUNT(MailMessage.id))
                          .where(MailMessage.campaign_id.in_(ids))
                          .group_by(MailMessage.campaign_id, MailMessage.state).tuples()):
        mails[cid][0] += n
        mails[cid][1] += n if state == "sent" else 0
    rows = []
    for c in found:
        if c.channel != "email" or c.id in counts:
            rows.append(_effect_row(c.name, "sms", c.kind, counts[c.id][0], counts[c.id][1], answers.get(c.id, 0),
                                    costs.get(c.id, Decimal(0))))
        if c.channel != "sms" or c.id in mails:
            rows.append(_effect_row(c.name, "email", c.kind, mails[c.id][0], mails[c.id][1], 0,
                                    channels.mail_cost(config, mails[c.id][1])))
    return found, rows


def _voice_effect(config, rng):
    found = list(VoiceCampaign.select().where(VoiceCampaign.created_at >= rng.start, VoiceCampaign.created_at < rng.end)
                 .order_by(VoiceCampaign.created_at, VoiceCampaign.id))
    rows = []
    for campaign in found:
        attempts = list(CallAttempt.select(CallAttempt.number, CallAttempt.result, CallAttempt.talk_seconds)
                        .where(CallAttempt.campaign == campaign).tuples())
        minutes = sum(channels.call_minutes(t) for _, _, t in attempts)
        kind = "survey_call" if campaign.kind == "survey" else campaign.kind
        rows.append(_effect_row(campaign.name, "voice", kind, len({n for n, _, _ in attempts}),
                                len({n for n, r, _ in attempts if r in channels.ANSWERED}),
                                len({n for n, r, _ in attempts if r in RESPONDED}),
                                channels.call_cost(config, minutes)))
    return found, rows


def _sms_survey_rows(campaigns):
    rows = []
    for campaign in campaigns:
        if campaign.kind != "survey":
            continue
        counts = dict(SurveyAnswer.select(SurveyAnswer.score, fn.COUNT(SurveyAnswer.id))
                      .where(SurveyAnswer.campaign == campaign).group_by(SurveyAnswer.score).tuples())
        total = sum(counts.values())
        rows += [{"campaign": campaign.name, "channel": "sms", "question": campaign.question, "answer": str(score),
                  "count": counts.get(score, 0), "share": rate(counts.get(score, 0), total)} for score in range(1, 6)]
    return rows


def _voice_survey_rows(campaigns):
    rows = []
    for campaign in campaigns:
        if campaign.kind not in ("survey", "return_visit"):
            continue
        questions = voice_surveys.questions_of(campaign)
        for tally in voice_surveys.tallies(campaign.id):
            question = questions[tally["question"]]
            for answer, n in tally["counts"].items():
                shown = answer
                if question["type"] == "choice" and answer.isdigit() and 0 < int(answer) <= len(question["options"]):
                    shown = question["options"][int(answer) - 1]
                rows.append({"campaign": campaign.name, "channel": "voice", "question": tally["text"],
                             "answer": shown, "count": n, "share": rate(n, tally["answered"])})
    return rows


def report(config, rng):
    """Campaign effect and survey results of the campaigns created in the Range `rng`."""
    sms, sms_rows = _sms_effect(config, rng)
    voice, voice_rows = _voice_effect(config, rng)
    return {"name": "campaigns", "from": str(rng.first), "to": str(rng.last),
            "tables": [{"name": "effect", "title": N_("Campaign effect"), "columns": EFFECT_COLUMNS,
                        "rows": sms_rows + voice_rows},
                       {"name": "surveys", "title": N_("Survey results"), "columns": SURVEY_COLUMNS,
                        "rows": _sms_survey_rows(sms) + _voice_survey_rows(voice)}]}
