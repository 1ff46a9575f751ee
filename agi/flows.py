"""The self-service flows a menu node can run, by its `action`.

Each flow takes (node, session), uses the node's timeout and retries for the
caller's entries, and returns to the menu when done or when the caller presses
`*`. Anything that changes data (a ticket, a lockout, an SMS) is committed
before the caller is told about it.
"""
import logging
import os

from agi import speech, texts
from agi.channel import AgiCommandFailed, CallerHungUp
from agi.session import EndCall
from appliance import clock, phones
from appliance.errors import InputError
from appliance.ivr import calls, queries, tickets, verification
from appliance.sms import outbox
from appliance.tickets import status_query

log = logging.getLogger(__name__)


def run(node, session):
    FLOWS[node.action](node, session)


def intro(node, session):
    """The node's own prompt; True when the caller pressed * during it (go back).
    A digit that stops it is kept as the first digit of the flow's first entry
    (`35010001#` keyed over the agent intro is badge 35010001)."""
    key = session.play(node.prompt)
    if key == "*":
        session.pressed(key)
        return True
    if key.isdigit():
        session.typeahead = key
    return False


def ask_entry(node, session, prompt, max_digits, lookup, not_found, secret=False):
    """Ask for digits until `lookup(digits)` gives something, up to the node's
    retries; None when the caller gives up or presses * alone."""
    for attempt in range(node.retries + 1):
        digits = session.ask_digits(prompt, max_digits, node.timeout_ms, secret=secret)
        if digits == "*" or (digits.startswith("*") and not secret):
            return None
        if digits:
            found = lookup(digits)
            if found is not None:
                return digits, found
            session.play(not_found)
        else:
            session.play("no_input")
    return None


def listen(node, session, items, prompt="after_info", keys="9*"):
    """Play a result; 9 (pressed during it or after) plays it again, * or no key goes back."""
    while True:
        key = session.play(*items)
        if key in keys and key:
            session.pressed(key)
        else:
            key = session.ask_key([prompt], keys, node.timeout_ms, 0)
        if key != "9":
            return key


# --- sending the caller an SMS ----------------------------------------------------------

def caller_mobile(session):
    number = phones.e164_or_none(session.caller_id)
    return number if number and phones.is_mobile(number) else None


def send_sms(session, text_name, to_number=None, soon=False, **fields):
    """Queue an SMS to the caller's mobile (or `to_number` they keyed). Returns
    True once it is committed, False when there is no mobile number to send to;
    with soon=True, returns at once a Future for sms_done() (None: no number)."""
    number = to_number if to_number and phones.is_mobile(to_number) else caller_mobile(session)
    if number is None:
        return None if soon else False
    text = texts.sms_text(text_name, session.language, session.config, **fields)
    job = session.write_soon(outbox.queue_message, number, text, category="service", source="ivr",
                             customer=session.customer, staff=session.staff)
    if soon:
        return job
    try:
        session.play("ack", escape="")  # acknowledges the key while the SMS commits
    except CallerHungUp:
        sms_done(session, job, text_name)  # committed all the same: the call record says so
        raise
    return sms_done(session, job, text_name)


def sms_done(session, job, text_name):
    """Wait for a queued SMS to be committed; False if it was refused."""
    if job is None:
        return False
    try:
        job.result()
    except InputError as exc:
        log.warning("call %s: SMS not queued: %s", session.call_id, exc)
        return False
    session.call.note(f"sms {text_name}")
    return True


def open_ticket(session, kind, *, number=None, text="", staff=None, policy=None, recording="",
                acknowledge=True):
    """Open a ticket for this caller (committed; linked to the call by call_id).
    acknowledge: say 'OK' while it commits (not when the caller has gone)."""
    def noted(ticket):
        session.call.note(f"ticket {ticket.number} ({kind})")
    fields = dict(number=number or session.caller_id, customer=session.customer, staff=staff, policy=policy,
                  text=text, recording=recording, call_id=session.call_id,
                  config=session.config)  # the box's service levels and routing
    if acknowledge:
        return session.write_acknowledged(tickets.open_ticket, kind, "ivr", then=noted, **fields)
    ticket = session.write(tickets.open_ticket, kind, "ivr", **fields)
    noted(ticket)
    return ticket


