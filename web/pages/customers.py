"""Customers on the admin page: the search (also by the last digits of a mobile or of an
ID number), adding one, and one customer's page: details, policies, the messages sent to
and received from them, their calls, tickets and voice call attempts.

Search by last digits: a B-tree index cannot find a suffix, and a reversed-number column
would need a migration, so a term of 4 to 6 digits (an ID's last may be X) is matched with
LIKE '%1234' over the narrow customer_phone table and over customer.id_number's unique
index (a scan of the index alone); customer itself is only read by rowid. One pass each,
run when the form is sent (no search per keystroke): 7-20 ms for 100,000 customers on
SQLite, measured.
"""
import re

from appliance import phones
from appliance.db import write_transaction
from appliance.errors import N_, InputError
from appliance.ivr.models import Call
from appliance.mail.models import MailMessage
from appliance.models import (
    GENDERS,
    LANGUAGES,
    Customer,
    CustomerPhone,
    Policy,
    Product,
    phone_numbers_of,
)
from appliance.privacy import mask_id_number
from appliance.sms.models import InboundMessage, Message
from appliance.tickets.models import Ticket
from appliance.users import sees
from appliance.voice.models import CallAttempt, VoiceCampaign
from web.pages import page, respond
from web.pages.contacts import describe_changes, get_or_404, save_form, search_page
from web.pages.mail.outbox import STATE_LABELS as MAIL_STATE_LABELS

SUFFIX = re.compile(r"^\d{3,5}[\dX]$")  # the last 4 to 6 characters of a mobile or an ID number
ACTIVITY_LIMIT = 10  # of each kind on a customer's page, newest first
NEW_FIELDS = ("name", "mobile", "id_number", "customer_no", "gender", "region", "language", "email", "channel")
# What the add-customer form says of a refused field, in the page's language, naming it.
FIELD_ERRORS = {
    "name": N_("Name: please enter the customer's name."),
    "mobile": N_("Mobile: {value} is not a valid mobile number."),
    "id_number": N_("ID number: {value} is not a valid 18-character ID number."),
    "birth_date": N_("ID number: {value} is not a valid 18-character ID number."),
    "gender": N_("Gender: choose male, female or unknown."),
    "language": N_("Language: choose Chinese or English."),
}
# How a customer prefers notices (Customer.channel), in words.
CHANNEL_LABELS = {"sms": N_("SMS"), "email": N_("E-mail")}
TAKEN = {"customer_no": N_("Customer no.: {value} belongs to another customer."),
         "id_number": N_("ID number: another customer already has this number.")}


def search_customers(term):
    """The customers a search term finds: a mobile, an ID number, a customer number
    (exact, indexed), the start of a name, or the last 4 to 6 digits of a mobile or
    an ID number (see the module docstring)."""
    query = Customer.select()
    if not term:
        return query
    suffix = term.upper()
    if SUFFIX.match(suffix):
        return query.where((Customer.customer_no == term) | Customer.id.in_(ending_with(suffix)))
    try:
        mobile = phones.normalize(term, "q") if sum(c.isdigit() for c in term) >= 7 else None
    except InputError:
        mobile = None
    conditions = (Customer.name.startswith(term)) | (Customer.customer_no == term) | (
        Customer.id_number == term.upper())
    if mobile:
        conditions |= Customer.id.in_(CustomerPhone.select(CustomerPhone.customer)
                                      .where(CustomerPhone.number == mobile))
    return query.where(conditions)


def ending_with(suffix):
    """Ids of customers with a phone or an ID number ending in `suffix`."""
    by_id = Customer.select(Customer.id).where(Customer.id_number.endswith(suffix))
    if not suffix.isdigit():
        return by_id
    return CustomerPhone.select(CustomerPhone.customer).where(CustomerPhone.number.endswith(suffix)) | by_id


@page("/customers", "view", nav=("Customers", 50))
def customers(ctx):
    return search_page(ctx, "/customers", "customers", ctx._("Customers"), search_customers, Customer.id)


# --- adding one ----------------------------------------------------------------------

@page("/customers/new", "contacts")
def customer_new(ctx, values=None, error=None, status=200):
    body = ctx.render("customer_new", title=ctx._("Add customer"), v=values or {"language": "zh"},
                      genders=GENDERS, languages=LANGUAGES, error=error, channels=CHANNEL_LABELS)
    return respond(body, status)


@page("/customers/new", "contacts", method="POST")
def customer_create(ctx):
    values = {f: ctx.form(f) for f in NEW_FIELDS}
    values["opt_out"] = ctx.form("opt_out") == "1"
    try:
        c = new_customer(values)
        with write_transaction():
            refuse_taken(c)
            c.save()
            ctx.audit("customer.create", f"customer:{c.id}",
                      describe_changes({f: None for f in NEW_FIELDS}, {f: getattr(c, f) for f in NEW_FIELDS}))
    except InputError as exc:
        return customer_new(ctx, values, ctx.error_text(exc), 400)
    ctx.redirect(f"/customers/{c.id}", "ok", ctx._("Customer {name} added.").format(name=c.name))


