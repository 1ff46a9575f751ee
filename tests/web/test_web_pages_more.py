"""The services' admin pages over HTTP against a real server: templates, phrases,
campaigns, keywords, topics, opt-outs, tickets, schedules, reports, prompts.
Each: an auditor may read but not change, a form without the CSRF token is
refused, and one action changes the database and is audited."""
import re

import pytest
from web_support import Client, make_user

from appliance.ivr import tickets
from appliance.tickets.models import Ticket
from appliance.models import AuditLog, ContactGroup, Customer
from appliance.services.models import Campaign, Keyword, OptOut, Phrase, Subscription, Template, Topic
from appliance.sms.models import Message


def last_audit():
    return AuditLog.select().order_by(AuditLog.id.desc()).first()


@pytest.fixture
def auditor_client(server):
    make_user("audrey", "auditor")
    c = Client(server)
    assert c.sign_in("audrey").status == 303
    return c


def refused(client, path, data, csrf=True):
    """A POST that must change nothing: 403 and no new audit entry."""
    before = AuditLog.select().count()
    resp = client.post(path, data, csrf=csrf)
    assert resp.status == 403, (path, resp.status)
    assert AuditLog.select().count() == before
    return resp


def test_templates_edit_and_reset(admin_client, auditor_client):
    html = auditor_client.page("/templates").text
    assert "policy_confirmation" in html and 'id="template-form"' not in html
    data = {"key": "greeting_x", "language": "zh", "text": "{salutation}您好<b>", "category": "service",
            "title": "问候"}
    refused(auditor_client, "/templates", data)
    admin_client.page("/templates")
    refused(admin_client, "/templates", data, csrf=False)
    assert Template.select().count() == 0
    resp = admin_client.post("/templates", data)
    assert resp.status == 303
    row = Template.get(Template.key == "greeting_x")
    assert (row.text, row.category, row.updated_by) == ("{salutation}您好<b>", "service", "root")
    entry = last_audit()
    assert (entry.actor, entry.action, entry.target) == ("root", "template.update", "template:greeting_x/zh")
    html = admin_client.page("/templates").text
    assert "您好&lt;b&gt;" in html and "您好<b>" not in html
    bad = admin_client.post("/templates", {**data, "text": "{oops"})
    assert bad.status == 303 and Template.get(Template.key == "greeting_x").text == "{salutation}您好<b>"
    assert "内容：模板中的花括号有误" in admin_client.page("/templates").text
    refused(auditor_client, "/templates/reset", {"key": "greeting_x", "language": "zh"})
    assert admin_client.post("/templates/reset", {"key": "greeting_x", "language": "zh", "confirmed": "1"}).status == 303
    assert Template.select().count() == 0 and last_audit().action == "template.reset"


def test_phrases_add_and_delete(admin_client, auditor_client):
    auditor_html = auditor_client.page("/phrases").text
    assert 'id="phrase-form"' not in auditor_html
    refused(auditor_client, "/phrases", {"category": "问候", "text": "您好"})
    admin_client.page("/phrases")
    refused(admin_client, "/phrases", {"category": "问候", "text": "您好"}, csrf=False)
    assert admin_client.post("/phrases", {"category": "问候", "text": "您好，请问有什么可以帮您？"}).status == 303
    phrase = Phrase.get()
    assert (phrase.category, phrase.text) == ("问候", "您好，请问有什么可以帮您？")
    assert last_audit().action == "phrase.add"
    assert "请问有什么可以帮您" in auditor_client.page("/phrases?category=%E9%97%AE%E5%80%99").text
    assert "请问有什么可以帮您" not in auditor_client.page("/phrases?category=other").text
    refused(auditor_client, f"/phrases/{phrase.id}/delete", {})
    assert admin_client.post(f"/phrases/{phrase.id}/delete", {"confirmed": "1"}).status == 303
    assert Phrase.select().count() == 0 and last_audit().target == f"phrase:{phrase.id}"


