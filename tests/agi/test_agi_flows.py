"""Whole calls through the fake Asterisk peer: what the caller hears and what
is recorded, for every flow of the default menu."""
import pytest

from agi import speech
from agi.asterisk_peer import Step, hang_up, press
from appliance.ivr.models import AgentCheck, Call, PolicyLockout
from appliance.tickets.models import Ticket
from appliance.models import Claim, Customer, Payment, Policy, Staff
from appliance.sms.models import Message


def holder_with_due_policy():
    """A zh customer whose mobile holds exactly one in-force policy with a due date and a payment."""
    for customer in Customer.select().where(Customer.language == "zh").order_by(Customer.id):
        policies = list(Policy.select().where(Policy.holder == customer))
        if (len(policies) == 1 and policies[0].status == "in_force" and policies[0].next_due_date
                and Payment.select().where(Payment.policy == policies[0], Payment.status == "received").exists()):
            return customer, policies[0]
    raise AssertionError("demo data has no such customer")


def national(e164):
    return e164.replace("+86", "")


def last_call():
    return Call.select().order_by(Call.id.desc()).get()


def cached_name(agi_server, text, template="spoken_text"):
    """The cache file name the server uses for a dynamic text."""
    import os
    return os.path.basename(agi_server.finder.spoken(text, "zh", template))


# --- greeting and menu engine ---------------------------------------------------------------

def test_known_customer_is_greeted_by_name(dial, agi_server):
    customer, _ = holder_with_due_policy()
    peer = dial([hang_up("menu_main")], callerid=national(customer.mobile))
    greeting = cached_name(agi_server, customer.salutation, "greet_name")
    assert peer.heard[:3] == [greeting, "welcome", "menu_main"]
    assert customer.salutation.endswith(("先生", "女士"))
    call = last_call()
    assert call.customer_id == customer.id and call.caller_id == national(customer.mobile)
    assert call.outcome == "caller_hung_up" and call.ended_in == "main"
    assert call.path_list == ["greeting", "main"]


def test_invalid_key_and_silence_retry_then_goodbye(dial):
    peer = dial([press("menu_main", "7"), press("menu_main", "")])
    # 7 is not a menu key: invalid; then silence three times; then the fallback says goodbye.
    assert peer.heard == ["welcome", "menu_main", "invalid_input", "menu_main", "no_input",
                          "menu_main", "no_input", "menu_main", "goodbye"]
    assert peer.commands[-1] == "HANGUP"
    call = last_call()
    assert call.outcome == "completed" and call.ended_in == "main"
    assert call.key_list == [["main", "7"]]
    assert "no valid input at main" in call.detail


def test_key_interrupts_prompt_and_star_goes_back_nine_repeats(dial):
    peer = dial([press("menu_main", "5"), press("menu_service_request", "9"),
                 press("menu_service_request", "*"), hang_up("menu_main")])
    assert peer.heard == ["welcome", "menu_main", "menu_service_request", "menu_service_request", "menu_main"]
    # every prompt is streamed with the full escape set, so keys are never lost
    streams = [c for c in peer.commands if c.startswith("STREAM FILE")]
    assert streams and all(c.endswith('"0123456789*#" 0') for c in streams)
    call = last_call()
    assert call.path_list == ["greeting", "main", "service_request", "service_request", "main"]
    assert call.key_list == [["main", "5"], ["service_request", "9"], ["service_request", "*"]]


def test_operator_within_business_hours_is_dialled(dial):
    peer = dial([press("menu_main", "0"), Step("dial", dial_status="ANSWER")])
    assert peer.heard == ["welcome", "menu_main", "operator_transfer"]
    assert any(c.startswith('EXEC Dial "Local/operator@from-internal,60"') for c in peer.commands)
    call = last_call()
    assert call.outcome == "transferred" and call.ended_in == "operator"


def test_operator_not_answering_returns_to_menu(dial):
    peer = dial([press("menu_main", "0"), Step("dial", dial_status="NOANSWER"), hang_up("menu_main")])
    assert peer.heard == ["welcome", "menu_main", "operator_transfer", "operator_busy", "menu_main"]
    assert "operator not reached (NOANSWER)" in last_call().detail