def tell_ticket(session, ticket, to_number=None):
    """Say the ticket number while its SMS commits; then, if it did, say the SMS is coming."""
    kind = texts.word("ticket_kind", ticket.kind, session.language)
    sms = send_sms(session, "ticket_opened", to_number, soon=True, kind=kind, number=ticket.number)
    key = session.play("ticket_opened", *session.say_digits(ticket.number))
    if sms_done(session, sms, "ticket_opened") and not key:
        session.play("ticket_sms")


# --- 1 policy service ---------------------------------------------------------------------

def policy_service(node, session):
    if intro(node, session):
        return
    policy = choose_policy(node, session)
    if policy is None:
        return
    if not verify_holder(node, session, policy):
        return
    tell_policy(node, session, policy)


def choose_policy(node, session):
    linked = queries.policies_for_caller(session.caller_id, limit=7)
    if linked:
        session.enter("policy_choose")
        items = ["policy_linked"]
        for i, policy in enumerate(linked, 1):
            items += ["tail_number", *session.say_digits(policy.policy_no[-4:]), "press", f"n_{i}"]
        items.append("policy_other")
        allowed = "".join(str(i) for i in range(1, len(linked) + 1)) + "89*"
        while True:
            key = session.ask_key(items, allowed, node.timeout_ms, node.retries)
            if key != "9":
                break
        if key in ("", "*"):
            return None
        if key != "8":
            return linked[int(key) - 1]
    session.enter("policy_number")
    entry = ask_entry(node, session, "policy_enter_number", 20, queries.policy_by_number, "policy_not_found")
    return entry[1] if entry else None


def verify_holder(node, session, policy):
    """Last 6 of the holder's ID number; failures count toward the lockout."""
    session.enter("policy_verify")
    if verification.locked_until(policy):
        session.call.note(f"policy {policy.policy_no} is locked out")
        session.play("policy_locked")
        return False
    config = session.config
    no_input = 0
    while True:
        keyed = session.ask_digits("policy_enter_id6", 6, node.timeout_ms, secret=True)
        if keyed == "*":
            return False
        if not keyed:
            no_input += 1
            if no_input > node.retries:
                return False
            session.play("no_input")
            continue
        if queries.verify_holder_id(policy, keyed):
            session.write_soon(verification.record_success, policy)  # nothing is told about it
            session.call.note(f"verified policy {policy.policy_no}")
            return True
        session.checkpoint()
        locked, failures = session.write(
            verification.record_failure, policy, session.caller_id, max_failures=config["agi.verify_attempts"],
            lock_minutes=config["agi.lockout_minutes"], call_id=session.call_id)
        session.call.note(f"verification failed ({failures})")
        if locked:
            session.call.note(f"policy {policy.policy_no} locked out")
            session.play("verify_failed", "policy_locked")
            return False
        session.play("verify_failed")


def tell_policy(node, session, policy):
    session.enter("policy_info")
    items = ["policy_status_is", f"policy_status_{policy.status}",
             "product_is", session.text(policy.product.name)]
    if policy.next_due_date and policy.status in ("in_force", "lapsed"):
        items += ["next_due_is", *session.say_date(policy.next_due_date),
                  "amount_due_is", *session.say_money(policy.premium)]
    payment = queries.last_payment(policy)
    if payment is not None:
        items += ["last_payment_is", *session.say_date(payment.paid_on), *session.say_money(payment.amount)]
    else:
        items.append("no_payment")
    listen(node, session, items)


# --- 2 agent identity check ---------------------------------------------------------------