def test_campaigns_send_to_a_group_and_show_progress(admin_client, auditor_client):
    for i, mobile in enumerate(("13800138001", "13800138002", "13800138003")):
        Customer.create(name=f"客户{i}", mobile=mobile, region="福州")
    group = ContactGroup.create(name="福州客户", kind="customer", rule="region", rule_value="福州")
    data = {"name": "续保提醒<script>", "mode": "group", "group": str(group.id), "text": "{salutation}您好，请续保。",
            "category": "service", "confirmed": "1"}
    assert 'id="campaign-new"' not in auditor_client.page("/campaigns").text
    refused(auditor_client, "/send", data)
    admin_client.page("/campaigns")
    refused(admin_client, "/send", data, csrf=False)
    assert Message.select().count() == 0
    assert admin_client.post("/send", data).status == 303
    campaign = Campaign.get()
    assert campaign.queued == 3 and campaign.created_by == "root"
    assert Message.select().where(Message.campaign_id == campaign.id).count() == 3
    entry = last_audit()
    assert (entry.action, entry.target) == ("sms.send_bulk", f"campaign:{campaign.id}")
    # One delivered, one failed, one still queued: the bar shows 1/1/1 of 3.
    first, second, _ = Message.select().order_by(Message.id)
    Message.update(state="delivered").where(Message.id == first.id).execute()
    Message.update(state="failed", failure_reason="CMS 500").where(Message.id == second.id).execute()
    html = auditor_client.page("/campaigns").text
    assert "续保提醒&lt;script&gt;" in html and "<script>alert" not in html
    assert 'class="bar-delivered"' in html and 'width="33.33"' in html
    assert re.search(r"已送达 1 · 失败 1 / 3", html), html[-3000:]


def test_keywords_set(admin_client, auditor_client):
    listing = auditor_client.page("/keywords").text
    assert "CX" in listing and "回复：工单进度（GD加工单号）" in listing  # GD, in words
    data = {"keyword": "bx", "action": "reply", "template": "policy_confirmation", "enabled": "1"}
    refused(auditor_client, "/keywords", data)
    admin_client.page("/keywords")
    refused(admin_client, "/keywords", data, csrf=False)
    assert admin_client.post("/keywords", data).status == 303
    row = Keyword.get(Keyword.keyword == "BX")
    assert (row.action, row.template_key, row.enabled) == ("reply", "policy_confirmation", True)
    assert (last_audit().action, last_audit().target) == ("keyword.set", "keyword:BX")
    assert "用模板回复" in admin_client.page("/keywords").text


def test_topics_create_subscribe_unsubscribe_masked_for_auditors(admin_client, auditor_client):
    refused(auditor_client, "/topics", {"code": "TJ", "name": "免费体检"})
    admin_client.page("/topics")
    refused(admin_client, "/topics", {"code": "TJ", "name": "免费体检"}, csrf=False)
    assert admin_client.post("/topics", {"code": "tj", "name": "免费体检"}).status == 303
    topic = Topic.get()
    assert (topic.code, topic.name, last_audit().action) == ("TJ", "免费体检", "topic.create")
    refused(auditor_client, "/topics/TJ/subscribers", {"number": "13800138000", "action": "subscribe"})
    admin_client.page("/topics/TJ")
    assert admin_client.post("/topics/TJ/subscribers", {"number": "13800138000", "action": "subscribe"}).status == 303
    assert Subscription.get().number == "+8613800138000" and Subscription.get().active
    entry = last_audit()
    assert entry.action == "topic.subscribe" and "+8613800138000" not in entry.detail
    assert "+8613800138000" in admin_client.page("/topics/TJ").text
    auditor_html = auditor_client.page("/topics/TJ").text
    assert "+86138****8000" in auditor_html and "+8613800138000" not in auditor_html
    assert admin_client.post("/topics/TJ/subscribers", {"number": "13800138000", "action": "unsubscribe"}).status == 303
    assert not Subscription.get().active and last_audit().action == "topic.unsubscribe"