def test_operator_after_hours_gets_the_message(start_server, ivr_config):
    from agi.asterisk_peer import FakeAsterisk
    closed = ivr_config.replace(agi__business_days="1-7", agi__business_hours="00:00-00:01")
    server = start_server(closed)
    peer = FakeAsterisk(server.address, [press("menu_main", "0"), hang_up("menu_main")],
                        callerid="unknown").run()
    assert peer.heard == ["welcome", "menu_main", "after_hours", "menu_main"]
    assert not any(c.startswith("EXEC") for c in peer.commands)


# --- 1 policy service ----------------------------------------------------------------------

def test_policy_linked_to_caller_verified_and_read_out(dial, agi_server):
    customer, policy = holder_with_due_policy()
    payment = (Payment.select().where(Payment.policy == policy, Payment.status == "received")
               .order_by(Payment.paid_on.desc(), Payment.id.desc()).first())
    peer = dial([press("menu_main", "1"), press("policy_other", "1"),
                 press("policy_enter_id6", customer.id_number[-6:].replace("X", "*")), press("after_info", "*"),
                 hang_up("menu_main")], callerid=customer.mobile)
    product = cached_name(agi_server, policy.product.name)
    expected_info = (["policy_status_is", "policy_status_in_force", "product_is", product, "next_due_is",
                      *speech.date(policy.next_due_date), "amount_due_is", *speech.money(policy.premium),
                      "last_payment_is", *speech.date(payment.paid_on), *speech.money(payment.amount)])
    start = peer.heard.index("policy_linked")
    assert peer.heard[start:start + 8] == ["policy_linked", "tail_number", *speech.digits(policy.policy_no[-4:]),
                                           "press", "n_1"]
    info = peer.heard.index("policy_status_is")
    assert peer.heard[info:info + len(expected_info)] == expected_info
    call = last_call()
    assert call.path_list[:6] == ["greeting", "main", "policy", "policy_choose", "policy_verify", "policy_info"]
    assert ["policy_verify", "******"] in call.key_list  # the ID digits never stored in clear
    assert customer.id_number[-6:] not in call.keys
    assert f"verified policy {policy.policy_no}" in call.detail


def test_policy_by_number_wrong_id_three_times_locks_out_and_alerts(dial, ivr_config):
    customer, policy = holder_with_due_policy()
    wrong = "000000" if customer.id_number[-6:] != "000000" else "111111"
    steps = [press("menu_main", "1"), press("policy_enter_number", policy.policy_no + "#")]
    steps += [press("policy_enter_id6", wrong)] * 3 + [hang_up("menu_main")]
    peer = dial(steps)  # caller ID unknown: no linked policies, number keyed
    assert peer.heard.count("verify_failed") == 3
    assert peer.heard[-2:] == ["policy_locked", "menu_main"]
    lock = PolicyLockout.get(PolicyLockout.policy == policy)
    assert lock.locked_until is not None
    alert = Ticket.get(Ticket.kind == "alert")
    assert alert.policy_id == policy.id and alert.source == "ivr" and alert.call_id == last_call().id
    # a later call is refused before any ID digits are asked for
    peer = dial([press("menu_main", "1"), press("policy_enter_number", policy.policy_no + "#"),
                 hang_up("menu_main")])
    assert "policy_locked" in peer.heard and "policy_enter_id6" not in peer.heard


def test_unknown_policy_number_retries_then_back_to_menu(dial):
    peer = dial([press("menu_main", "1"), press("policy_enter_number", "123#"),
                 press("policy_enter_number", "*"), hang_up("menu_main")])
    assert peer.heard == ["welcome", "menu_main", "policy_intro", "policy_enter_number", "policy_not_found",
                          "policy_enter_number", "menu_main"]


# --- 2 agent identity check ------------------------------------------------------------------

@pytest.mark.parametrize("badge,status,warning", [
    ("35010001", "active", "agent_active"),
    ("35019001", "suspended", "agent_suspended"),
    ("35019002", "left", "agent_left"),
    ("35019999", "unknown", "agent_unknown"),
])
def test_agent_check_states_every_status_and_logs_it(dial, agi_server, badge, status, warning):
    peer = dial([press("menu_main", "2"), press("agent_enter_badge", badge + "#"),
                 press("agent_options", "*"), hang_up("menu_main")], callerid="13912345678")
    start = peer.heard.index("agent_badge")
    assert peer.heard[start + 1:start + 9] == speech.digits(badge)
    assert warning in peer.heard
    staff = Staff.get_or_none(Staff.badge_no == badge)
    if staff is not None:
        assert cached_name(agi_server, staff.name) in peer.heard
    check = AgentCheck.get()
    assert (check.badge_no, check.result, check.caller) == (badge, status, "13912345678")
    assert last_call().path_list[-2:] == [f"agent_{status}", "main"]


