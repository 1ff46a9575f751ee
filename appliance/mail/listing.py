"""The mail outbox as people and scripts read it: `appliance mail list`, the /mail page,
the API (an event for a customer who prefers e-mail answers with one of these)."""
from peewee import JOIN

from appliance.errors import N_, InputError
from appliance.mail.models import MAIL_STATES, MailMessage
from appliance.models import Customer
from appliance.privacy import mask_email


def as_dict(mail, mask=True):
    """A mail without its bodies; the address masked unless `mask` is False."""
    return {"id": mail.id, "channel": "email",
            "to_address": mask_email(mail.to_address) if mask else mail.to_address,
            "subject": mail.subject, "state": mail.state, "category": mail.category, "kind": mail.kind,
            "customer_id": mail.customer_id, "policy_no": mail.policy_no, "campaign_id": mail.campaign_id,
            "not_before": mail.not_before, "not_after": mail.not_after, "created_at": mail.created_at,
            "sent_at": mail.sent_at, "attempts": mail.attempts, "smtp_code": mail.smtp_code,
            "failure_reason": mail.failure_reason, "source": mail.source, "created_by": mail.created_by}


def listing(state=None, customer_id=None, limit=100, offset=0, mask=True):
    """The newest mails first, optionally of one state or one customer."""
    query = MailMessage.select(MailMessage, Customer).join(Customer, JOIN.LEFT_OUTER)
    if state:
        if state not in MAIL_STATES:
            raise InputError.of(N_("{field}: must be one of {choices}"), field="state", choices=', '.join(MAIL_STATES))
        query = query.where(MailMessage.state == state)
    if customer_id:
        query = query.where(MailMessage.customer == customer_id)
    rows = query.order_by(MailMessage.id.desc()).limit(limit).offset(offset)
    return [dict(as_dict(m, mask), customer=m.customer.name if m.customer_id else "") for m in rows]
