"""The voice campaigns' admin pages over HTTP (a real server, no browser): the confirmation
step before anything is created, creating from a pasted list, a group or an uploaded file,
start/pause/cancel (cancel asks first), results with translated names, filters and the CSV,
masked numbers for auditors, a survey's answer counts and a recording's player; bad input
is shown in the page's language and changes nothing. The browser test at two widths, with
the calls made through a real Asterisk, is test_web_voice_browser.py."""
import csv
import io
import json
import os
import re
import time
import uuid
from html import unescape

from web_support import make_user, Client

from agi.dialer import finish
from appliance import groups
from appliance.models import AuditLog, Customer
from appliance.voice import screening
from appliance.voice.models import CallAnswer, CallAttempt, VoiceCampaign

PASTED = "13800138000，13900139000\n13700137000 13800138000"


def confirm(client, **form):
    client.page("/voice")
    return client.post("/voice/confirm", {"name": "续保提醒", "kind": "notice", "source": "list",
                                          "text": "您好，您的保单将于下月到期。", **form})


def hidden_fields(html):
    """What the confirmation page's form sends back (as a browser would: unescaped)."""
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    fields.update(re.findall(r'<textarea name="(\w+)" hidden>([^<]*)</textarea>', html))
    return {k: unescape(v) for k, v in fields.items()}


def create(client, **form):
    page = confirm(client, **form)
    assert page.status == 200, page.text
    resp = client.post("/voice", hidden_fields(page.text))
    assert resp.status == 303, resp.text
    return int(resp.getheader("Location").rsplit("/", 1)[1])


def dialled(campaign_id, outcomes):
    """The calls end as the dialer ends them: claimed (dialling), then finish()."""
    for number, (result, talk) in outcomes.items():
        attempt = CallAttempt.get(CallAttempt.campaign == campaign_id, CallAttempt.number == number)
        CallAttempt.update(state="dialling").where(CallAttempt.id == attempt.id).execute()
        finish(attempt.id, result, talk_seconds=talk)


def test_confirmation_step_then_create_from_a_pasted_list(admin_client):
    page = confirm(admin_client, numbers=PASTED, max_tries="2")
    assert page.status == 200
    assert re.search(r'id="confirm-count">3<', page.text)  # the repeated number is called once
    assert "13800138000" in page.text and "您好，您的保单将于下月到期。" in page.text and "确认之前不会创建任何内容" in page.text
    assert VoiceCampaign.select().count() == 0  # nothing before the confirmation
    back = admin_client.post("/voice/back", hidden_fields(page.text))  # back to the form, as typed
    assert back.status == 200 and PASTED in unescape(back.text) and 'value="2"' in back.text
    campaign_id = create(admin_client, numbers=PASTED, max_tries="2")
    campaign = VoiceCampaign.get_by_id(campaign_id)
    assert (campaign.state, campaign.max_tries, campaign.source, campaign.created_by) == ("draft", 2, "web: list", "root")
    assert [a.number for a in campaign.attempts.order_by(CallAttempt.id)] == ["13800138000", "13900139000", "13700137000"]
    shown = admin_client.page(f"/voice/{campaign_id}")
    assert "任务已创建为草稿" in shown.text and "草稿" in shown.text and 'id="voice-start"' in shown.text
    listing = admin_client.page("/voice").text
    assert "续保提醒" in listing and "语音通知" in listing and f'data-campaign="{campaign_id}"' in listing
    assert "<h1>语音外呼</h1>" in listing  # the notice types' menu does not take the page's title