def test_agent_result_by_sms_and_visit_reported(dial):
    peer = dial([press("menu_main", "2"), press("agent_enter_badge", "35019001#"),
                 press("agent_options", "1"), press("agent_options", "2"), press("agent_options", "*"),
                 hang_up("menu_main")], callerid="13912345678")
    ticket = Ticket.get(Ticket.kind == "agent-report")
    assert ticket.staff.badge_no == "35019001" and ticket.caller == "+8613912345678"
    texts = [m.text for m in Message.select().order_by(Message.id)]
    assert "35019001" in texts[0] and "暂停执业" in texts[0]
    assert ticket.number in texts[1]
    assert all(m.to_number == "+8613912345678" and m.source == "ivr" for m in Message.select())
    said = peer.heard.index("ticket_opened")
    assert peer.heard[said + 1:said + 1 + len(ticket.number)] == speech.digits(ticket.number)
    assert "sms_sent" in peer.heard and "ticket_sms" in peer.heard
    assert f"ticket {ticket.number}" in last_call().detail


def test_agent_sms_needs_a_mobile_caller_id(dial):
    peer = dial([press("menu_main", "2"), press("agent_enter_badge", "35010001#"),
                 press("agent_options", "1"), press("agent_options", "*"), hang_up("menu_main")],
                callerid="unknown")
    assert "sms_unavailable" in peer.heard and Message.select().count() == 0


# --- 3 claims ---------------------------------------------------------------------------

def test_claim_status_by_claim_number_and_by_policy(dial):
    claim = Claim.select().where(Claim.status == "paid").first()
    peer = dial([press("menu_main", "3"), press("claim_enter_number", claim.claim_no + "#"),
                 press("after_info", "*"), hang_up("menu_main")])
    start = peer.heard.index("claim_number")
    expected = ["claim_number", *speech.digits(claim.claim_no), "claim_status_is", "claim_status_paid",
                "claim_paid_amount", *speech.money(claim.amount_paid)]
    assert peer.heard[start:start + len(expected)] == expected
    peer = dial([press("menu_main", "3"), press("claim_enter_number", claim.policy.policy_no + "#"),
                 press("after_info", "*"), hang_up("menu_main")])
    assert "claim_status_paid" in peer.heard


def test_claim_not_found(dial):
    peer = dial([press("menu_main", "3"), press("claim_enter_number", "999#"), press("claim_enter_number", "*"),
                 hang_up("menu_main")])
    assert peer.heard[-4:] == ["claim_enter_number", "claim_not_found", "claim_enter_number", "menu_main"]


# --- 4 leave a message ------------------------------------------------------------------------

def test_message_recorded_ticket_told_by_voice_and_sms(dial, ivr_config):
    peer = dial([press("menu_main", "4"), Step("record", record_seconds=3, record_end="dtmf"),
                 hang_up("menu_main")], callerid="13912345678")
    ticket = Ticket.get(Ticket.kind == "complaint")
    assert ticket.recording == peer.recordings[0]
    assert ticket.recording.startswith(str(ivr_config.data_dir / "recordings"))
    record = next(c for c in peer.commands if c.startswith("RECORD FILE"))
    assert '"#" 120000' in record  # # ends it; the length limit from agi.message_max_seconds
    said = peer.heard.index("ticket_opened")
    assert peer.heard[said + 1:said + 1 + len(ticket.number)] == speech.digits(ticket.number)
    assert Message.get().text.count(ticket.number) == 1


def test_hangup_while_recording_keeps_the_message(dial):
    peer = dial([press("menu_main", "4"), Step("record", record_seconds=2, record_end="hangup")],
                callerid="13912345678")
    ticket = Ticket.get(Ticket.kind == "complaint")
    assert ticket.recording == peer.recordings[0]
    assert ticket.number in Message.get().text  # told by SMS, as the caller has gone
    call = last_call()
    assert call.outcome == "caller_hung_up" and call.ended_in == "message_record"


def test_empty_recording_opens_no_ticket(dial):
    peer = dial([press("menu_main", "4"), Step("record", record_seconds=0, record_end="dtmf"),
                 hang_up("menu_main")])
    assert "message_empty" in peer.heard and Ticket.select().count() == 0


