"""/api/v1/voice/…: campaigns created from numbers, a group or customers (400 naming the
field and nothing created on bad input), state changes (409 on an impossible one), the
calls filtered and paged, their CSV, a survey's answer counts and an answer's recording.

Results are written as the dialer writes them (agi.dialer.finish on a claimed attempt);
the whole path through a real Asterisk is in test_web_voice_browser.py."""
import csv
import io

import pytest

from agi.dialer import finish
from appliance import groups, tokens
from appliance.models import AuditLog, Customer
from appliance.voice.models import CallAnswer, CallAttempt, VoiceCampaign

BASE = "/api/v1/voice/campaigns"
NUMBERS = ["13800138000", "13900139000", "+8613700137000", "13600136000"]


@pytest.fixture
def api(client, api_token):
    def call(method, path, payload=None, token=api_token):
        return client.api(method, path, token=token, payload=payload)
    return call


def create(api, **body):
    resp = api("POST", BASE, {"name": "续保提醒", "text": "您的保单即将到期", **body})
    assert resp.status == 201, resp.text
    return resp.json


def dialled(campaign_id, outcomes):
    """The calls end as the dialer ends them: claimed (dialling), then finish()."""
    for number, (result, talk) in outcomes.items():
        attempt = CallAttempt.get(CallAttempt.campaign == campaign_id, CallAttempt.number == number)
        CallAttempt.update(state="dialling", channel_id=f"test-{attempt.id}").where(
            CallAttempt.id == attempt.id).execute()
        assert finish(attempt.id, result, dial_status="ANSWER" if talk else "BUSY", talk_seconds=talk)


def test_create_from_numbers_then_show_and_list(api):
    report = create(api, numbers=NUMBERS + ["13800138000"], max_tries=2, retry_minutes=45)
    assert (report["state"], report["attempts"], report["queued"], report["kind"]) == ("draft", 4, 4, "notice")
    assert (report["max_tries"], report["retry_minutes"], report["source"]) == (2, 45, "api: list")
    assert report["answer_rate"] is None and report["progress"] == 0
    assert [a.number for a in CallAttempt.select().order_by(CallAttempt.id)] == NUMBERS
    assert AuditLog.get(AuditLog.action == "voice.create").target == f"voice_campaign:{report['id']}"
    shown = api("GET", f"{BASE}/{report['id']}")
    assert shown.status == 200 and shown.json["name"] == "续保提醒"
    second = create(api, numbers=["13800138000"])
    page = api("GET", f"{BASE}?limit=1")
    assert [c["id"] for c in page.json["items"]] == [second["id"]] and page.json["next_before"] == second["id"]
    older = api("GET", f"{BASE}?limit=1&before={second['id']}")
    assert [c["id"] for c in older.json["items"]] == [report["id"]] and older.json["next_before"] is None
    assert api("GET", f"{BASE}/999").status == 404


@pytest.mark.parametrize("body, field", [
    ({"numbers": ["13800138000", "1380013800,0;Hangup"]}, "numbers[1]"),
    ({"numbers": []}, "numbers"),
    ({"numbers": ["13800138000"], "name": "   "}, "name"),
    ({"numbers": ["13800138000"], "group": "vip"}, "numbers"),
    ({"numbers": ["13800138000"], "max_tries": 0}, "max_tries"),
    ({"numbers": ["13800138000"], "retry_minutes": 100000}, "retry_minutes"),
    ({"numbers": ["13800138000"], "kind": "robocall"}, "kind"),
    ({"numbers": ["13800138000"], "line_group": "e1,Hangup"}, "line_group"),
    ({"numbers": ["13800138000"], "line_group": "gsm"}, "line_group"),  # not one of [voice] line_groups
    ({"numbers": ["13800138000"], "colour": "red"}, "colour"),
    ({"customer_ids": [0]}, "customer_ids[0]"),
])
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(api, body, field):
    resp = api("POST", BASE, {"name": "坏请求", **body})
    assert resp.status == 400, resp.text
    assert resp.json["error"]["field"] == field, resp.json
    assert VoiceCampaign.select().count() == 0 and CallAttempt.select().count() == 0


