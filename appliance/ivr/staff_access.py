"""The staff line (内部联系): who may use it, and what it tells them.

A staff member is recognised by caller ID (an active staff member's registered mobile)
and a PIN, hashed as admin passwords are (appliance/users.py). A caller ID that matches
nobody gets the same questions, the same refusal and the same delay (one hash is always
checked) as a wrong PIN, so the line tells nobody which numbers are staff's. `max_failures`
wrong PINs in a row lock the PIN for `lock_minutes`; while locked even the right PIN is
refused the same way (the owner learns of it by SMS, see agi/staff_flows.py); an admin
may lift it earlier on the staff member's page (unlock).

The figures: premiums collected on the staff member's policies this month and quarter
(the box's calendar), of which renewals (policies issued before the period), and new
policies issued; their customers' renewal premiums due in the next 30 days and those
overdue. A changed mobile reported for a customer opens a ticket (mobile-change): the
customer record is never changed from the phone.
"""
import datetime
import itertools
import logging
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, Case, fn

from appliance import clock, phonebook, phones
from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.ivr import tickets
from appliance.models import Customer, Payment, Policy, Staff, audit
from appliance.privacy import mask_mobile
from appliance.users import hash_password, verify_password

log = logging.getLogger(__name__)

PIN_DIGITS = (4, 8)
DUE_DAYS = 30

# A hash to check when there is nothing to check against, so timing does not tell.
_dummy = []


def _dummy_hash():
    if not _dummy:
        _dummy.append(hash_password("not-a-pin"))
    return _dummy[0]


# --- PINs ---------------------------------------------------------------------------

def check_pin_rules(pin):
    """4 to 8 digits, not one digit repeated and not a straight run (1234, 9876)."""
    pin = pin or ""
    low, high = PIN_DIGITS
    if not pin.isdigit() or not low <= len(pin) <= high or not pin.isascii():
        raise InputError.of(N_("{field}: {low} to {high} digits"), field="pin", low=low, high=high)
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if len(steps) == 1 and steps <= {-1, 0, 1}:
        raise InputError.of(N_("{field}: too easy to guess (one digit repeated or a straight run)"), field="pin")
    return pin


def staff_by_badge(badge):
    staff = Staff.get_or_none(Staff.badge_no == (badge or "").strip())
    if staff is None:
        raise NotFound.of(N_("{field}: no staff member with badge {badge}"), field="badge", badge=badge)
    return staff


def set_pin(staff, pin, actor="cli", source="cli"):
    """Set (or replace) a staff member's PIN; clears failures and any lockout. Audited."""
    digest = hash_password(check_pin_rules(pin))
    with write_transaction():
        Staff.update(pin_hash=digest, pin_failures=0, pin_locked_until=None).where(Staff.id == staff.id).execute()
        audit(actor, "staff.pin", f"staff:{staff.badge_no}", "PIN set", source)
    staff.pin_hash, staff.pin_failures, staff.pin_locked_until = digest, 0, None


def pin_state(staff, now=None):
    """What the admin page shows: has a PIN, wrong PINs in a row, locked until when (None)."""
    return {"has_pin": bool(staff.pin_hash), "failures": staff.pin_failures,
            "locked_until": staff.pin_locked_until if locked(staff, now) else None}


def unlock(staff, actor, source=""):
    """Lift a lockout and forget the wrong PINs (the PIN stays). Audited."""
    with write_transaction():
        Staff.update(pin_failures=0, pin_locked_until=None).where(Staff.id == staff.id).execute()
        audit(actor, "staff.pin_unlock", f"staff:{staff.badge_no}", "PIN unlocked", source)
    staff.pin_failures, staff.pin_locked_until = 0, None


def caller_staff(caller_id):
    """The active staff member whose mobile this caller ID is, or None."""
    number = phones.e164_or_none(caller_id)
    return phonebook.staff_by_number(number, active_only=True) if number else None


def locked(staff, now=None):
    return bool(staff.pin_locked_until and staff.pin_locked_until > (now or clock.now()))


def pin_matches(staff, pin, now=None):
    """True only for a staff member (not None) with a PIN, not locked out, keying it.
    Always checks one hash, so every refusal takes as long. Reads only: failures are
    counted by record_failure, in the writer."""
    usable = staff is not None and bool(staff.pin_hash) and not locked(staff, now)
    matches = verify_password(pin or "", staff.pin_hash if usable else _dummy_hash())
    return usable and matches


def record_failure(staff, *, max_failures, lock_minutes, caller="", now=None):
    """One wrong PIN for this staff member; on the max_failures-th in a row the PIN is
    locked for lock_minutes (audited). Returns True when this failure locked it."""
    now = now or clock.now()
    with write_transaction():
        Staff.update(pin_failures=Staff.pin_failures + 1).where(Staff.id == staff.id).execute()
        failures = Staff.select(Staff.pin_failures).where(Staff.id == staff.id).scalar()
        if failures < max_failures:
            return False
        until = now + datetime.timedelta(minutes=lock_minutes)
        Staff.update(pin_failures=0, pin_locked_until=until).where(Staff.id == staff.id).execute()
        audit("ivr", "staff.pin_lockout", f"staff:{staff.badge_no}",
              f"{failures} wrong PINs from {mask_mobile(caller)}; locked {lock_minutes} min")
    log.warning("staff %s: PIN locked for %d min after %d wrong PINs (caller %s)",
                staff.badge_no, lock_minutes, failures, mask_mobile(caller))
    return True


