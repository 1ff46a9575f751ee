"""The staff line (内部联系): agents and staff on the IVR, by caller ID and PIN.

Menu action `staff_line` (key 8 of the default main menu, not announced). The caller
keys a PIN; a caller ID that is no active staff member's mobile, a wrong PIN and a
locked PIN all hear the same refusal (appliance/ivr/staff_access.py). Accepted, the
staff member chooses: 1 their month and quarter performance, 2 their customers with
renewal premiums due in the next 30 days and overdue ones, 3 that list by SMS to their
own mobile, 4 report a customer's changed mobile (a ticket), * back.

As everywhere in the IVR, what changes data (a failure count, a lockout and its SMS, a
queued list, a ticket) is committed before the caller hears about it.
"""
import logging

from agi import speech, texts
from agi.flows import ask_entry, intro, listen, send_sms
from appliance import clock, phones
from appliance.ivr import staff_access
from appliance.sms import outbox

log = logging.getLogger(__name__)

MAX_SPOKEN = 10      # customers read out per list; the SMS has more
MAX_SMS_LINES = 40   # customers listed in the SMS, due and overdue together


def staff_line(node, session):
    if intro(node, session):
        return
    staff = check_pin(node, session)
    if staff is None:
        return
    session.staff = staff
    sms_sent = False
    while True:
        session.enter("staff_menu")
        key = session.ask_key(["staff_menu"], "12349*", node.timeout_ms, node.retries)
        if key in ("", "*"):
            return
        if key == "1":
            tell_performance(node, session, staff)
        elif key == "2":
            tell_customers(node, session, staff)
        elif key == "3":
            session.enter("staff_sms")
            sms_sent = sms_sent or send_list(session, staff)
            session.play("sms_sent" if sms_sent else "sms_unavailable")
        elif key == "4":
            report_mobile_change(node, session, staff)


# --- who is calling ------------------------------------------------------------------------

def check_pin(node, session):
    """The staff member once their PIN is accepted, else None (after the node's retries,
    or * ). Every refusal sounds the same, whoever calls."""
    session.enter("staff_pin")
    staff = staff_access.caller_staff(session.caller_id)
    config = session.config
    no_input = 0
    wrong = 0
    while True:
        keyed = session.ask_digits("staff_enter_pin", staff_access.PIN_DIGITS[1], node.timeout_ms, secret=True)
        if keyed == "*":
            return None
        if not keyed:
            no_input += 1
            if no_input > node.retries:
                return None
            session.play("no_input")
            continue
        if staff_access.pin_matches(staff, keyed):
            session.write_soon(staff_access.record_success, staff)  # nothing is told about it
            session.call.note(f"staff {staff.badge_no} signed in")
            return staff
        session.call.note("staff PIN refused")
        if staff is not None and staff.pin_hash and not staff_access.locked(staff):
            session.write(pin_failed, staff, session.caller_id, config)
            staff = staff_access.caller_staff(session.caller_id)  # as written: locked or not
        else:
            session.checkpoint()  # a write all the same: every refusal takes as long
        session.play("staff_pin_refused")
        wrong += 1
        if wrong > node.retries:
            return None


def pin_failed(staff, caller, config):
    """In the writer: count the failure; on a lockout, tell the owner by SMS in the same
    transaction (only they read it: the caller on the line hears nothing different)."""
    locked = staff_access.record_failure(staff, max_failures=max(1, config["agi.staff_pin_attempts"]),
                                         lock_minutes=config["agi.staff_lockout_minutes"], caller=caller)
    if locked and staff.mobile:
        text = texts.sms_text("staff_pin_locked", "zh", config, failures=config["agi.staff_pin_attempts"],
                              minutes=config["agi.staff_lockout_minutes"])
        outbox.queue_message(staff.mobile, text, category="service", source="ivr", staff=staff, config=config)
    return locked


# --- 1 performance ---------------------------------------------------------------------------

def tell_performance(node, session, staff):
    session.enter("staff_performance")
    today = clock.today()
    month, quarter = staff_access.period_starts(today)
    items = ["staff_month", *performance_items(session, staff_access.performance(staff, month, today)),
             "staff_quarter", *performance_items(session, staff_access.performance(staff, quarter, today))]
    listen(node, session, items)


