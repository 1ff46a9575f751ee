"""The staff line (内部联系, key 8) in whole calls through the fake Asterisk peer: PIN and
lockout, performance, customers due and overdue, the list by SMS, a changed mobile."""
import datetime

import pytest
from staff_support import AGENT_MOBILE, PIN, make_book
from test_agi_flows import cached_name, last_call

from agi import speech
from agi.asterisk_peer import FakeAsterisk, hang_up, press
from appliance import clock
from appliance.ivr import staff_access
from appliance.models import AuditLog, Customer, Staff
from appliance.sms.models import Message
from appliance.tickets.models import Ticket


@pytest.fixture
def book(ivr_db):
    book = make_book(clock.today())
    staff_access.set_pin(book.agent, PIN)
    return book


def signed_in(*steps):
    """Key 8, the PIN, then the steps; back to the main menu and hang up there."""
    return [press("menu_main", "8"), press("staff_enter_pin", PIN + "#"), *steps,
            press("staff_menu", "*"), hang_up("menu_main")]


def after(heard, prompt, count):
    start = heard.index(prompt)
    return heard[start:start + count]


def performance_heard(figures, heading):
    return [heading, "staff_collected", *speech.money(figures.collected),
            "staff_count_of", *speech.number(figures.collected_count), "staff_payments",
            "staff_renewals", *speech.money(figures.renewals),
            "staff_new_policies", *speech.number(figures.new_count), "staff_policies_unit",
            "staff_new_premium", *speech.money(figures.new_premium)]


def test_pin_then_month_and_quarter_performance(dial, book):
    peer = dial(signed_in(press("staff_menu", "1"), press("after_info", "*")), callerid=AGENT_MOBILE)
    today = clock.today()
    month, quarter = staff_access.period_starts(today)
    expected = (performance_heard(staff_access.performance(book.agent, month, today), "staff_month")
                + performance_heard(staff_access.performance(book.agent, quarter, today), "staff_quarter"))
    assert after(peer.heard, "staff_month", len(expected) + 1) == expected + ["after_info"]
    call = last_call()
    assert call.path_list[2:6] == ["staff_line", "staff_pin", "staff_menu", "staff_performance"]
    assert ["staff_pin", "******"] in call.key_list and PIN not in call.keys  # the PIN never stored
    assert call.staff_id == book.agent.id and f"staff {book.agent.badge_no} signed in" in call.detail


def refused_call(dial, callerid, pin="111111"):
    return dial([press("menu_main", "8"), press("staff_enter_pin", pin + "#"), press("staff_enter_pin", "*"),
                 hang_up("menu_main")], callerid=callerid)


def test_wrong_pin_and_unknown_caller_are_answered_alike(dial, book):
    stranger = refused_call(dial, "13700009999")
    staff = refused_call(dial, AGENT_MOBILE)
    colleague_without_pin = refused_call(dial, book.colleague.mobile, pin=PIN)
    greeting = slice(1, None)  # the known staff are greeted by name first
    assert stranger.heard == ["welcome", "menu_main", "staff_intro", "staff_enter_pin", "staff_pin_refused",
                              "staff_enter_pin", "menu_main"]
    assert staff.heard[greeting] == stranger.heard == colleague_without_pin.heard[greeting]
    assert Staff.get_by_id(book.agent.id).pin_failures == 1  # counted for the staff member only
    assert Staff.get_by_id(book.colleague.id).pin_failures == 0
    assert "staff_menu" not in last_call().path_list


def test_lockout_after_wrong_pins_refuses_even_the_right_one_and_tells_the_owner_by_sms(
        start_server, ivr_config, book):
    server = start_server(ivr_config.replace(agi__staff_pin_attempts=2, agi__staff_lockout_minutes=30))
    steps = [press("menu_main", "8"), press("staff_enter_pin", "111111#"), press("staff_enter_pin", "222222#"),
             press("staff_enter_pin", PIN + "#"), press("staff_enter_pin", "*"), hang_up("menu_main")]
    before = clock.now()
    peer = FakeAsterisk(server.address, steps, callerid=AGENT_MOBILE).run()
    assert peer.heard.count("staff_pin_refused") == 3 and "staff_menu" not in peer.heard
    staff = Staff.get_by_id(book.agent.id)
    assert before + datetime.timedelta(minutes=29) < staff.pin_locked_until < clock.now() + datetime.timedelta(minutes=31)
    sms = Message.get()
    assert sms.to_number == "+86" + AGENT_MOBILE and "锁定30分钟" in sms.text and sms.staff_id == staff.id
    assert AuditLog.get(AuditLog.action == "staff.pin_lockout").target == "staff:90000001"
    # a later call: the right PIN is still refused, the same way; no second SMS
    peer = FakeAsterisk(server.address, [press("menu_main", "8"), press("staff_enter_pin", PIN + "#"),
                                         press("staff_enter_pin", "*"), hang_up("menu_main")],
                        callerid=AGENT_MOBILE).run()
    assert peer.heard[-3:] == ["staff_pin_refused", "staff_enter_pin", "menu_main"]
    assert Message.select().count() == 1