def agent_check(node, session):
    if intro(node, session):
        return
    while True:
        session.enter("agent_badge")
        entry = ask_entry(node, session, "agent_enter_badge", 12, lambda digits: digits, "invalid_input")
        if entry is None:
            return
        badge = entry[0]
        staff = queries.agent_by_badge(badge)
        logged = session.write_soon(verification.log_agent_check, session.caller_id, badge, staff,
                                    call_id=session.call_id)
        head = ["agent_badge", *session.say_digits(badge)]
        if staff is None:
            result = ["agent_unknown"]
        else:
            result = ["agent_name_is", session.text(staff.name),
                      "agent_branch_is", session.text(staff.branch or session.config["branch_name"]),
                      f"agent_{staff.status}"]
        key = session.play(*head)  # the badge read back while the check is logged
        logged.result()            # logged before the caller hears the answer
        session.enter(f"agent_{staff.status if staff else 'unknown'}")
        key = key or session.play(*result)
        if not agent_options(node, session, head + result, key, badge, staff):
            return


def agent_options(node, session, items, key, badge, staff):
    """After the result: 1 SMS, 2 report the visit, 3 another badge, 9 repeat,
    * back. True when the caller wants to check another badge."""
    sms_sent = reported = False
    while True:
        if key in ("1", "2", "3", "9", "*"):
            session.pressed(key)
        else:
            key = session.ask_key(["agent_options"], "1239*", node.timeout_ms, node.retries)
        if key == "9":
            key = session.play(*items)
            continue
        if key == "1":
            if not sms_sent:
                sms_sent = send_agent_sms(session, badge, staff)
            key = session.play("sms_sent" if sms_sent else "sms_unavailable")
            continue
        if key == "2":
            if not reported:
                ticket = open_ticket(session, "agent-report", staff=staff,
                                     text=f"来电举报业务员上门：工号 {badge}，核实结果 "
                                          f"{staff.status if staff else 'unknown'}。"
                                          f" / Caller reports a visit by badge {badge}.")
                reported = True
                tell_ticket(session, ticket)
            key = ""
            continue
        return key == "3"


def send_agent_sms(session, badge, staff):
    if staff is None:
        return send_sms(session, "agent_check_unknown", badge=badge)
    return send_sms(session, "agent_check_found", badge=badge, name=staff.name,
                    branch=staff.branch or session.config["branch_name"],
                    status=texts.word("agent_status", staff.status, session.language))


# --- 3 claim status ---------------------------------------------------------------------

def claim_status(node, session):
    if intro(node, session):
        return
    session.enter("claim_number")
    entry = ask_entry(node, session, "claim_enter_number", 20,
                      lambda digits: queries.claim_status(digits) or None, "claim_not_found")
    if entry is None:
        return
    session.enter("claim_info")
    items = []
    for claim in entry[1]:
        items += ["claim_number", *session.say_digits(claim.claim_no),
                  "claim_status_is", f"claim_status_{claim.status}"]
        if claim.status in ("paid", "closed") and claim.amount_paid:
            items += ["claim_paid_amount", *session.say_money(claim.amount_paid)]
    listen(node, session, items)


# --- 4 leave a message ---------------------------------------------------------------------

def leave_message(node, session):
    if intro(node, session):
        return
    session.enter("message_record")
    path = recording_path(session)
    session.write_soon(calls.checkpoint, session.call)  # the record names the recording's call
    try:
        session.play("beep", escape="")  # ours: the box has no Asterisk core sounds
        session.channel.record(str(path), "wav", "#", max_ms=session.config["agi.message_max_seconds"] * 1000)
    except AgiCommandFailed as exc:
        log.error("Asterisk cannot record %s (%s): is the asterisk user in the appliance group "
                  "(runuser only, or appliance its primary group) and %s group-writable?",
                  path, exc, path.parent)
        session.call.note("recording failed")
        session.play("service_unavailable")
        return
    except CallerHungUp:
        # Most callers hang up instead of pressing #: keep what they said.
        if has_audio(path):
            ticket = open_ticket(session, "complaint", text="电话留言（来电者挂机结束） / Voice message",
                                 recording=f"{path}.wav", acknowledge=False)
            kind = texts.word("ticket_kind", ticket.kind, session.language)
            sms_done(session, send_sms(session, "ticket_opened", soon=True, kind=kind, number=ticket.number),
                     "ticket_opened")
        raise
    if not has_audio(path):
        session.play("message_empty")
        return
    ticket = open_ticket(session, "complaint", text="电话留言 / Voice message", recording=f"{path}.wav")
    tell_ticket(session, ticket)