def test_optout_and_dnd_lists(admin_client, auditor_client, server):
    make_user("olga", "operator")
    operator = Client(server)
    operator.sign_in("olga")
    customer = Customer.create(name="客户", mobile="+8613800138000")
    data = {"number": "13800138000", "kind": "optout", "reason": "客户来电", "action": "add"}
    refused(auditor_client, "/optouts", data)
    operator.page("/optouts")
    refused(operator, "/optouts", data, csrf=False)
    assert operator.post("/optouts", data).status == 303
    assert OptOut.get().kind == "optout" and Customer.get_by_id(customer.id).opt_out
    entry = last_audit()
    assert (entry.actor, entry.action, entry.target) == ("olga", "optout.add", "optout:+86138****8000")
    assert operator.post("/optouts", {**data, "kind": "dnd"}).status == 303
    assert "+86138****8000" in auditor_client.page("/optouts?kind=dnd").text
    assert operator.post("/optouts", {**data, "action": "remove"}).status == 200  # asked first (test_web_confirmations)
    assert OptOut.select().count() == 2
    assert operator.post("/optouts", {**data, "action": "remove", "confirmed": "1"}).status == 303
    assert [o.kind for o in OptOut.select()] == ["dnd"] and not Customer.get_by_id(customer.id).opt_out
    assert auditor_client.get("/optouts?kind=bogus").status == 400


def test_tickets_list_shows_source_and_recording_and_closes(admin_client, auditor_client):
    sms = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢<img>")
    ivr = tickets.open_ticket("callback", "ivr", number="13900139000", recording="/data/recordings/c1.wav")
    html = auditor_client.page("/tickets").text
    assert "理赔太慢&lt;img&gt;" in html and "/data/recordings/c1.wav" in html
    assert "+86138****8000" in html and "+8613800138000" not in html
    refused(auditor_client, f"/tickets/{sms.id}/answer", {"text": "已回电"})
    admin_client.page("/tickets")
    refused(admin_client, f"/tickets/{sms.id}/answer", {"text": "已回电"}, csrf=False)
    assert admin_client.post(f"/tickets/{sms.id}/answer", {"text": "已回电"}).status == 303
    assert admin_client.post(f"/tickets/{sms.id}/close", {}).status == 303
    done = Ticket.get_by_id(sms.id)
    assert (done.status, done.resolution, done.handled_by) == ("closed", "已回电", "root")
    assert (last_audit().action, last_audit().target) == ("ticket.close", f"ticket:{done.number}")
    assert Ticket.get_by_id(ivr.id).status == "new"
    assert "/data/recordings/c1.wav" not in auditor_client.page("/tickets?status=closed").text


def test_a_tickets_recording_plays_in_the_browser_and_nothing_else_is_served(admin_client, auditor_client,
                                                                              web_config, tmp_path):
    import wave
    folder = web_config.data_dir / "recordings" / "2026-11-22"
    folder.mkdir(parents=True)
    path = folder / "call7-101500.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\x01\x00" * 8000)
    outside = tmp_path / "secret.wav"
    outside.write_bytes(path.read_bytes())
    voice = tickets.open_ticket("complaint", "ivr", number="13900139000", recording=str(path))
    gone = tickets.open_ticket("complaint", "ivr", number="13900139000", recording=str(folder / "gone.wav"))
    sneaky = tickets.open_ticket("complaint", "ivr", number="13900139000",
                                 recording=str(folder / ".." / ".." / ".." / "secret.wav"))
    html = auditor_client.page("/tickets").text
    assert f'src="/tickets/{voice.id}/recording.wav"' in html
    assert "文件已不在" in html and f"/tickets/{gone.id}/recording.wav" not in html
    audio = auditor_client.get(f"/tickets/{voice.id}/recording.wav")
    assert audio.status == 200 and audio.headers["Content-Type"].startswith("audio/wav")
    assert audio.text.startswith("RIFF") and int(audio.headers["Content-Length"]) == path.stat().st_size
    for ticket_id in (gone.id, sneaky.id, 999999):
        assert auditor_client.get(f"/tickets/{ticket_id}/recording.wav").status == 404