def record_success(staff):
    """The right PIN: the failure count starts again."""
    Staff.update(pin_failures=0).where(Staff.id == staff.id, Staff.pin_failures != 0).execute()


# --- performance ------------------------------------------------------------------------

@dataclass(frozen=True)
class Performance:
    since: datetime.date
    collected_count: int
    collected: Decimal      # premiums received on the staff member's policies
    renewals: Decimal       # of which on policies issued before `since`
    new_count: int          # policies issued since `since`
    new_premium: Decimal    # their premiums


def _cents(column):
    # Sums in whole cents: exact on SQLite (which adds decimals as floats) and PostgreSQL alike.
    return fn.ROUND(column * 100)


def _yuan(cents):
    return (Decimal(round(Decimal(str(cents or 0)))) / 100).quantize(Decimal("0.01"))


def period_starts(today):
    """The first days of today's month and quarter."""
    return today.replace(day=1), today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)


def performance(staff, since, today):
    """The staff member's figures from `since` to `today`, both included (the box's days)."""
    count, collected, renewals = (
        Payment.select(fn.COUNT(Payment.id), fn.SUM(_cents(Payment.amount)),
                       fn.SUM(Case(None, [(Policy.issue_date < since, _cents(Payment.amount))], 0)))
        .join(Policy)
        .where(Policy.agent == staff, Payment.status == "received", Payment.paid_on >= since,
               Payment.paid_on <= today).tuples().get())
    new_count, new_premium = (
        Policy.select(fn.COUNT(Policy.id), fn.SUM(_cents(Policy.premium)))
        .where(Policy.agent == staff, Policy.issue_date >= since, Policy.issue_date <= today).tuples().get())
    return Performance(since, count or 0, _yuan(collected), _yuan(renewals), new_count or 0, _yuan(new_premium))


# --- renewals due and overdue ---------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    policy_no: str
    customer: str           # Customer.masked_name: 张先生 / 李女士 / 王客户
    amount: Decimal
    due_date: datetime.date


def _unpaid_policies(staff, *conditions):
    paid = Payment.select(Payment.id).where(Payment.policy == Policy.id, Payment.status == "received",
                                            Payment.due_date == Policy.next_due_date)
    query = (Policy.select(Policy, Customer).join(Customer, JOIN.INNER, on=(Policy.holder == Customer.id))
             .where(Policy.agent == staff, Policy.status == "in_force", Policy.frequency != "single",
                    Policy.next_due_date.is_null(False), ~fn.EXISTS(paid), *conditions)
             .order_by(Policy.next_due_date, Policy.policy_no))
    return [Due(p.policy_no, p.holder.masked_name, p.premium, p.next_due_date) for p in query]


def renewals_due(staff, today, days=DUE_DAYS):
    """Unpaid renewal premiums of in-force policies due from today to `days` ahead, soonest first."""
    return _unpaid_policies(staff, Policy.next_due_date >= today,
                            Policy.next_due_date <= today + datetime.timedelta(days=days))


def overdue(staff, today):
    """Unpaid premiums of in-force policies whose due date has passed, oldest first."""
    return _unpaid_policies(staff, Policy.next_due_date < today)


def total(items):
    return sum((item.amount for item in items), Decimal("0.00"))


# --- a customer's changed mobile --------------------------------------------------------------

def own_policy(staff, policy_no):
    """The staff member's own policy with this number (with its holder), or None: an agent
    reports only for their own customers, and learns nothing of others' policy numbers."""
    if not policy_no:
        return None
    return (Policy.select(Policy, Customer).join(Customer, on=(Policy.holder == Customer.id))
            .where(Policy.policy_no == policy_no, Policy.agent == staff).first())


def mobile_change_ticket(staff, policy, new_mobile, *, caller="", call_id=None, now=None):
    """Open a mobile-change ticket for the policy's holder (committed); the customer record
    is not touched: the branch confirms with the customer first."""
    number = phones.normalize(new_mobile, "mobile")
    if not phones.is_mobile(number):
        raise InputError.of(N_("{field}: not a mobile number"), field="mobile")
    text = (f"业务员{staff.name}（工号{staff.badge_no}）报告：保单{policy.policy_no}投保人"
            f"{policy.holder.masked_name}的手机号已变更为{number}，请与客户核实后修改。"
            f" / Agent {staff.badge_no} reports that the holder of policy {policy.policy_no} has a new mobile,"
            f" {number}; confirm with the customer before changing it.")
    return tickets.open_ticket("mobile-change", "ivr", number=caller or staff.mobile, customer=policy.holder_id,
                               staff=staff, policy=policy, text=text, call_id=call_id, now=now)
