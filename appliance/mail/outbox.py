"""Queueing mails, and which customers get e-mail instead of SMS.

A customer gets a notice, a ticket answer or a "preference" campaign by e-mail when
Customer.channel is 'email' and they have an address; a campaign of channel 'email' goes
to every recipient with an address. The rules are the SMS ones (appliance/services/
optout.py): service notices always go; marketing not to a customer who opted out (the
customer's flag, or their mobile on the opt-out or do-not-disturb list); internal not to
a do-not-disturb mobile. Times too: not_before/not_after from the category's window
(appliance/sms/window.py), and the mailer sends nothing after not_after.

Rows are only written here; appliance/mail/mailer.py sends them.
"""
import logging

from appliance import clock, db as dbmod
from appliance.errors import N_, InputError, Refused
from appliance.mail.compose import Composer
from appliance.mail.models import MailMessage
from appliance.models import Customer, check_email
from appliance.privacy import mask_email
from appliance.services import optout
from appliance.sms.models import CATEGORIES
from appliance.sms.window import next_opening, window_for

log = logging.getLogger(__name__)

BATCH = 200  # rows per INSERT (each row has ~25 columns; SQLite allows 32766 variables)


def mail_address(customer, channel="preference"):
    """The address `customer` is reached at by e-mail on `channel` (a campaign's), or None
    when they go by SMS: 'sms' never, 'email' whenever they have one, 'preference' when
    they chose e-mail."""
    if customer is None or not customer.email or channel == "sms":
        return None
    if channel == "email" or customer.channel == "email":
        return customer.email
    return None


def allowed(customer, category, blocked=None):
    """May a mail of `category` go to `customer`? (the SMS lists: see the module docstring).
    `blocked`: optout.blocked_numbers(category), when checking many."""
    if category == "marketing" and customer.opt_out:
        return False
    if not customer.mobile:
        return True
    if blocked is not None:
        return customer.mobile not in blocked
    return optout.allowed(customer.mobile, category)


def times(config, category, now=None, not_before=None, not_after=None):
    """(not_before, not_after) of a mail queued at `now`: the category's window, as for SMS."""
    now = now or clock.now()
    start = max(now, not_before) if not_before else now
    opening = next_opening(start, window_for(category, config), not_after)
    if opening is None:
        raise InputError.of(N_("{field}: ends before the sending window opens"), field="not_after")
    opens, closes = opening
    return opens or (start if start > now else None), closes


def row(to_address, composed, *, category, kind="", language="zh", not_before=None, not_after=None,
        customer=None, staff=None, policy_no="", campaign_id=None, source="", created_by="",
        dedupe_key=None, priority=5):
    """The MailMessage values of one mail; `composed` is Composer.compose()'s triple."""
    if category not in CATEGORIES:
        raise InputError.of(N_("{field}: must be one of {choices}"), field="category", choices=', '.join(CATEGORIES))
    subject, text, html = composed
    stamp = clock.now()
    return {"to_address": check_email(to_address, "to"), "subject": subject, "text_body": text,
            "html_body": html, "language": language, "category": category, "kind": kind,
            "priority": priority, "not_before": not_before, "not_after": not_after,
            "customer": getattr(customer, "id", customer), "staff": getattr(staff, "id", staff),
            "policy_no": policy_no or "", "campaign_id": campaign_id, "source": source,
            "created_by": created_by, "dedupe_key": dedupe_key, "state": "queued",
            "created_at": stamp, "updated_at": stamp}


def queue_many(rows):
    """Insert rows (from row()) in one transaction per BATCH; a dedupe_key already there is
    skipped (ON CONFLICT DO NOTHING), so a repeated run queues nothing twice."""
    for start in range(0, len(rows), BATCH):
        with dbmod.write_transaction():
            MailMessage.insert_many(rows[start:start + BATCH]).on_conflict_ignore().execute()
    return len(rows)


def queue_one(values):
    """Insert one row; with a dedupe_key already queued the existing mail is returned."""
    with dbmod.write_transaction():
        if values.get("dedupe_key"):
            existing = MailMessage.get_or_none(MailMessage.dedupe_key == values["dedupe_key"])
            if existing is not None:
                return existing
        return MailMessage.create(**values)


def send_to_customer(config, customer, *, template=None, text=None, subject=None, variables=None,
                     category=None, policy_no="", source="cli", created_by="", dedupe_key=None, now=None):
    """Queue one mail to a customer (a template with variables, or a text and a subject)
    after the rules; Refused when they opted out of its category. Returns the MailMessage."""
    if not customer.email:
        raise InputError.of(N_("{field}: the customer has no e-mail address"), field="email")
    composer = Composer(config, template, text=text, category=category, subject=subject)
    if not allowed(customer, composer.category):
        raise Refused.of(N_("{field}: {name} does not take {category} messages (opt-out or do-not-disturb)"),
                         field="to", name=customer.masked_name, category=composer.category)
    values = {"salutation": customer.salutation, "name": customer.name, **(variables or {})}
    not_before, not_after = times(config, composer.category, now)
    mail = queue_one(row(customer.email, composer.compose(values, customer.language),
                         category=composer.category, kind=template or "", language=customer.language,
                         not_before=not_before, not_after=not_after, customer=customer, policy_no=policy_no,
                         source=source, created_by=created_by, dedupe_key=dedupe_key))
    log.info("mail %s queued to %s (customer %s)", mail.id, mask_email(customer.email), customer.id)
    return mail


def by_channel(recipients, channel, category):
    """Split a campaign's recipients (appliance.groups.Recipient) by `channel`:
    (those texted, [(recipient, customer) mailed], how many were skipped: no address on an
    'email' campaign, or opted out of the mail's category)."""
    if channel == "sms":
        return list(recipients), [], 0
    customers = {}
    ids = sorted({r.customer_id for r in recipients if r.customer_id})
    for start in range(0, len(ids), 500):  # bound the IN list
        customers.update((c.id, c) for c in Customer.select().where(Customer.id.in_(ids[start:start + 500])))
    blocked = optout.blocked_numbers(category)
    texted, mailed, skipped, seen = [], [], 0, set()
    for r in recipients:
        customer = customers.get(r.customer_id)
        address = mail_address(customer, channel)
        if address is None:
            if channel == "email" or not r.number:
                skipped += 1
            else:
                texted.append(r)
        elif address in seen or not allowed(customer, category, blocked):
            skipped += 1
        else:
            seen.add(address)
            mailed.append((r, customer))
    return texted, mailed, skipped

