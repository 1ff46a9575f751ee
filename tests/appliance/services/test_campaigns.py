"""Groups, bulk sends with preview, schedules with windows and expiry, billing and reports."""
import datetime
from decimal import Decimal

import pytest

from appliance import groups
from appliance.errors import InputError
from appliance.models import Policy, Product, Staff
from appliance.services import campaigns, optout, schedules, subscriptions
from appliance.sms import billing, delivery
from appliance.sms.models import Message, MessagePart

NIGHT = datetime.datetime(2026, 12, 1, 23, 30)
MORNING = datetime.datetime(2026, 12, 1, 10, 0)


def fill_region(book, n=5, region="福州市鼓楼区"):
    return [book.customer(f"林{'一二三四五六七八九十'[i]}", "MF"[i % 2], region=region) for i in range(n)]


def test_preview_shows_texts_parts_and_cost_and_send_skips_opted_out(book, config):
    people = fill_region(book)
    book.customer("外地", "M", region="厦门市思明区")
    group = groups.create("鼓楼客户", "customer", rule="region", rule_value="福州市鼓楼区")
    optout.add(people[0].mobile, "optout")
    optout.add(people[1].mobile, "dnd")
    preview = campaigns.preview(config, groups.recipients(group), text="{salutation}，新春客户答谢会邀您参加。",
                                category="marketing")
    assert preview["recipients"] == 3 and preview["skipped"] == 2
    assert preview["samples"][0]["text"] == "林先生，新春客户答谢会邀您参加。回T退订"
    assert preview["parts"] == 3 and preview["cost"] == Decimal("0.15")
    assert Message.select().count() == 0

    campaign = campaigns.send_to_group(config, "答谢会", "鼓楼客户", text="{salutation}，新春客户答谢会邀您参加。",
                                       category="marketing", created_by="alice", department="个险一部", now=NIGHT)
    assert (campaign.queued, campaign.skipped) == (3, 2)
    sent = list(Message.select().where(Message.campaign_id == campaign.id))
    # Marketing at 23:30 waits for 08:00 and expires at 21:00: never at night.
    assert {m.not_before for m in sent} == {datetime.datetime(2026, 12, 2, 8, 0)}
    assert {m.not_after for m in sent} == {datetime.datetime(2026, 12, 2, 21, 0)}
    assert {m.to_number for m in sent} == {p.mobile for p in people[2:]}
    # Service messages go to everyone, opted-out and do-not-disturb numbers included, at any hour.
    service = campaigns.send_to_group(config, "停电通知", "鼓楼客户", text="{salutation}，柜面周六暂停营业。",
                                      category="service", now=NIGHT)
    assert service.queued == 5 and Message.get(Message.campaign_id == service.id).not_before is None


def test_staff_groups_and_internal_notices(book, config):
    Staff.create(badge_no="1", name="甲", mobile="+8613900000011", department="银保部")
    Staff.create(badge_no="2", name="乙", mobile="+8613900000012", department="银保部", status="left")
    groups.create("银保部", "staff", rule="department", rule_value="银保部")
    campaign = campaigns.send_to_group(config, "培训", "银保部", template_key="training",
                                       extra={"subject": "新产品", "date": "12月5日", "place": "三楼会议室"},
                                       now=NIGHT)
    message = Message.get(Message.campaign_id == campaign.id)
    assert campaign.queued == 1 and message.category == "internal" and "甲您好" in message.text
    with pytest.raises(InputError, match=r"\{date\}"):
        campaigns.send_to_group(config, "培训2", "银保部", template_key="training", extra={"subject": "x"})


def test_hand_picked_groups(book, config):
    people = fill_region(book, 3)
    group = groups.create("VIP", "customer")
    assert groups.add_members(group, [people[0].customer_no, people[1].mobile]) == 2
    with pytest.raises(InputError, match="C9999"):
        groups.add_members(group, [people[2].customer_no, "C9999"])
    assert len(groups.recipients(group)) == 2  # all or nothing