def test_bad_input_is_shown_in_the_page_language_and_creates_nothing(admin_client):
    bad = confirm(admin_client, numbers="13800138000, 0;Hangup")
    assert bad.status == 400 and "输入有误: 手机号：不是电话号码：&#039;0&#039;" in bad.text
    assert "0;Hangup" in bad.text  # what was typed is kept in the form
    for form, words in (({"numbers": "13800138000", "max_tries": "x"}, "max_tries：应为整数"),
                        ({"numbers": "13800138000", "max_tries": "11"}, "max_tries：应为 1 到 10 之间的整数"),
                        ({"numbers": "13800138000", "name": ""}, "名称：外呼任务需要名称"),
                        ({"source": "group", "group": ""}, "分组：请选择分组"),
                        ({"source": "file"}, "文件：请选择文件")):
        resp = confirm(admin_client, **form)
        assert resp.status == 400 and words in resp.text, (form, resp.text[-500:])
    # The creating POST checks again: a hand-made form is refused the same way.
    resp = admin_client.post("/voice", {"name": "x", "kind": "notice", "source": "list", "numbers": "12;3"})
    assert resp.status == 400 and "输入有误" in resp.text
    assert VoiceCampaign.select().count() == 0


def test_create_from_a_group_and_from_an_uploaded_file(admin_client, web_config):
    Customer.create(name="张三", mobile="13800138000", region="福州")
    group = groups.create("福州客户", "customer", "region", "福州")
    from_group = create(admin_client, source="group", group=str(group.id))
    assert [a.number for a in CallAttempt.select().where(CallAttempt.campaign == from_group)] == ["+8613800138000"]

    admin_client.page("/voice")
    boundary = uuid.uuid4().hex
    parts = [("csrf", admin_client.csrf), ("name", "文件"), ("kind", "notice"), ("source", "file"), ("text", "通知")]
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in parts)
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="名单.csv"\r\n'
             f'Content-Type: text/csv\r\n\r\n手机号\r\n13900139000\r\n13700137000\r\n--{boundary}--\r\n').encode()
    page = admin_client.request("POST", "/voice/confirm", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert page.status == 200 and re.search(r'id="confirm-count">2<', page.text), page.text[-800:]
    fields = hidden_fields(page.text)
    assert re.fullmatch(r"voice-[0-9a-f]{16}\.csv", fields["upload"])
    assert (web_config.data_dir / "uploads" / fields["upload"]).exists()
    resp = admin_client.post("/voice", fields)
    assert resp.status == 303
    campaign_id = int(resp.getheader("Location").rsplit("/", 1)[1])
    assert [a.number for a in CallAttempt.select().where(CallAttempt.campaign == campaign_id)] == [
        "13900139000", "13700137000"]
    assert not (web_config.data_dir / "uploads" / fields["upload"]).exists()  # read, then removed
    # An upload nobody confirmed is forgotten after a day, when the next one comes.
    stale = web_config.data_dir / "uploads" / "voice-0123456789abcdef.csv"
    stale.write_text("手机号\n13900139000\n")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    page = admin_client.request("POST", "/voice/confirm", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert page.status == 200 and not stale.exists()
    # Only a name the box gave can be carried: no path of one's choosing.
    resp = admin_client.post("/voice", {**fields, "upload": "../appliance.db"})
    assert resp.status == 400 and "文件：请选择文件" in resp.text


def test_start_pause_cancel_with_a_confirmation_and_impossible_changes(admin_client):
    campaign_id = create(admin_client, numbers=PASTED)
    admin_client.page(f"/voice/{campaign_id}")
    assert admin_client.post(f"/voice/{campaign_id}/start").status == 303
    page = admin_client.page(f"/voice/{campaign_id}").text
    assert "外呼中" in page and 'id="voice-pause"' in page and 'id="voice-start"' not in page
    assert admin_client.post(f"/voice/{campaign_id}/start").status == 303
    assert "现在无法执行此操作：任务状态为外呼中。" in admin_client.page(f"/voice/{campaign_id}").text
    ask = admin_client.page(f"/voice/{campaign_id}/cancel")
    assert "确定取消任务“续保提醒”吗？尚未呼叫的 3 个号码将不再呼叫" in ask.text
    assert VoiceCampaign.get_by_id(campaign_id).state == "running"  # asking changes nothing
    assert admin_client.post(f"/voice/{campaign_id}/cancel").status == 303
    assert VoiceCampaign.get_by_id(campaign_id).state == "cancelled"
    admin_client.post(f"/voice/{campaign_id}/resume")
    assert VoiceCampaign.get_by_id(campaign_id).state == "cancelled"
    assert [r.action for r in AuditLog.select().where(AuditLog.action.startswith("voice.")).order_by(AuditLog.id)] == [
        "voice.create", "voice.start", "voice.cancel"]


def test_results_translated_filtered_exported_and_masked(admin_client, server):
    campaign_id = create(admin_client, numbers=PASTED)
    admin_client.page(f"/voice/{campaign_id}")
    admin_client.post(f"/voice/{campaign_id}/start")
    dialled(campaign_id, {"13800138000": ("confirmed", 14), "13900139000": ("no_answer", None)})
    page = admin_client.page(f"/voice/{campaign_id}").text
    for words in ("已确认", "无人接听", "待呼叫", "接通率", "50.0%", "100.0%"):
        assert words in page, words
    visible = re.sub(r"<[^>]*>", "", page)
    assert "no_answer" not in visible and "confirmed" not in visible  # codes only in attributes
    only = admin_client.page(f"/voice/{campaign_id}?result=no_answer").text
    attempts = only[only.index('id="voice-attempts"'):]
    assert "13900139000" in attempts and "13800138000" not in attempts
    by_digits = admin_client.page(f"/voice/{campaign_id}?number=7000").text
    assert "13700137000" in by_digits[by_digits.index('id="voice-attempts"'):]
    bad = admin_client.page(f"/voice/{campaign_id}?number=abc").text
    assert "输入有误: 电话号码：&#039;abc&#039; 不是号码，也不是号码的尾号" in bad
    listed = admin_client.get(f"/voice.json?ids={campaign_id},999,x,99999999999999999999")  # the list's refresh
    assert list(json.loads(listed.text)) == [str(campaign_id)] and json.loads(listed.text)[str(campaign_id)]["done"] == 2
    live = admin_client.get(f"/voice/{campaign_id}.json")
    assert live.getheader("Content-Type").startswith("application/json") and '"confirmation_rate": "100.0%"' in live.text
    exported = admin_client.get(f"/voice/{campaign_id}/attempts.csv?result=confirmed")
    assert exported.getheader("Content-Type").startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [(r["number"], r["result"], r["result_text"], r["talk_seconds"]) for r in rows] == [
        ("13800138000", "confirmed", "已确认", "14")]

    make_user("reader", "auditor")
    auditor = Client(server)
    auditor.sign_in("reader")
    seen = auditor.page(f"/voice/{campaign_id}").text
    assert "138****8000" in seen and "13800138000" not in seen and 'id="voice-pause"' not in seen
    assert "13800138000" not in auditor.get(f"/voice/{campaign_id}/attempts.csv").text
    assert auditor.post(f"/voice/{campaign_id}/pause").status == 403
    assert auditor.get(f"/voice/{campaign_id}/answers.csv").status == 403  # it holds the numbers in full
    assert auditor.post("/voice/confirm", {"name": "x", "source": "list", "numbers": "13800138000"}).status == 403


def test_survey_answer_counts_and_a_recording_player(admin_client, web_config):
    script = '[{"text": "您对本次服务满意吗？", "type": "scale"}, {"text": "是否愿意推荐？", "type": "yes_no"}]'
    page = confirm(admin_client, numbers="13800138000,13900139000", kind="survey", script=script)
    assert "您对本次服务满意吗？\n是否愿意推荐？" in page.text  # what the first callee hears: the questions
    campaign_id = create(admin_client, numbers="13800138000,13900139000", kind="survey", script=script)
    attempts = list(CallAttempt.select().where(CallAttempt.campaign == campaign_id).order_by(CallAttempt.id))
    (web_config.data_dir / "recordings").mkdir(parents=True)
    (web_config.data_dir / "recordings" / "a.wav").write_bytes(b"RIFF0000WAVEfmt ")
    CallAnswer.create(attempt=attempts[0], question=0, answer="5", recording="recordings/a.wav")
    CallAnswer.create(attempt=attempts[1], question=0, answer="5")
    CallAnswer.create(attempt=attempts[1], question=1, answer="no")
    page = admin_client.page(f"/voice/{campaign_id}").text
    assert "各题答案统计" in page and re.search(r"<td>1. 您对本次服务满意吗？</td><td>5</td><td class=\"num\">2</td>", page)
    assert re.search(r"<td>2. 是否愿意推荐？</td><td>否</td><td class=\"num\">1</td>", page)
    player = f"/voice/{campaign_id}/attempts/{attempts[0].id}/recording.wav"
    assert f'src="{player}"' in page and page.count("<audio") == 1
    audio = admin_client.get(player)
    assert audio.status == 200 and audio.getheader("Content-Type") == "audio/wav"
    assert admin_client.get(f"/voice/{campaign_id}/attempts/{attempts[1].id}/recording.wav").status == 404
    answers = admin_client.get(f"/voice/{campaign_id}/answers.csv").text.lstrip("\ufeff").splitlines()
    assert answers[0].startswith("号码,结果,通话秒数,Q1 您对本次服务满意吗？") and answers[1].startswith("13800138000,")
    tallies = admin_client.get(f"/voice/{campaign_id}/tallies.csv").text.lstrip("\ufeff").splitlines()
    assert tallies[0] == "question,text,answer,count,average" and "1,您对本次服务满意吗？,5,2,5.0" in tallies


def test_pages_switch_to_english(admin_client):
    campaign_id = create(admin_client, numbers="13800138000")
    admin_client.page(f"/voice/{campaign_id}")  # the creation's message, in Chinese, is shown once
    admin_client.get("/lang/en?next=/voice")
    page = admin_client.page(f"/voice/{campaign_id}").text
    assert "Draft" in page and "Waiting to call" in page and "草稿" not in page


def test_a_catalogue_notice_to_a_group_shows_the_first_customers_text(admin_client):
    Customer.create(name="张三", gender="M", mobile="13800138000", region="福州")
    group = groups.create("福州客户", "customer", "region", "福州")
    page = confirm(admin_client, source="group", group=str(group.id), notice_type="birthday", text="")
    assert page.status == 200, page.text[-600:]
    first = re.search(r'id="confirm-text">([^<]*)<', page.text).group(1)
    assert "张先生" in first  # the birthday notice, filled with the first customer's facts
    wrong = confirm(admin_client, numbers="13800138000", notice_type="birthday")
    assert wrong.status == 400 and "请选择客户而非号码" in wrong.text  # a catalogue notice needs customers
    assert VoiceCampaign.select().count() == 0  # the confirmation created nothing, nor did the refusal


def test_a_screening_campaign_shows_what_was_heard_and_plays_it(admin_client, web_config, client, api_token):
    campaign_id = create(admin_client, numbers="13800138000,13900139000", kind="screening")
    first, second = CallAttempt.select().where(CallAttempt.campaign == campaign_id).order_by(CallAttempt.id)
    (web_config.data_dir / "early_audio").mkdir(parents=True)
    (web_config.data_dir / "early_audio" / "a.wav").write_bytes(b"RIFF0000WAVEfmt ")
    dialled(campaign_id, {"13800138000": ("invalid", None), "13900139000": ("answered", 3)})
    screening.record(first.id, screening.Listened("kong_hao", "early_audio/a.wav", ""))  # as the dialer notes it
    screening.record(second.id, None)
    page = admin_client.page(f"/voice/{campaign_id}").text
    table = page[page.index('id="voice-attempts"'):]
    assert "提示音：您拨打的号码是空号" in table and "有效号码" in table and "kong_hao" not in re.sub(r"<[^>]*>", "", table)
    player = f"/voice/{campaign_id}/attempts/{first.id}/early.wav"
    assert f'src="{player}"' in table and table.count("<audio") == 1
    assert admin_client.get(player).getheader("Content-Type") == "audio/wav"
    assert admin_client.get(f"/voice/{campaign_id}/attempts/{second.id}/early.wav").status == 404
    api = f"/api/v1/voice/campaigns/{campaign_id}/attempts/{first.id}/early_audio"
    auth = {"Authorization": f"Bearer {api_token}"}
    assert client.request("GET", api, headers=auth).getheader("Content-Type") == "audio/wav"
    assert client.request("GET", api.replace(str(first.id), str(second.id)), headers=auth).status == 404
