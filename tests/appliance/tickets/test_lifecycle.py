"""A ticket's life through appliance.tickets.lifecycle: every transition with its history,
refusals that change nothing, and the customer's "answered" SMS (once per answer)."""
import datetime

import pytest

from appliance import idcard
from appliance.errors import InputError, Refused
from appliance.ivr.tickets import open_ticket
from appliance.models import AdminUser, Customer, Staff
from appliance.sms.models import Message
from appliance.tickets import departments, lifecycle
from appliance.tickets.models import Ticket, TicketEvent

NOW = datetime.datetime(2026, 11, 30, 2, 0)  # a Monday, 10:00 in Shanghai
MOBILE = "+8613800000011"


def at(hours):
    return NOW + datetime.timedelta(hours=hours)


@pytest.fixture
def desk(database):
    Staff.create(badge_no="H001", name="李主任", mobile="+8613900000001")
    AdminUser.create(username="wang", password_hash="x", role="operator")
    return departments.add("客户服务部", "H001")


@pytest.fixture
def holder(database):
    return Customer.create(name="张伟", gender="M", mobile=MOBILE,
                           id_number=idcard.make_id_number("350102", datetime.date(1980, 5, 17), 3))


def complaint(holder=None, number=MOBILE, kind="complaint", source="sms"):
    return open_ticket(kind, source, number=number, customer=holder, text="理赔太慢", now=NOW)


def actions(ticket):
    return [(e.action, e.from_status, e.to_status) for e in lifecycle.history(ticket)]


def test_the_whole_loop_keeps_every_answer_in_the_history(desk, holder, config):
    ticket = complaint(holder)
    ticket = lifecycle.assign(ticket, by="front", department="客户服务部", assignee="wang", now=at(1))
    assert (ticket.status, ticket.department_id, ticket.assignee) == ("assigned", desk.id, "wang")
    ticket = lifecycle.start(ticket.number, by="wang", now=at(2))
    ticket = lifecycle.answer(ticket.id, by="wang", text="已加急处理，三日内赔付。", config=config, now=at(3))
    assert (ticket.status, ticket.resolution, ticket.answered_at) == ("answered", "已加急处理，三日内赔付。", at(3))
    ticket = lifecycle.return_for_rework(ticket, by="front", text="客户说金额不对", now=at(4))
    assert ticket.status == "returned"
    ticket = lifecycle.answer(ticket, by="wang", text="金额已更正为5000元。", config=config, now=at(5))
    ticket = lifecycle.close(ticket, by="front", text="已电话确认", now=at(6))
    assert (ticket.status, ticket.closed_at) == ("closed", at(6))
    ticket = lifecycle.reopen(ticket, by="front", text="客户仍未收到", config=config, now=at(30))
    assert (ticket.status, ticket.closed_at) == ("assigned", None)  # back to its department
    assert ticket.due_at == at(30 + 24)                              # due again from the reopen
    ticket = lifecycle.note(ticket, by="wang", text="已联系财务", now=at(31))
    assert ticket.status == "assigned"
    assert actions(ticket) == [
        ("opened", "", "new"), ("assigned", "new", "assigned"), ("started", "assigned", "in_progress"),
        ("answered", "in_progress", "answered"), ("notified", "answered", "answered"),
        ("returned", "answered", "returned"), ("answered", "returned", "answered"),
        ("notified", "answered", "answered"), ("closed", "answered", "closed"), ("reopened", "closed", "assigned"),
        ("noted", "assigned", "assigned")]
    answers = [e.text for e in lifecycle.history(ticket) if e.action == "answered"]
    assert answers == ["已加急处理，三日内赔付。", "金额已更正为5000元。"]  # the first is never overwritten
    assert ticket.resolution == "金额已更正为5000元。"
    events = lifecycle.history(ticket)
    assert [(e.by, e.at) for e in events][1:4] == [("front", at(1)), ("wang", at(2)), ("wang", at(3))]
    assert events[1].department == "客户服务部" and events[1].assignee == "wang"


def test_the_customer_is_told_once_per_answer_with_the_answer(desk, holder, config):
    ticket = lifecycle.answer(complaint(holder), by="wang", text="已加急处理。", config=config, now=at(1))
    sms = Message.get()
    assert sms.to_number == MOBILE and sms.category == "service" and sms.customer_id == holder.id
    assert f"您的工单{ticket.number}已答复：已加急处理。" in sms.text
    assert ticket.customer_told_at == at(1)
    again = lifecycle.answer(lifecycle.return_for_rework(ticket, by="front", text="不清楚", now=at(2)),
                             by="wang", text="补充：明日到账。", config=config, now=at(3))
    texts = [m.text for m in Message.select().order_by(Message.id)]
    assert len(texts) == 2 and "已答复：已加急处理。" in texts[0] and "已答复：补充：明日到账。" in texts[1]
    assert again.customer_told_at == at(3)
    notified = [e.text for e in lifecycle.history(ticket) if e.action == "notified"]
    assert len(notified) == 2 and notified[0].startswith("+86138****0011: ")  # masked in the history


def test_the_sms_goes_to_the_customers_mobile_when_the_caller_has_none(desk, holder, config):
    ticket = complaint(holder, number="02887654321", source="ivr")  # a landline called
    lifecycle.answer(ticket, by="wang", text="已处理。", config=config, now=at(1))
    assert Message.get().to_number == MOBILE


