"""Identity checks by phone: policyholder verification with lockout, and
agent identity checks (业务员身份鉴别), each logged.

A caller proves they may hear a policy by keying the last 6 characters of the
holder's ID number (an 'X' check character is keyed as '*' or '0' on a phone
pad, both accepted). Repeated failures lock that policy out of the IVR for a
while and raise an alert ticket for staff; a success clears the count.
"""
import datetime
import logging

from appliance import clock
from appliance.db import write_transaction
from appliance.ivr import tickets
from appliance.ivr.models import AgentCheck, PolicyLockout
from appliance.models import audit
from appliance.privacy import mask_mobile

log = logging.getLogger(__name__)


def last6_matches(id_number, keyed):
    """Do the keyed digits match the last 6 characters of the ID number?"""
    if not id_number or not keyed or len(keyed) != 6:
        return False
    expected = id_number[-6:].upper()
    keyed = keyed.upper()
    if expected.endswith("X") and keyed[-1] in "*0X":
        return keyed[:5] == expected[:5]
    return keyed == expected


def locked_until(policy, now=None):
    """When the policy's lockout ends, or None when it is not locked out."""
    row = PolicyLockout.get_or_none(PolicyLockout.policy == policy)
    now = now or clock.now()
    if row and row.locked_until and row.locked_until > now:
        return row.locked_until
    return None


def record_failure(policy, caller, *, max_failures=3, lock_minutes=60, call_id=None, now=None):
    """Count one failed verification; on the max_failures-th, lock the policy out
    and open an alert ticket. Returns (locked, failures)."""
    now = now or clock.now()
    with write_transaction():
        row, _ = PolicyLockout.get_or_create(policy=policy)
        row.failures += 1
        row.last_failure_at = now
        row.last_caller = caller or ""
        locked = row.failures >= max_failures
        failures = row.failures
        if locked:
            row.locked_until = now + datetime.timedelta(minutes=lock_minutes)
            row.failures = 0
        row.save()
        if locked:
            audit("ivr", "policy.ivr_lockout", f"policy:{policy.id}",
                  f"{failures} failed verifications from {mask_mobile(caller)}; locked {lock_minutes} min")
    if locked:
        log.warning("policy %s locked out of the IVR after %d failed verifications (caller %s)",
                    policy.policy_no, failures, mask_mobile(caller))
        tickets.open_ticket("alert", "ivr", number=caller, customer=policy.holder_id, policy=policy,
                            call_id=call_id,
                            text=f"保单 {policy.policy_no} 电话验证连续失败 {failures} 次，已锁定 {lock_minutes} 分钟。"
                                 f" / Policy locked out of the IVR after {failures} failed verifications.")
    return locked, failures


def record_success(policy):
    """A correct verification clears the failure count."""
    PolicyLockout.update(failures=0).where(PolicyLockout.policy == policy).execute()


def log_agent_check(caller, badge_no, staff, call_id=None):
    """Log one agent identity check; returns the AgentCheck."""
    result = staff.status if staff is not None else "unknown"
    return AgentCheck.create(caller=caller or "", badge_no=badge_no, staff=staff, result=result,
                             call_id=call_id)