def test_one_off_schedule_in_its_window_and_expiry(book, config):
    fill_region(book, 2)
    groups.create("G", "customer", rule="region", rule_value="福州市鼓楼区")
    schedules.create(config, "周末提醒", text="{salutation}，周末柜面照常营业。", category="service", group="G",
                     run_at=datetime.datetime(2026, 12, 5, 7, 0), window="09:00-17:00",
                     expires_at=datetime.datetime(2026, 12, 5, 12, 0), now=MORNING)
    assert schedules.run_due(config, MORNING) == []
    fired = schedules.run_due(config, datetime.datetime(2026, 12, 5, 7, 1))
    assert len(fired) == 1 and fired[0].queued == 2
    message = Message.get(Message.campaign_id == fired[0].id)
    assert message.not_before == datetime.datetime(2026, 12, 5, 9, 0)
    assert message.not_after == datetime.datetime(2026, 12, 5, 12, 0)  # the expiry cuts the window
    assert schedules.run_due(config, datetime.datetime(2026, 12, 5, 8, 0)) == []  # once only
    # The dispatcher never sends it after expiry.
    assert delivery.expire_due(datetime.datetime(2026, 12, 5, 12, 0)) == 2


def test_recurring_schedule_fires_once_after_downtime_and_stops_at_expiry(book, config):
    fill_region(book, 1)
    topic = subscriptions.create_topic("TJ", "免费体检")
    subscriptions.subscribe(topic, "+8613800000001", source="cli")
    schedules.create(config, "体检资讯", text="本周免费体检名额已开放。", category="marketing", topic="TJ",
                     cron="0 10 * * 1", expires_at=datetime.datetime(2026, 12, 22), now=MORNING)
    # Monday 7 Dec 10:00 is the first run; the box is off until Wednesday 16 Dec.
    fired = schedules.run_due(config, datetime.datetime(2026, 12, 16, 9, 0))
    assert len(fired) == 1 and fired[0].kind == "subscription"
    assert Message.get(Message.campaign_id == fired[0].id).text.endswith("回T退订")
    assert schedules.get("体检资讯").next_run_at == datetime.datetime(2026, 12, 21, 10, 0)
    assert len(schedules.run_due(config, datetime.datetime(2026, 12, 21, 10, 0))) == 1
    assert schedules.run_due(config, datetime.datetime(2026, 12, 28, 10, 0)) == []  # expired
    assert not schedules.get("体检资讯").enabled


def test_schedule_input_errors(book, config):
    groups.create("G", "customer")
    with pytest.raises(InputError, match="cron"):
        schedules.create(config, "x", text="t", group="G", cron="every monday")
    with pytest.raises(InputError, match="target"):
        schedules.create(config, "x", text="t", cron="0 9 * * *")
    with pytest.raises(InputError, match="window"):
        schedules.create(config, "x", text="t", group="G", cron="0 9 * * *", window="9-5")


def test_statement_and_reports(book, config):
    fill_region(book, 3)
    groups.create("G", "customer", rule="region", rule_value="福州市鼓楼区")
    campaign = campaigns.send_to_group(config, "c1", "G", text="短信" * 40, category="service",
                                       created_by="alice", department="个险一部", now=MORNING)
    messages = list(Message.select().where(Message.campaign_id == campaign.id).order_by(Message.id))
    assert all(m.part_count == 2 for m in messages)
    sent_at = datetime.datetime(2026, 12, 1, 10, 5)
    for i, message in enumerate(messages):
        for part in message.parts:
            with delivery.dbmod.write_transaction():
                delivery.claim_parts([(part.id, "gsm0", "", "", "")])
            delivery.record_results([delivery.Result(part.id, "sent", reference=part.id)], now=sent_at)
            if i == 0:
                delivery.record_status_reports([("gsm0", part.id, message.to_number, True, 0, "")], sent_at)
        if i == 2:
            delivery.record_status_reports([("gsm0", message.parts[0].id, message.to_number, False, 70, "号码停机")],
                                           sent_at)
    statement = billing.statement(config, "2026-12")
    assert statement["total_parts"] == 6
    dept = statement["departments"][0]
    assert dept["department"] == "个险一部" and dept["cost"] == Decimal("0.30")
    assert dept["by_user"] == [{"user": "alice", "parts": 6, "cost": Decimal("0.30")}]
    assert billing.statement(config, "2026-11")["total_parts"] == 0
    report = billing.campaign_report([campaign.id], config)[0]
    assert (report["charged_parts"], report["cost"]) == (6, Decimal("0.30"))
    assert report["states"] == {"delivered": 1, "sent": 1, "failed": 1}
    assert report["failure_reasons"] == {"号码停机": 1} and report["delivery_rate"] == round(1 / 3, 4)
    config2 = config.replace(billing__china_mobile=0.08)
    assert billing.statement(config2, "2026-12")["total_cost"] == Decimal("0.30")  # charged once