def test_create_from_a_group_and_from_customers(api):
    zhang = Customer.create(name="张三", mobile="13800138000", region="福州")
    li = Customer.create(name="李四", mobile="13900139000", region="福州")
    Customer.create(name="王五", mobile="13700137000", region="厦门")
    groups.create("福州客户", "customer", "region", "福州")
    report = create(api, group="福州客户")
    assert report["attempts"] == 2 and report["source"] == "api: group 福州客户"
    owners = {a.number: a.customer_id for a in CallAttempt.select().where(CallAttempt.campaign == report["id"])}
    assert owners == {"+8613800138000": zhang.id, "+8613900139000": li.id}
    by_id = create(api, customer_ids=[li.id])
    assert by_id["attempts"] == 1
    missing = api("POST", BASE, {"name": "x", "group": "没有这个组"})
    assert missing.status == 404 and missing.json["error"]["field"] == "group"
    unknown = api("POST", BASE, {"name": "x", "customer_ids": [li.id, 99999]})
    assert unknown.status == 404 and unknown.json["error"]["field"] == "customer_ids"
    assert VoiceCampaign.select().count() == 2


def test_state_changes_and_409_on_an_impossible_one(api):
    cid = create(api, numbers=NUMBERS)["id"]
    assert api("POST", f"{BASE}/{cid}/pause").status == 409  # a draft is not running
    assert api("POST", f"{BASE}/{cid}/start").json["state"] == "running"
    again = api("POST", f"{BASE}/{cid}/start")
    assert again.status == 409 and again.json["error"]["field"] == "campaign_id" and "running" in again.text
    assert api("POST", f"{BASE}/{cid}/pause").json["state"] == "paused"
    assert api("POST", f"{BASE}/{cid}/resume").json["state"] == "running"
    cancelled = api("POST", f"{BASE}/{cid}/cancel")
    assert cancelled.json["state"] == "cancelled" and cancelled.json["finished_at"]
    for action in ("resume", "start", "pause", "cancel"):
        resp = api("POST", f"{BASE}/{cid}/{action}")
        assert resp.status == 409, (action, resp.text)
    assert VoiceCampaign.get_by_id(cid).state == "cancelled"
    assert api("POST", f"{BASE}/4242/start").status == 404
    assert [r.action for r in AuditLog.select().where(AuditLog.action.startswith("voice.")).order_by(AuditLog.id)] == [
        "voice.create", "voice.start", "voice.pause", "voice.resume", "voice.cancel"]


def test_counts_rates_and_filtered_paged_attempts(api, client):
    cid = create(api, numbers=NUMBERS)["id"]
    api("POST", f"{BASE}/{cid}/start")
    # Results that are not retried (a busy number would be queued again: the retry rule's own tests).
    dialled(cid, {"13800138000": ("answered", 12), "13900139000": ("invalid", None),
                  "+8613700137000": ("invalid", None)})
    report = api("GET", f"{BASE}/{cid}").json
    assert report["results"]["invalid"] == 2 and report["results"]["answered"] == 1
    assert (report["done"], report["queued"], report["progress"]) == (3, 1, 0.75)
    assert report["answer_rate"] == round(1 / 3, 4) and report["confirmation_rate"] == 0

    def numbers(query):
        resp = api("GET", f"{BASE}/{cid}/attempts?{query}")
        assert resp.status == 200, resp.text
        return [a["number"] for a in resp.json["items"]]
    assert numbers("result=invalid") == ["+8613700137000", "13900139000"]
    assert numbers("state=queued") == ["13600136000"]
    for form in ("%2B86%20137-0013-7000", "13700137000", "008613700137000", "7000"):  # any form, last digits
        assert numbers(f"number={form}") == ["+8613700137000"], form
    assert numbers("number=138-0013-8000&result=answered") == ["13800138000"]
    first = api("GET", f"{BASE}/{cid}/attempts?limit=2").json
    rest = api("GET", f"{BASE}/{cid}/attempts?limit=2&before={first['next_before']}").json
    assert len(first["items"]) == 2 and len(rest["items"]) == 2 and rest["next_before"] is None
    assert api("GET", f"{BASE}/{cid}/attempts?result=no_such").json["error"]["field"] == "result"
    assert api("GET", f"{BASE}/{cid}/attempts?number=abc").json["error"]["field"] == "number"
    assert api("GET", f"{BASE}/777/attempts").status == 404

    _, auditor = tokens.create_token("auditor", "auditor")
    masked = api("GET", f"{BASE}/{cid}/attempts?result=answered", token=auditor).json["items"]
    assert masked[0]["number"] == "138****8000" and masked[0]["talk_seconds"] == 12
    assert api("POST", f"{BASE}/{cid}/pause", token=auditor).status == 403