def new_customer(values):
    """An unsaved Customer from the form, checked (Customer.clean); a refused field is
    an error in the page's language naming it."""
    c = Customer(name=values["name"], mobile=values["mobile"] or None, id_number=values["id_number"] or None,
                 customer_no=values["customer_no"] or None, gender=values["gender"], region=values["region"],
                 language=values["language"] or "zh", opt_out=values["opt_out"], email=values["email"] or None,
                 channel=values["channel"] or "sms")
    try:
        if c.language not in LANGUAGES:
            raise InputError.of(N_("{field}: zh or en"), field="language")
        c.clean()
    except InputError as exc:
        msgid = FIELD_ERRORS.get(exc.field)
        if msgid is None:
            raise
        field = "id_number" if exc.field == "birth_date" else exc.field
        raise InputError.of(msgid, field=field, value=values.get(field, "")) from None
    return c


def refuse_taken(c):
    """A customer number or ID number another customer has: refused, naming the field
    (checked inside the transaction that saves, so two people adding at once cannot both pass)."""
    for field in ("customer_no", "id_number"):
        value = getattr(c, field)
        if value and Customer.select().where(getattr(Customer, field) == value).exists():
            raise InputError.of(TAKEN[field], field=field, value=value)


# --- one customer -----------------------------------------------------------------------

@page("/customers/{customer_id:int}", "view")
def customer(ctx, customer_id, error=None, status=200):
    c = get_or_404(Customer, customer_id)
    policies = list(Policy.select(Policy, Product).join(Product)
                    .where((Policy.holder == c.id) | (Policy.insured == c.id)).order_by(Policy.id).limit(100))
    body = ctx.render("customer", title=c.name, c=c, policies=policies, genders=GENDERS, languages=LANGUAGES,
                      channels=CHANNEL_LABELS, mail_states=MAIL_STATE_LABELS,
                      error=error, activity=activity(c), labels=activity_labels(ctx),
                      ticket_href=ticket_href)
    return respond(body, status)


def activity(c, limit=ACTIVITY_LIMIT):
    """The customer's latest messages sent and received, calls, tickets and voice call
    attempts: rows linked to the customer or to one of their numbers (a row stored before
    the number was known to be theirs has no link), each kind one indexed query."""
    numbers = phone_numbers_of(c)

    def latest(model, link, number_field):
        condition = link == c.id
        if numbers:
            condition |= number_field.in_(numbers)
        return model.select().where(condition).order_by(model.id.desc()).limit(limit)
    attempts = (CallAttempt.select(CallAttempt, VoiceCampaign).join(VoiceCampaign)
                .where((CallAttempt.customer == c.id) | CallAttempt.number.in_(numbers or [""]))
                .order_by(CallAttempt.id.desc()).limit(limit))
    sent = latest(Message, Message.customer, Message.to_number)
    received = latest(InboundMessage, InboundMessage.customer, InboundMessage.from_number).where(
        InboundMessage.state != "deleted")
    messages = [("in", m.received_at, m) for m in received] + [("out", m.created_at, m) for m in sent]
    return {"messages": sorted(messages, key=lambda e: e[1], reverse=True),  # both ways, newest first
            "mails": list(MailMessage.select().where(MailMessage.customer == c.id)
                          .order_by(MailMessage.id.desc()).limit(limit)),
            "calls": list(latest(Call, Call.customer, Call.caller_id)),
            "tickets": list(latest(Ticket, Ticket.customer, Ticket.caller)),
            "attempts": list(attempts)}


def activity_labels(ctx):
    """Every code the activity tables show, in the page's language."""
    from web.pages.reports import OUTCOME_LABELS
    from web.pages.tickets import labels
    from web.pages.voice import ATTEMPT_LABELS, RESULT_LABELS
    return {"outcome": lambda code: ctx._(OUTCOME_LABELS.get(code, code)), "ticket": labels(ctx),
            "attempt": lambda code: ctx._(ATTEMPT_LABELS.get(code, code)),
            "result": lambda code: ctx._(RESULT_LABELS[code]) if code in RESULT_LABELS else ""}


def ticket_href(ticket):
    """The ticket's page (the inbox links there too)."""
    return f"/tickets/{ticket.id}"


CUSTOMER_FIELDS = ("name", "mobile", "region", "language", "opt_out", "gender", "id_number", "email", "channel")


@page("/customers/{customer_id:int}", "contacts", method="POST")
def customer_save(ctx, customer_id):
    def apply(c):
        c.name = ctx.form("name")
        c.mobile = ctx.form("mobile") or None
        c.region = ctx.form("region")
        c.language = ctx.form("language") or "zh"
        c.gender = ctx.form("gender")
        c.opt_out = ctx.form("opt_out") == "1"
        if ctx.form("email") != ctx.email(c.email):  # a masked address shown is left as it is
            c.email = ctx.form("email") or None
        c.channel = ctx.form("channel") or "sms"
        if sees(ctx.role, "id_number") and ctx.form("id_number") and ctx.form("id_number") != mask_id_number(c.id_number):
            # Only roles that see ID numbers may change them (others see them masked).
            c.id_number = ctx.form("id_number")
            c.birth_date = None
        if c.language not in LANGUAGES:
            raise InputError.of(N_("{field}: zh or en"), field="language")
    c = get_or_404(Customer, customer_id)
    return save_form(ctx, c, CUSTOMER_FIELDS, apply, "customer.update", f"customer:{c.id}",
                     lambda error: customer(ctx, customer_id, error=error, status=400), f"/customers/{c.id}")