def test_pause_holds_waiting_messages_resume_replans_them_and_cancel_withdraws_them(book, config):
    fill_region(book, n=4)
    groups.create("鼓楼", "customer", rule="region", rule_value="福州市鼓楼区")
    campaign = campaigns.send_to_group(config, "答谢会", "鼓楼", text="{salutation}，答谢会邀您参加。",
                                       category="marketing", now=MORNING)
    under_way = Message.select().where(Message.campaign_id == campaign.id).order_by(Message.id).first()
    MessagePart.update(state="sending").where(MessagePart.message == under_way.id).execute()
    Message.update(state="sending").where(Message.id == under_way.id).execute()  # a modem has it: it finishes

    assert campaigns.pause(campaign.id) == 3
    assert campaigns.waiting_counts([campaign.id]) == {campaign.id: {"waiting": 0, "held": 3}}
    late = MORNING + datetime.timedelta(days=1)  # past the day's window end: a pause never expires them
    assert delivery.expire_due(late) == 0 and delivery.ready_parts(10, now=late) == []

    night = datetime.datetime(2026, 12, 2, 23, 0)
    assert campaigns.resume(config, campaign.id, now=night) == 3  # marketing: waits for the next morning
    held = Message.select().where(Message.campaign_id == campaign.id, Message.id != under_way.id)
    assert {(m.not_before, m.not_after) for m in held} == {
        (datetime.datetime(2026, 12, 3, 8, 0), datetime.datetime(2026, 12, 3, 21, 0))}
    assert campaigns.waiting_counts([campaign.id])[campaign.id] == {"waiting": 3, "held": 0}

    assert campaigns.cancel(campaign.id, actor="root") == 3
    states = {m.id: m.state for m in Message.select().where(Message.campaign_id == campaign.id)}
    assert states.pop(under_way.id) == "sending" and set(states.values()) == {"cancelled"}
    assert campaigns.pause(campaign.id) == 0 and campaigns.cancel(campaign.id) == 0
    with pytest.raises(InputError, match="campaign: no campaign 999"):
        campaigns.pause(999)


def test_each_customer_gets_their_own_policy_facts(book, config):
    agent = book.agent()
    lin, chen, stranger = book.customer("林一", "F"), book.customer("陈二", "M"), book.customer("王三", "M")
    book.policy(lin, "P-LATE", datetime.date(2027, 6, 1), agent=agent)
    book.policy(lin, "P-SOON", datetime.date(2027, 1, 5), agent=agent, premium="880.00")
    health = Product.create(code="H1", name="守护医疗险")
    Policy.create(policy_no="P-HEALTH", product=health, holder=chen, premium=300, next_due_date=datetime.date(2027, 3, 1))
    people = [groups.Recipient(c.mobile, customer_id=c.id, variables={"salutation": c.salutation})
              for c in (lin, chen, stranger)]
    campaigns.with_policy_facts(config, people)
    assert people[0].variables["policy_no"] == "P-SOON" and people[0].variables["amount"] == "880.00"
    assert people[0].variables["due_date"] == "2027年1月5日" and people[0].variables["agent_name"] == "王建国"
    assert people[1].variables["product"] == "守护医疗险" and "policy_no" not in people[2].variables
    text = campaigns.preview(config, people[:2], template_key="renewal_due")["samples"][0]["text"]
    assert "P-SOON" in text and "880.00" in text
    holders = [groups.Recipient(c.mobile, customer_id=c.id) for c in (lin, chen)]
    campaigns.with_policy_facts(config, holders, product="H1")  # a product group: that product's policy
    assert "policy_no" not in holders[0].variables and holders[1].variables["policy_no"] == "P-HEALTH"