# --- 5 callback and phone application -------------------------------------------------------------

def test_callback_for_the_caller_number(dial):
    peer = dial([press("menu_main", "5"), press("menu_service_request", "1"), press("callback_confirm", "1"),
                 hang_up("menu_main")], callerid="13912345678")
    ticket = Ticket.get()
    assert (ticket.kind, ticket.caller) == ("callback", "+8613912345678")
    assert "ticket_opened" in peer.heard


def test_phone_application_from_withheld_number_asks_for_one(dial):
    peer = dial([press("menu_main", "5"), press("menu_service_request", "2"),
                 press("phone_application_confirm", "1"), press("enter_phone", "12#"),
                 press("enter_phone", "13912345678#"), hang_up("menu_main")], callerid="unknown")
    assert peer.heard.count("invalid_number") == 1
    assert ["phone_application_number", "***********"] in last_call().key_list  # masked
    ticket = Ticket.get()
    assert (ticket.kind, ticket.caller) == ("phone-application", "+8613912345678")
    assert Message.get().to_number == "+8613912345678"


# --- English callers, menu edits ---------------------------------------------------------------

def test_english_customer_hears_english_prompts_and_name(dial, agi_server):
    customer = Customer.select().where(Customer.mobile.is_null(False)).order_by(Customer.id.desc()).first()
    customer.language = "en"
    customer.save()
    peer = dial([hang_up("menu_main")], callerid=customer.mobile)
    assert peer.heard == ["hello", cached_name(agi_server, customer.salutation), "welcome", "menu_main"]
    streams = [c for c in peer.commands if c.startswith("STREAM FILE")]
    assert "/en/hello" in streams[0] and "/en/menu_main" in streams[-1]
    assert "/cache/zh/" in streams[1]  # the Chinese name in the Mandarin voice


def test_admin_menu_edit_reaches_new_calls(dial, agi_server):
    from appliance.ivr.models import MenuNode
    agi_server.menus.ttl = 0  # no caching wait in this test
    claim = MenuNode.get(MenuNode.name == "claim")
    claim.digit = "7"
    claim.save()
    peer = dial([press("menu_main", "3"), press("menu_main", "7"), press("claim_enter_number", "*"),
                 hang_up("menu_main")])
    assert peer.heard == ["welcome", "menu_main", "invalid_input", "menu_main", "claim_intro",
                          "claim_enter_number", "menu_main"]


@pytest.mark.parametrize("status,heard_after,outcome", [
    ("", [], "transferred"), ("JOINEMPTY", ["operator_busy", "menu_main"], "caller_hung_up"),
])
def test_operator_as_a_call_queue(start_server, ivr_config, status, heard_after, outcome):
    from agi.asterisk_peer import FakeAsterisk
    server = start_server(ivr_config.replace(agi__operator="Queue/branch-service"))
    peer = FakeAsterisk(server.address, [press("menu_main", "0"), Step("dial", dial_status=status),
                                         hang_up("menu_main")], callerid="unknown").run()
    assert any(c.startswith('EXEC Queue "branch-service,,,,120"') for c in peer.commands)
    assert peer.heard == ["welcome", "menu_main", "operator_transfer", *heard_after]
    assert last_call().outcome == outcome


def test_caller_hanging_up_after_talking_to_the_operator_counts_as_transferred(dial):
    dial([press("menu_main", "0"), Step("dial", hangup=True, dial_status="ANSWER")])
    assert (last_call().outcome, last_call().ended_in) == ("transferred", "operator")
    dial([press("menu_main", "0"), Step("dial", hangup=True, dial_status="CANCEL")])
    assert (last_call().outcome, last_call().ended_in) == ("caller_hung_up", "operator")


def test_unwritable_recordings_directory_is_reported_not_taken_for_a_hangup(dial):
    # Asterisk runs as its own user: when it may not write data_dir/recordings it
    # answers RECORD FILE with "-1 (writefile)", which is not a hangup.
    peer = dial([press("menu_main", "4"), Step("record", record_end="writefile"), hang_up("menu_main")])
    assert peer.heard[-2:] == ["service_unavailable", "menu_main"]
    call = last_call()
    assert "recording failed" in call.detail and call.ended_in == "main"
    assert Ticket.select().count() == 0
