"""Read-only questions the self-service flows ask the database.

Kept in the domain so the IVR, SMS keyword replies and the admin page answer
them the same way.
"""
from appliance import phones
from appliance.models import Claim, Customer, Payment, Policy, Product, Staff


def policy_by_number(policy_no):
    """The policy with this number (with its product and holder), or None."""
    if not policy_no:
        return None
    return (Policy.select(Policy, Product, Customer)
            .join(Product).switch(Policy).join(Customer, on=(Policy.holder == Customer.id))
            .where(Policy.policy_no == policy_no).first())


def policies_for_caller(caller_id, limit=8):
    """Policies held by the customer whose mobile is this caller ID, in-force first."""
    number = phones.e164_or_none(caller_id)
    if number is None:
        return []
    query = (Policy.select(Policy, Product, Customer)
             .join(Product).switch(Policy).join(Customer, on=(Policy.holder == Customer.id))
             .where(Customer.mobile == number)
             .order_by((Policy.status != "in_force"), Policy.policy_no))
    return list(query.limit(limit))


def verify_holder_id(policy, last6):
    """Do these 6 keyed characters match the end of the holder's ID number?"""
    from appliance.ivr.verification import last6_matches
    return last6_matches(policy.holder.id_number, last6)


def last_payment(policy):
    """The most recent received payment of a policy, or None."""
    return (Payment.select().where(Payment.policy == policy, Payment.status == "received")
            .order_by(Payment.paid_on.desc(), Payment.id.desc()).first())


def claim_by_number(claim_no):
    return Claim.select(Claim, Policy).join(Policy).where(Claim.claim_no == claim_no).first()


def claims_for_policy(policy_no, limit=3):
    """The newest claims of a policy."""
    return list(Claim.select(Claim, Policy).join(Policy).where(Policy.policy_no == policy_no)
                .order_by(Claim.reported_on.desc(), Claim.id.desc()).limit(limit))


def claim_status(number):
    """Claims for a claim number or a policy number (newest first); [] when none."""
    claim = claim_by_number(number)
    if claim is not None:
        return [claim]
    return claims_for_policy(number)


def agent_by_badge(badge_no):
    """The staff member with this badge (工号), whatever their status, or None."""
    if not badge_no:
        return None
    return Staff.get_or_none(Staff.badge_no == badge_no)
