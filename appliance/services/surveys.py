"""SMS surveys (return visits): a question sent to a group, answers 1-5
(also full-width digits and Chinese numerals) tallied per campaign."""
import datetime
import unicodedata

from peewee import fn

from appliance import clock, groups
from appliance.errors import N_, NotFound
from appliance.services import campaigns
from appliance.services.models import Campaign, SurveyAnswer
from appliance.sms.models import Message

NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5,
            "两": 2}
NOISE = " \t\r\n。.!！,，分星"  # '5分', '五星', '4。'


def parse_score(text):
    """1..5 from a reply such as '5', '５', '五', '4分'; None when it is not a score."""
    body = unicodedata.normalize("NFKC", text or "").strip().strip(NOISE)
    if len(body) != 1:
        return None
    if body in "12345":
        return int(body)
    return NUMERALS.get(body)


def send(config, name, group_name, question, **kwargs):
    """Send the survey question to a group; returns the Campaign."""
    group = groups.get_group(group_name)
    return campaigns.send(config, name, groups.recipients(group), template_key="survey",
                          kind="survey", group=group, question=question,
                          extra={"question": question}, **kwargs)


def open_survey_for(number, now, days):
    """The latest survey campaign sent to `number` within `days`, or None."""
    since = now - datetime.timedelta(days=days)
    open_surveys = Campaign.select(Campaign.id).where(Campaign.kind == "survey", Campaign.created_at >= since,
                                                      Campaign.created_at <= now)
    row = (Message.select(Message.campaign_id)
           .where(Message.to_number == number, Message.campaign_id.in_(open_surveys))
           .order_by(Message.id.desc()).first())
    return Campaign.get_by_id(row.campaign_id) if row else None


def record(campaign, number, score, inbound=None, now=None):
    """Keep one answer per number and survey; a later answer replaces the earlier one."""
    now = now or clock.now()
    existing = SurveyAnswer.get_or_none(SurveyAnswer.campaign == campaign, SurveyAnswer.number == number)
    if existing:
        existing.score, existing.inbound, existing.answered_at = score, inbound, now
        existing.save()
        return existing
    return SurveyAnswer.create(campaign=campaign, number=number, score=score, inbound=inbound, answered_at=now)


def tally(campaign_id):
    """Answers per score, their count and average, and the response rate."""
    campaign = Campaign.get_or_none(Campaign.id == campaign_id, Campaign.kind == "survey")
    if campaign is None:
        raise NotFound.of(N_("{field}: no survey campaign {campaign_id}"), field="survey", campaign_id=campaign_id)
    counts = dict(SurveyAnswer.select(SurveyAnswer.score, fn.COUNT(SurveyAnswer.id))
                  .where(SurveyAnswer.campaign == campaign).group_by(SurveyAnswer.score).tuples())
    answers = sum(counts.values())
    total = sum(score * n for score, n in counts.items())
    return {"campaign_id": campaign.id, "name": campaign.name, "question": campaign.question,
            "sent": campaign.queued, "answers": answers,
            "scores": {str(s): counts.get(s, 0) for s in range(1, 6)},
            "average": round(total / answers, 2) if answers else None,
            "response_rate": round(answers / campaign.queued, 4) if campaign.queued else None}