def test_attempts_csv_filtered_and_masked_for_auditors(api, client):
    cid = create(api, numbers=NUMBERS)["id"]
    api("POST", f"{BASE}/{cid}/start")
    dialled(cid, {"13800138000": ("answered", 7), "13900139000": ("invalid", None)})
    assert client.request("GET", f"{BASE}/{cid}/attempts.csv").status == 401  # no token, no export
    _, operator = tokens.create_token("exporter", "operator")
    resp = client.request("GET", f"{BASE}/{cid}/attempts.csv", headers={"Authorization": f"Bearer {operator}"})
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/csv")
    assert "attachment" in resp.getheader("Content-Disposition")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert [r["number"] for r in rows] == NUMBERS and rows[0]["result"] == "answered" and rows[0]["talk_seconds"] == "7"
    invalid = client.request("GET", f"{BASE}/{cid}/attempts.csv?result=invalid",
                             headers={"Authorization": f"Bearer {operator}"})
    assert [r["number"] for r in csv.DictReader(io.StringIO(invalid.text))] == ["13900139000"]
    _, auditor = tokens.create_token("auditor", "auditor")
    masked = client.request("GET", f"{BASE}/{cid}/attempts.csv", headers={"Authorization": f"Bearer {auditor}"})
    assert "13800138000" not in masked.text and "138****8000" in masked.text


SCRIPT = [{"text": "您对本次服务满意吗？", "type": "scale"}, {"text": "是否愿意推荐？", "type": "yes_no"},
          {"text": "您最常用的渠道？", "type": "choice", "options": ["柜面", "电话"]}]


def test_kinds_notice_types_scripts_and_windows(api):
    zhang = Customer.create(name="张三", mobile="13800138000", region="福州", birth_date="1980-01-01")
    groups.create("福州客户", "customer", "region", "福州")
    birthday = create(api, group="福州客户", notice_type="birthday", window="workday 09:00-12:00; restday 10:00-11:00")
    campaign = VoiceCampaign.get_by_id(birthday["id"])
    assert (campaign.notice_type, campaign.window) == ("birthday", "workday 09:00-12:00; restday 10:00-11:00")
    attempt = campaign.attempts.get()
    assert attempt.customer_id == zhang.id and "张三" in attempt.variables  # the facts the notice speaks
    survey = create(api, numbers=["13900139000"], kind="survey", script=SCRIPT)
    assert survey["kind"] == "survey"
    for body, field in (({"numbers": ["13900139000"], "notice_type": "birthday"}, "customers"),
                        ({"numbers": ["13900139000"], "kind": "survey"}, "script"),
                        ({"numbers": ["13900139000"], "kind": "survey",
                          "script": [{"text": "几点？", "type": "scale", "options": ["a", "b"]}]}, "script[1].options"),
                        ({"numbers": ["13900139000"], "window": "workday 20:30-18:30"}, "window"),
                        ({"numbers": ["13900139000"], "window": "sometimes"}, "window")):
        resp = api("POST", BASE, {"name": "坏", **body})
        assert resp.status == 400 and resp.json["error"]["field"] == field, (body, resp.text)
    assert VoiceCampaign.select().count() == 2