def recording_path(session, now=None):
    """data_dir/recordings/YYYY-MM-DD/call<ID>-HHMMSS (Asterisk adds .wav), the box's wall-clock time."""
    now = clock.local_now(now)
    folder = session.config.data_dir / "recordings" / f"{now:%Y-%m-%d}"
    shared_folder(folder.parent)
    shared_folder(folder)
    return folder / f"call{session.call_id}-{now:%H%M%S}"


def shared_folder(folder):
    """A folder Asterisk (another user in our group) writes into: setgid, so its files
    take our group, and group-writable whatever this process's umask (chmod, not mkdir's
    mode, which the umask trims: under 022 it gave 2755 and Asterisk got Permission denied)."""
    folder.mkdir(parents=True, exist_ok=True)
    mode = folder.stat().st_mode
    if mode & 0o2070 != 0o2070:
        try:
            os.chmod(folder, mode & 0o777 | 0o2770)
        except OSError as exc:  # someone else's folder: say so; RECORD FILE will tell if it fails
            log.warning("cannot make %s group-writable for Asterisk: %s", folder, exc)


def has_audio(path, min_bytes=44 + 1600):
    """A WAV with at least 0.1 s of 8 kHz audio after its header."""
    wav = path.with_name(path.name + ".wav")
    return wav.exists() and wav.stat().st_size >= min_bytes


# --- 5 callback and phone application ----------------------------------------------------------

def callback(node, session):
    service_request(node, session, "callback", "callback_confirm")


def phone_application(node, session):
    service_request(node, session, "phone-application", "phone_application_confirm")


def service_request(node, session, kind, confirm_prompt):
    if intro(node, session):
        return
    key = session.ask_key([confirm_prompt], "1*", node.timeout_ms, node.retries)
    if key != "1":
        return
    number = phones.e164_or_none(session.caller_id)
    if number is None:
        session.enter(f"{node.name}_number")
        entry = ask_entry(node, session, "enter_phone", 15, phones.e164_or_none, "invalid_number",
                          secret=True)  # a phone number is personal data: masked in the record
        if entry is None:
            return
        number = entry[1]
    ticket = open_ticket(session, kind, number=number,
                         text={"callback": "来电预约回电 / Callback requested",
                               "phone-application": "来电申请电话投保 / Phone application requested"}[kind])
    tell_ticket(session, ticket, to_number=number)


# --- 6 the state of a request -------------------------------------------------------------------

def ticket_status(node, session):
    """Key a reference number, hear its state: the answer once answered, the due time
    while open. Only the caller's own (appliance/tickets/status_query.py); a wrong try
    counts toward the day's limit, and the node's retries limit them per call."""
    if intro(node, session):
        return
    if phones.e164_or_none(session.caller_id) is None:
        session.play("ticket_query_no_number")  # owns nothing: no number can be told
        return
    session.enter("ticket_number")
    for attempt in range(node.retries + 1):
        digits = session.ask_digits("ticket_enter_number", 16, node.timeout_ms)
        if digits.startswith("*"):
            return
        if not digits:
            session.play("no_input")
            continue
        answer = session.write(status_query.ask, session.caller_id, digits, "ivr",  # logged before told
                               tries_per_day=session.config["tickets.query_tries_per_day"])
        if answer.limited:
            session.call.note("ticket query limited")
            session.play("ticket_query_limited")
            return
        if answer.ticket is not None:
            session.call.note(f"ticket {answer.ticket.number} told")
            session.enter("ticket_info")
            listen(node, session, ticket_items(session, answer))
            return
        session.call.note("ticket query: no such ticket for this number")
        session.play("ticket_not_found")