def performance_items(session, figures):
    def number(value):
        return speech.number(value, session.language)
    return ["staff_collected", *session.say_money(figures.collected),
            "staff_count_of", *number(figures.collected_count), "staff_payments",
            "staff_renewals", *session.say_money(figures.renewals),
            "staff_new_policies", *number(figures.new_count), "staff_policies_unit",
            "staff_new_premium", *session.say_money(figures.new_premium)]


# --- 2 customers with premiums due and overdue ----------------------------------------------------

def tell_customers(node, session, staff):
    session.enter("staff_customers")
    today = clock.today()
    due, late = staff_access.renewals_due(staff, today), staff_access.overdue(staff, today)
    items = (customer_items(session, "staff_due_soon", due)
             + customer_items(session, "staff_overdue", late))
    if len(due) > MAX_SPOKEN or len(late) > MAX_SPOKEN:
        items.append("staff_more_by_sms")
    listen(node, session, items)


def customer_items(session, heading, dues):
    items = [heading, *speech.number(len(dues), session.language), "staff_customers_unit",
             "staff_total", *session.say_money(staff_access.total(dues))]
    for due in dues[:MAX_SPOKEN]:
        items += [session.text(due.customer), "tail_number", *session.say_digits(due.policy_no[-4:]),
                  *session.say_money(due.amount), "staff_due_on", *session.say_date(due.due_date)]
    return items


# --- 3 the list by SMS --------------------------------------------------------------------------

def send_list(session, staff):
    """Queue the list to the staff member's registered mobile; True once committed."""
    if not staff.mobile:
        return False
    today = clock.today()
    due, late = staff_access.renewals_due(staff, today), staff_access.overdue(staff, today)
    return send_sms(session, "staff_list", to_number=staff.mobile, **list_fields(session, staff, today, due, late))


def list_fields(session, staff, today, due, late):
    language, config = session.language, session.config

    def text(name, **fields):
        return texts.sms_text(name, language, config, **fields)
    lines, room = [], MAX_SMS_LINES
    for heading, dues in (("staff_list_due", due), ("staff_list_overdue", late)):
        if not dues or not room:
            continue
        lines.append(text(heading))
        for item in dues[:room]:
            lines.append(text("staff_list_line", customer=item.customer, tail=item.policy_no[-4:],
                              amount=f"{item.amount:.2f}", date=f"{item.due_date:%m-%d}"))
        room = max(0, room - len(dues))
    left = len(due) + len(late) - min(len(due) + len(late), MAX_SMS_LINES)
    if left:
        lines.append(text("staff_list_more", count=left))
    return dict(name=staff.name, date=f"{today:%Y-%m-%d}", due_count=len(due),
                due_total=f"{staff_access.total(due):.2f}", overdue_count=len(late),
                overdue_total=f"{staff_access.total(late):.2f}", lines="".join(lines))


# --- 4 a customer's changed mobile ----------------------------------------------------------------

def report_mobile_change(node, session, staff):
    session.enter("staff_mobile_policy")
    entry = ask_entry(node, session, "staff_enter_policy", 20, lambda digits: staff_access.own_policy(staff, digits),
                      "policy_not_found")
    if entry is None:
        return
    policy = entry[1]
    while True:
        session.enter("staff_mobile_number")
        entry = ask_entry(node, session, "staff_enter_mobile", 15, new_mobile, "invalid_number",
                          secret=True)  # a phone number is personal data: masked in the record
        if entry is None:
            return
        number = entry[1]
        key = session.ask_key(["staff_new_mobile_is", *session.say_digits(phones.national(number)),
                               "staff_mobile_confirm"], "12*", node.timeout_ms, node.retries)
        if key == "1":
            break
        if key != "2":
            return
    ticket = session.write_acknowledged(
        staff_access.mobile_change_ticket, staff, policy, number, caller=session.caller_id,
        call_id=session.call_id, then=lambda t: session.call.note(f"ticket {t.number} (mobile-change)"))
    session.play("staff_mobile_reported", "ticket_opened", *session.say_digits(ticket.number))


def new_mobile(digits):
    number = phones.e164_or_none(digits)
    return number if number and phones.is_mobile(number) else None


FLOWS = {"staff_line": staff_line}