def test_customers_due_and_overdue_count_total_and_each(dial, book, agi_server):
    peer = dial(signed_in(press("staff_menu", "2"), press("after_info", "*")), callerid=AGENT_MOBILE)
    today = clock.today()
    one = speech.number(1)
    due = ["staff_due_soon", *one, "staff_customers_unit", "staff_total", *speech.money("1234.10"),
           cached_name(agi_server, "张先生"), "tail_number", *speech.digits("0001"), *speech.money("1234.10"),
           "staff_due_on", *speech.date(today + datetime.timedelta(days=15))]
    late = ["staff_overdue", *one, "staff_customers_unit", "staff_total", *speech.money("500.00"),
            cached_name(agi_server, "欧阳女士"), "tail_number", *speech.digits("0004"), *speech.money("500.00"),
            "staff_due_on", *speech.date(today - datetime.timedelta(days=19))]
    assert after(peer.heard, "staff_due_soon", len(due + late) + 1) == due + late + ["after_info"]
    assert "staff_customers" in last_call().path_list


def test_list_by_sms_to_the_staff_members_own_mobile_once_per_call(dial, book):
    peer = dial(signed_in(press("staff_menu", "3"), press("staff_menu", "3")), callerid=AGENT_MOBILE)
    assert peer.heard.count("sms_sent") == 2
    sms = Message.get()
    assert sms.to_number == "+86" + AGENT_MOBILE and sms.source == "ivr" and sms.staff_id == book.agent.id
    assert "30天内应缴1户，合计1234.10元；已逾期1户，合计500.00元" in sms.text
    assert "张先生 尾号0001 1234.10元" in sms.text and "欧阳女士 尾号0004 500.00元" in sms.text
    assert "张三" not in sms.text and "李客户" not in sms.text  # masked; the colleague's customer not listed
    assert "sms staff_list" in last_call().detail


def test_changed_mobile_opens_a_ticket_and_the_customer_is_unchanged(dial, book):
    steps = signed_in(
        press("staff_menu", "4"),
        press("staff_enter_policy", "990000000006#"),   # the colleague's policy: not found
        press("staff_enter_policy", "990000000004#"),
        press("staff_enter_mobile", "02088888888#"),    # a landline: not a mobile
        press("staff_enter_mobile", "13912345678#"), press("staff_mobile_confirm", "2"),  # keyed again
        press("staff_enter_mobile", "13912345679#"), press("staff_mobile_confirm", "1"))
    peer = dial(steps, callerid=AGENT_MOBILE)
    assert peer.heard.count("policy_not_found") == 1 and peer.heard.count("invalid_number") == 1
    read_back = after(peer.heard, "staff_new_mobile_is", 13)
    assert read_back == ["staff_new_mobile_is", *speech.digits("13912345678"), "staff_mobile_confirm"]
    ticket = Ticket.get()
    assert (ticket.kind, ticket.staff_id, ticket.policy_id) == ("mobile-change", book.agent.id, book.policies[4].id)
    assert "+8613912345679" in ticket.text
    assert Customer.get_by_id(book.policies[4].holder_id).mobile == "+8613600000002"
    said = after(peer.heard, "staff_mobile_reported", 2 + len(ticket.number))
    assert said == ["staff_mobile_reported", "ticket_opened", *speech.digits(ticket.number)]
    call = last_call()
    assert ["staff_mobile_number", "***********"] in call.key_list and "13912345679" not in call.keys
    assert f"ticket {ticket.number} (mobile-change)" in call.detail


def test_long_lists_read_ten_then_offer_the_sms_which_lists_forty(dial, book, agi_server):
    from appliance.models import Policy
    today = clock.today()
    holder = book.policies[1].holder
    Policy.insert_many([dict(policy_no=f"9800{n:08d}", product=book.policies[1].product_id, holder=holder.id,
                             agent=book.agent.id, premium="10.00", issue_date=today - datetime.timedelta(days=400),
                             next_due_date=today + datetime.timedelta(days=20), created_at=clock.now())
                        for n in range(45)]).execute()  # 46 due in all, 1 overdue
    peer = dial(signed_in(press("staff_menu", "2"), press("after_info", "*"), press("staff_menu", "3")),
                callerid=AGENT_MOBILE)
    assert after(peer.heard, "staff_due_soon", 4) == ["staff_due_soon", *speech.number(46)]
    assert peer.heard.count(cached_name(agi_server, "张先生")) == 10  # read out: the first ten
    spoken = peer.heard.index("staff_overdue")
    assert peer.heard.index("staff_more_by_sms") > spoken
    sms = Message.get().text
    assert "30天内应缴46户，合计1684.10元" in sms  # 1234.10 + 45 × 10.00
    assert sms.count("尾号") == 40 and "另有7户未列出" in sms and "\n逾期：" not in sms


def test_star_silence_repeat_and_cancel_lead_back_without_effects(dial, book):
    peer = dial([press("menu_main", "8"), press("staff_intro", "*"), hang_up("menu_main")], callerid=AGENT_MOBILE)
    assert peer.heard[-3:] == ["menu_main", "staff_intro", "menu_main"]  # * over the intro: back
    peer = dial([press("menu_main", "8"), press("staff_enter_pin", ""), press("staff_enter_pin", ""),
                 press("staff_enter_pin", ""), press("staff_enter_pin", ""), hang_up("menu_main")],
                callerid=AGENT_MOBILE)
    assert peer.heard.count("no_input") == 3 and peer.heard[-1] == "menu_main"  # silence: the retries, then back
    assert Staff.get_by_id(book.agent.id).pin_failures == 0  # silence is no wrong PIN
    peer = dial(signed_in(press("staff_menu", "9"), press("staff_menu", "4"),
                          press("staff_enter_policy", "990000000004#"), press("staff_enter_mobile", "13912345678#"),
                          press("staff_mobile_confirm", "*")), callerid=AGENT_MOBILE)
    assert peer.heard.count("staff_menu") == 3  # 9 repeats it; after the cancel it comes back
    assert Ticket.select().count() == 0 and Message.select().count() == 0
