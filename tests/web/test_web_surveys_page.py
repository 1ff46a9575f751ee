"""The SMS surveys page over HTTP (a real server): each survey's question, counts per
score, average and response rate, newest first; the tallies and each survey's answers
as CSV (numbers masked for an auditor); a link to the voice surveys; a campaign that is
no survey is not there and its answers CSV is a 404."""
import csv
import io
import re

from web_support import Client, make_user

from appliance.services.models import Campaign, SurveyAnswer


def survey(name, question, queued, scores):
    campaign = Campaign.create(name=name, kind="survey", category="service", question=question, queued=queued)
    for i, score in enumerate(scores):
        SurveyAnswer.create(campaign=campaign, number=f"+861380013800{i}", score=score)
    return campaign


def test_tallies_csv_and_link(server, admin_client):
    older = survey("十月回访", "您对理赔服务满意吗？", 4, [5, 4, 4])
    newer = survey("十一月回访<b>", "柜面服务打几分？", 10, [1])
    Campaign.create(name="普通群发", kind="bulk", category="service", queued=3)
    html = admin_client.page("/surveys").text
    assert re.findall(r'data-survey="(\d+)"', html) == [str(newer.id), str(older.id)]
    assert "十一月回访&lt;b&gt;" in html and "普通群发" not in html and 'href="/voice"' in html
    part = html[html.index(f'data-survey="{older.id}"'):]
    assert re.search(r'data-field="answers">3<', part) and re.search(r'data-field="rate">75.0%<', part)
    assert re.search(r'data-field="average">4.33<', part) and re.search(r'data-score="4">2<', part)
    assert "5 分" in part and "回复率" in part

    rows = list(csv.reader(io.StringIO(admin_client.get("/surveys.csv").text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["调查", "题目", "已发出问题", "回复数", "回复率"] and rows[0][-1] == "平均分"
    assert rows[2] == ["十月回访", "您对理赔服务满意吗？", "4", "3", "75.0%", "0", "0", "0", "2", "1", "4.33"]

    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    answers = list(csv.reader(io.StringIO(auditor.get(f"/surveys/{older.id}/answers.csv").text.lstrip("\ufeff"))))
    assert answers[0] == ["手机号", "分数", "回复时间"] and len(answers) == 4
    assert sorted(a[1] for a in answers[1:]) == ["4", "4", "5"] and all("13800138000" not in a[0] for a in answers)
    bulk = Campaign.get(Campaign.kind == "bulk")
    assert admin_client.get(f"/surveys/{bulk.id}/answers.csv").status == 404


def test_no_survey_yet(admin_client):
    html = admin_client.page("/surveys").text
    assert 'id="surveys-none"' in html and "还没有发送过短信调查" in html


def test_send_a_survey_after_seeing_what_goes_out(server, admin_client):
    from appliance.models import AuditLog, ContactGroup, Customer
    from appliance.sms.models import Message
    for i, mobile in enumerate(("+8613800138001", "+8613800138002")):
        Customer.create(name=f"王{i}", gender="F", mobile=mobile, region="福州")
    group = ContactGroup.create(name="福州客户", kind="customer", rule="region", rule_value="福州")
    form = {"name": "理赔回访", "group": str(group.id), "question": "您对本次理赔满意吗？", "department": "理赔部"}

    admin_client.page("/surveys")
    bad = admin_client.post("/surveys/confirm", {**form, "question": ""})
    assert bad.status == 400 and "输入有误: 题目：请填写" in bad.text and 'value="理赔回访"' in bad.text
    ask = admin_client.post("/surveys/confirm", form)
    assert ask.status == 200 and re.search(r'id="confirm-count">2<', ask.text) and "确认之前不会发送" in ask.text
    assert "您对本次理赔满意吗？请回复1-5评分" in ask.text
    assert Campaign.select().count() == 0 and Message.select().count() == 0  # nothing before the confirmation

    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    assert 'id="survey-form"' not in auditor.page("/surveys").text
    assert auditor.post("/surveys", form).status == 403 and Campaign.select().count() == 0

    sent = admin_client.post("/surveys", form)
    assert sent.status == 303
    campaign = Campaign.get()
    assert (campaign.kind, campaign.queued, campaign.question, campaign.created_by) == ("survey", 2, form["question"], "root")
    assert Message.select().where(Message.campaign_id == campaign.id).count() == 2
    entry = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (entry.action, entry.target) == ("survey.send", f"campaign:{campaign.id}")
    html = admin_client.page("/surveys").text
    assert "调查已发送：2 条短信已排队" in html and f'data-survey="{campaign.id}"' in html


def test_filter_by_the_days_sent(admin_client):
    from appliance import clock
    october = survey("十月回访", "满意吗？", 2, [5])
    november = survey("十一月回访", "满意吗？", 2, [3])
    Campaign.update(created_at=clock.parse("2026-10-15T10:00")).where(Campaign.id == october.id).execute()
    Campaign.update(created_at=clock.parse("2026-11-15T10:00")).where(Campaign.id == november.id).execute()
    html = admin_client.page("/surveys?since=2026-11-01&until=2026-11-30").text
    assert re.findall(r'data-survey="(\d+)"', html) == [str(november.id)]
    assert 'href="/surveys.csv?since=2026-11-01&amp;until=2026-11-30"' in html
    rows = list(csv.reader(io.StringIO(admin_client.get("/surveys.csv?until=2026-10-31").text.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["十月回访"]
    bad = admin_client.get("/surveys?since=last-week")
    assert bad.status == 400 and "输入有误" in bad.text and "since" in bad.text