def test_tallies_and_an_answers_recording(api, client, web_config):
    cid = create(api, numbers=NUMBERS[:3], kind="survey", script=SCRIPT)["id"]
    attempts = list(CallAttempt.select().where(CallAttempt.campaign == cid).order_by(CallAttempt.id))
    recordings = web_config.data_dir / "recordings"
    recordings.mkdir(parents=True)
    (recordings / "answer-1.wav").write_bytes(b"RIFF....WAVEfmt fake")
    for attempt, (first, second) in zip(attempts, [("5", "yes"), ("5", "no"), ("3", "yes")]):
        CallAnswer.create(attempt=attempt, question=0, answer=first)
        CallAnswer.create(attempt=attempt, question=1, answer=second,
                          recording="recordings/answer-1.wav" if attempt == attempts[0] else "")
    CallAnswer.create(attempt=attempts[1], question=2, answer="2", recording="/etc/passwd")
    tallies = api("GET", f"{BASE}/{cid}/tallies").json
    assert [(t["question"], t["answered"], t["counts"], t["average"]) for t in tallies] == [
        (0, 3, {"1": 0, "2": 0, "3": 1, "4": 0, "5": 2}, 4.33), (1, 3, {"yes": 2, "no": 1}, None),
        (2, 1, {"1": 0, "2": 1}, None)]
    auth = {"Authorization": f"Bearer {tokens.create_token('reader', 'operator')[1]}"}
    table = client.request("GET", f"{BASE}/{cid}/tallies.csv", headers=auth)
    assert table.getheader("Content-Type").startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[0] == ["question", "text", "answer", "count", "average"]
    assert ["1", "您对本次服务满意吗？", "5", "2", "4.33"] in rows and ["2", "是否愿意推荐？", "是", "2", ""] in rows
    answers = list(csv.reader(io.StringIO(client.request("GET", f"{BASE}/{cid}/answers.csv", headers=auth).text)))
    assert answers[0][:4] == ["号码", "结果", "通话秒数", "Q1 您对本次服务满意吗？"] and answers[1][0] == NUMBERS[0]
    masked = {"Authorization": f"Bearer {tokens.create_token('auditor', 'auditor')[1]}"}
    assert client.request("GET", f"{BASE}/{cid}/answers.csv", headers=masked).status == 403
    played = client.request("GET", f"{BASE}/{cid}/attempts/{attempts[0].id}/recording", headers=auth)
    assert played.status == 200 and played.getheader("Content-Type") == "audio/wav"
    assert played.text.startswith("RIFF")
    # None for this call; one outside data_dir is never read.
    assert client.api("GET", f"{BASE}/{cid}/attempts/{attempts[2].id}/recording", headers=auth).status == 404
    outside = client.api("GET", f"{BASE}/{cid}/attempts/{attempts[1].id}/recording?question=2", headers=auth)
    assert outside.status == 404 and "root:" not in outside.text
    assert client.api("GET", f"{BASE}/{cid + 1}/attempts/{attempts[0].id}/recording", headers=auth).status == 404


def test_the_document_describes_the_voice_routes(api):
    doc = api("GET", "/api/v1/openapi.json").json
    create_op = doc["paths"]["/voice/campaigns"]["post"]
    body = create_op["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["numbers"]["items"]["pattern"] == r"^\+?[0-9]{3,20}$"
    assert body["properties"]["max_tries"]["maximum"] == 10
    csv_op = doc["paths"]["/voice/campaigns/{campaign_id}/attempts.csv"]["get"]
    assert list(csv_op["responses"]["200"]["content"]) == ["text/csv"]
    assert "409" in doc["paths"]["/voice/campaigns/{campaign_id}/resume"]["post"]["responses"]