def ticket_items(session, answer):
    items = ["ticket_number_is", *session.say_digits(answer.ticket.number), f"ticket_state_{answer.state}"]
    if answer.answer:
        items += ["ticket_answer_is", session.text(answer.answer)]
    elif answer.due_at:
        due = clock.local(answer.due_at)
        items += ["ticket_due_is", *session.say_date(due), *speech.time_of_day(due, session.language)]
    return items


# --- operator ----------------------------------------------------------------------------------

# Queue() outcomes in which the caller never reached anyone.
QUEUE_FAILURES = ("TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "CONTINUE")


def reached_operator(variable, status):
    if variable == "QUEUESTATUS":
        return status not in QUEUE_FAILURES
    return status == "ANSWER"


def operator(session, node=None):
    """Key 0 (or an operator node): transfer within business hours, else the
    after-hours message and back to the menu."""
    where = session.where
    session.enter("operator")
    if not session.operator_open():
        session.play("after_hours")
        session.where = where
        return
    session.play("operator_transfer")
    session.checkpoint()  # the record says 'operator' before the line is handed over
    target = session.config["agi.operator"]
    if target.startswith("Queue/"):  # a call queue: Queue() instead of Dial()
        application, options, variable = "Queue", f"{target[len('Queue/'):]},,,,120", "QUEUESTATUS"
    else:
        application, options, variable = "Dial", f"{target},60", "DIALSTATUS"
    status = hand_over(session, application, options, variable)
    session.call.note(f"operator not reached ({status or 'unknown'})")
    session.play("operator_busy")
    session.where = where


def hand_over(session, application, options, variable):
    """Run Dial() or Queue(); EndCall('transferred') when someone answered, else the
    status (the caller stays with the IVR)."""
    try:
        session.channel.appexec(application, options)
    except CallerHungUp:
        # Dial() returns -1 when the caller hangs up, also after talking to
        # the operator; the status variable (readable on a dead channel) tells.
        if reached_operator(variable, session.channel.get_variable(variable)):
            raise EndCall("transferred") from None
        raise
    status = session.channel.get_variable(variable)
    if reached_operator(variable, status):
        raise EndCall("transferred")
    return status


def operator_node(node, session):
    operator(session, node)


# --- an announcement, a transfer to a number (the admin page's own menu entries) ------------

def announce(node, session):
    """The node's prompt, then back to the menu or goodbye (node.after_play).
    A key stops the prompt early, as in a menu."""
    session.play(node.prompt)
    if node.after_play == "hangup":
        session.play("goodbye", escape="")
        session.channel.hangup()
        raise EndCall("completed")


def transfer(node, session):
    """The node's prompt, then Dial() the node's number the way key 0 dials the operator
    (agi.transfer_dial, the operator's line); not answered: operator_busy and back."""
    where = session.where
    session.play(node.prompt, escape="")
    session.call.note(f"transfer to {node.transfer_number}")  # the branch's own line, not personal data
    session.checkpoint()  # the record says where the caller went before the line is handed over
    target = session.config["agi.transfer_dial"].replace("{number}", node.transfer_number)
    status = hand_over(session, "Dial", f"{target},60", "DIALSTATUS")
    session.call.note(f"number not reached ({status or 'unknown'})")
    session.play("operator_busy")
    session.where = where


FLOWS = {
    "policy": policy_service, "agent_check": agent_check, "claim": claim_status, "message": leave_message,
    "callback": callback, "phone_application": phone_application, "operator": operator_node,
    "ticket_status": ticket_status, "announce": announce, "transfer": transfer,
}