def test_the_customer_reads_english_when_that_is_their_language(desk, database, config):
    english = Customer.create(name="Tom", gender="M", mobile="+8613800000022", language="en",
                              id_number=idcard.make_id_number("350102", datetime.date(1980, 5, 17), 5))
    ticket = lifecycle.answer(complaint(english, number="+8613800000022"), by="wang", text="Paid today.",
                              config=config, now=at(1))
    assert Message.get().text.startswith(f"[平安保险] Your ticket {ticket.number} is answered: Paid today.")


@pytest.mark.parametrize("kind,source,number", [
    ("alert", "ivr", MOBILE),            # the box's own alert: the caller was never told of it
    ("mobile-change", "ivr", MOBILE),    # an unverified new mobile
    ("complaint", "remote", MOBILE),     # the box that handed it over tells its customer
    ("complaint", "ivr", "unknown"),     # nobody to tell
])
def test_some_answers_are_not_told(desk, config, kind, source, number):
    ticket = lifecycle.answer(complaint(None, number=number, kind=kind, source=source), by="wang",
                              text="已处理。", config=config, now=at(1))
    assert ticket.status == "answered" and ticket.customer_told_at is None
    assert Message.select().count() == 0
    assert "notified" not in [e.action for e in lifecycle.history(ticket)]
    assert (lifecycle.why_not_told(ticket) is None) == (number == "unknown")


def test_a_long_answer_is_shortened_at_a_sentence_end(desk, holder, config):
    long = "您的理赔已受理。" * 10 + "请等待进一步通知" * 10
    lifecycle.answer(complaint(holder), by="wang", text=long, config=config, now=at(1))
    text = Message.get().text
    assert "您的理赔已受理。…" in text and "请等待" not in text
    assert lifecycle.shorten("没有句号" * 50).endswith("…") and len(lifecycle.shorten("没有句号" * 50)) == 140
    history = [e.text for e in lifecycle.history(Ticket.get()) if e.action == "answered"]
    assert history == [long]  # the history keeps it whole


@pytest.mark.parametrize("move", [
    lambda t: lifecycle.close(t, by="front", now=at(1)),
    lambda t: lifecycle.start(t, by="front", now=at(1)),
    lambda t: lifecycle.reopen(t, by="front", text="再看看", now=at(1)),
    lambda t: lifecycle.return_for_rework(t, by="front", text="不对", now=at(1)),
])
def test_impossible_transitions_are_refused_and_change_nothing(desk, holder, move):
    ticket = complaint(holder)
    with pytest.raises(Refused) as err:
        move(ticket)
    assert err.value.http_status == 409 and err.value.field == "status" and ticket.number in str(err.value)
    assert Ticket.get_by_id(ticket.id).status == "new" and actions(ticket) == [("opened", "", "new")]


def test_a_closed_ticket_cannot_be_answered_again(desk, holder, config):
    ticket = lifecycle.close(lifecycle.answer(complaint(holder), by="w", text="好", config=config), by="f")
    with pytest.raises(Refused):
        lifecycle.answer(ticket, by="w", text="再答", config=config)
    assert Message.select().count() == 1


@pytest.mark.parametrize("move,field", [
    (lambda t: lifecycle.answer(t, by="wang", text="  "), "text"),
    (lambda t: lifecycle.answer(t, by="", text="好"), "by"),
    (lambda t: lifecycle.note(t, by="wang", text="长" * 2001), "text"),
    (lambda t: lifecycle.assign(t, by="front", department="理赔部"), "department"),
    (lambda t: lifecycle.assign(t, by="front", assignee="nobody"), "assignee"),
    (lambda t: lifecycle.assign(t, by="front"), "department"),
    (lambda t: lifecycle.note("2611309999", by="front", text="x"), "ticket"),
])
def test_bad_input_names_the_field_and_changes_nothing(desk, holder, move, field):
    ticket = complaint(holder)
    with pytest.raises(InputError) as err:
        move(ticket)
    assert err.value.field == field and not isinstance(err.value, Refused)
    assert Ticket.get_by_id(ticket.id).status == "new" and TicketEvent.select().count() == 1
    assert Message.select().count() == 0


def test_a_reopened_ticket_without_anyone_is_new_again(database, config):
    ticket = lifecycle.close(lifecycle.answer(complaint(), by="w", text="好", config=config), by="f")
    reopened = lifecycle.reopen(ticket, by="f", text="again", config=config.replace(tickets__sla=["broken"]))
    assert (reopened.status, reopened.due_at) == ("new", None)  # reopened all the same: a broken rule is logged


def test_two_people_answering_at_once_give_one_answer_and_one_sms(desk, holder, config):
    """Decided on the row under the write lock: the second is refused, not a second answer."""
    import threading
    ticket = complaint(holder)
    start = threading.Barrier(2)
    outcomes = []

    def answer(who):
        start.wait(5)
        try:
            lifecycle.answer(ticket.id, by=who, text=f"{who}的答复", config=config)
            outcomes.append("answered")
        except Refused:
            outcomes.append("refused")
    threads = [threading.Thread(target=answer, args=(who,)) for who in ("wang", "li")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["answered", "refused"]
    assert [e.action for e in lifecycle.history(ticket)].count("answered") == 1 and Message.select().count() == 1
