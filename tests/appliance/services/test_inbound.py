"""Inbound SMS routing without a modem: keywords, opt-out, subscriptions, surveys, tickets."""
import datetime
from decimal import Decimal

from appliance import groups
from appliance.tickets.models import Ticket
from appliance.models import Claim, Customer, Payment
from appliance.services import inbound as inbound_router, optout, subscriptions, surveys
from appliance.services.autoreply import match, set_keyword
from appliance.sms.models import InboundMessage, Message

NOW = datetime.datetime(2026, 12, 1, 10, 0)


def inbound(number, text):
    return InboundMessage.create(from_number=number, text=text, received_at=NOW)


def route(config, number, text):
    message = inbound(number, text)
    result = inbound_router.route_inbound(message, config, NOW)
    reply = Message.get_by_id(result.reply_id) if result.reply_id else None
    return result, reply


def test_keyword_matching(database):
    assert match("cx")[1] == "policies"
    assert match(" ＣＸ。")[1] == "policies"  # full width, punctuation
    assert match("QXDY TJ")[1:] == ("unsubscribe", "", "TJ")
    assert match("dytj")[1:] == ("subscribe", "", "TJ")
    assert match("退订")[1] == "optout" and match("t")[1] == "optout"
    assert match("Thanks a lot") is None and match("CX please") is None


def test_cx_answers_only_the_registered_mobile(book, config):
    holder = book.customer("张伟", "M", mobile="+8613800000011", other_phones="+8613800000099")
    book.policy(holder, "P100", datetime.date(2026, 12, 20))
    result, reply = route(config, "+8613800000011", "CX")
    assert result.action == "policies"
    assert "P100" in reply.text and "2026年12月20日" in reply.text and reply.to_number == holder.mobile
    # Another phone on file is not the registered mobile: no policy data goes there.
    _, reply = route(config, "+8613800000099", "CX")
    assert "P100" not in reply.text and "未在我司登记" in reply.text
    assert InboundMessage.select().where(InboundMessage.state == "handled").count() == 2


def test_jf_lp_and_yj(book, config):
    agent = book.agent()
    holder = book.customer("李娜", "F", mobile="+8613800000012")
    policy = book.policy(holder, "P200", datetime.date(2027, 1, 1), agent=agent,
                         issue_date=datetime.date(2026, 11, 20), premium="2400.00")
    Payment.create(policy=policy, amount=Decimal("2400"), paid_on=datetime.date(2026, 11, 20), due_date=None)
    Claim.create(claim_no="L9", policy=policy, status="investigating", reported_on=datetime.date(2026, 11, 25))
    assert "2400.00" in route(config, holder.mobile, "jf")[1].text
    assert "L9" in route(config, holder.mobile, "LP")[1].text and "调查中" in route(config, holder.mobile, "LP")[1].text
    yj = route(config, agent.mobile, "YJ")[1].text
    assert "本季度新单1件" in yj and "2400.00" in yj
    assert "未在我司登记" in route(config, holder.mobile, "YJ")[1].text  # customers have no performance


def test_optout_by_sms_blocks_marketing_but_not_service(book, config):
    holder = book.customer(mobile="+8613800000013")
    result, reply = route(config, holder.mobile, "退订")
    assert result.action == "optout" and "已退订" in reply.text
    assert Customer.get_by_id(holder.id).opt_out
    assert not optout.allowed(holder.mobile, "marketing") and optout.allowed(holder.mobile, "service")


def test_subscribe_and_unsubscribe_by_sms(book, config):
    topic = subscriptions.create_topic("TJ", "免费体检")
    holder = book.customer(mobile="+8613800000014")
    _, reply = route(config, holder.mobile, "DY TJ")
    assert "免费体检" in reply.text and [r.number for r in subscriptions.subscribers(topic)] == [holder.mobile]
    _, reply = route(config, holder.mobile, "QXDY 免费体检")
    assert "取消订阅" in reply.text and subscriptions.subscribers(topic) == []
    _, reply = route(config, holder.mobile, "DY XYZ")
    assert "TJ(免费体检)" in reply.text


def test_survey_answers_are_tallied(book, config):
    people = [book.customer(mobile=f"+86138000001{i:02d}") for i in range(4)]
    group = groups.create("回访", "customer")
    groups.add_members(group, [p.customer_no for p in people])
    campaign = surveys.send(config, "11月回访", "回访", "您对理赔服务满意吗？", now=NOW)
    assert campaign.queued == 4
    for person, answer in zip(people, ["5", "四", "５分", "2"]):
        result, reply = route(config, person.mobile, answer)
        assert result.action == "survey" and "感谢" in reply.text
    route(config, people[3].mobile, "3")  # changed their mind: the later answer counts
    tally = surveys.tally(campaign.id)
    assert tally["scores"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 2}
    assert tally["answers"] == 4 and tally["average"] == 4.25 and tally["response_rate"] == 1.0


def test_anything_else_becomes_an_acknowledged_ticket(book, config):
    holder = book.customer(mobile="+8613800000015")
    result, reply = route(config, holder.mobile, "你们的业务员态度很差，我要投诉")
    ticket = Ticket.get(Ticket.number == result.detail)
    assert ticket.source == "sms" and ticket.customer_id == holder.id and "投诉" in ticket.text
    assert ticket.number in reply.text
    assert InboundMessage.get_by_id(result.inbound_id).state == "new"  # left for staff
    # A bare digit without an open survey is a message for staff too.
    assert route(config, holder.mobile, "5")[0].action == "ticket"


def test_routing_happens_once_and_admin_keywords(book, config):
    templates_key = "open_day"
    from appliance.services import templates
    templates.put(templates_key, "zh", "{salutation}，本周六上午客户开放日，欢迎光临。")
    set_keyword("KFR", "reply", templates_key)
    holder = book.customer("赵敏", "F", mobile="+8613800000016")
    message = inbound(holder.mobile, "kfr")
    first = inbound_router.route_inbound(message, config, NOW)
    assert inbound_router.route_inbound(message, config, NOW).id == first.id
    assert inbound_router.route_pending(config, NOW) == 0
    assert Message.select().count() == 1
    assert Message.get_by_id(first.reply_id).text.startswith("赵女士，本周六")
    set_keyword("CX", "policies", enabled=False)
    assert match("CX") is None


def test_service_loop_tick_routes_fires_and_runs_notices_once_a_day(book, config):
    from appliance.services import daemon as service_loop, schedules
    holder = book.customer(mobile="+8613800000017")
    book.policy(holder, "P300", datetime.date(2026, 12, 4))
    inbound(holder.mobile, "CX")
    schedules.create(config, "s", text="明天柜面照常营业。", numbers=[holder.mobile],
                     run_at=datetime.datetime(2026, 12, 1, 8, 30), now=datetime.datetime(2026, 12, 1, 8, 0))
    steps = ("inbound", "schedules", "notices")  # the tickets' steps are tested in tests/appliance/tickets
    early = service_loop.tick(config, datetime.datetime(2026, 12, 1, 8, 0))
    assert {k: early[k] for k in steps} == {"inbound": 1, "schedules": 0, "notices": 0}  # notices.run_at is 09:00
    late = service_loop.tick(config, datetime.datetime(2026, 12, 1, 9, 5))
    assert {k: late[k] for k in steps} == {"inbound": 0, "schedules": 1, "notices": 1}
    assert service_loop.tick(config, datetime.datetime(2026, 12, 1, 15, 0))["notices"] == 0


def test_short_codes_get_no_reply_but_a_ticket(book, config):
    result, reply = route(config, "10086", "您的话费余额不足10元")
    assert result.action == "ticket" and reply is None and "no reply" in result.detail
    assert Message.select().count() == 0
