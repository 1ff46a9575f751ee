"""A template's variables on the send page: which the admin types once for every
recipient ({date}, {place}…) and which the box fills in itself, and the words that
name them (never the raw {policy_no})."""
from appliance.errors import InputError
from appliance.services import campaigns, templates
from web.pages import N_

# Filled per recipient: appliance.groups.recipients and the send page's number lookup (name,
# salutation, a staff member's badge), a customer's own policy (campaigns.with_policy_facts).
PER_RECIPIENT = ("name", "salutation", "badge_no", *campaigns.POLICY_FACTS)

LABELS = {
    "agent_mobile": N_("Agent's mobile"), "agent_name": N_("Agent's name"), "amount": N_("Amount (yuan)"),
    "answer": N_("Answer"), "badge_no": N_("Badge number"), "branch": N_("Branch name"),
    "claim_no": N_("Claim number"), "client": N_("Client's name"), "code": N_("Code"),
    "colleague": N_("Colleague's name"), "company": N_("Company name"), "date": N_("Date"),
    "department": N_("Department"), "documents": N_("Documents needed"), "due": N_("Due by"),
    "due_date": N_("Due date"), "festival": N_("Festival"), "grace_end": N_("End of the grace period"),
    "hotline": N_("Service hotline"), "kind": N_("Kind"), "limit": N_("Limit"), "lines": N_("Lines of the reply"),
    "maturity_date": N_("Maturity date"), "month_count": N_("Policies this month"),
    "month_premium": N_("Premium this month"), "month_renewal": N_("Renewals this month"),
    "name": N_("Recipient's name"), "number": N_("Phone number"), "paid_on": N_("Paid on"),
    "period": N_("Period"), "place": N_("Place"), "policy_no": N_("Policy number"), "product": N_("Product"),
    "quarter_count": N_("Policies this quarter"), "quarter_premium": N_("Premium this quarter"),
    "question": N_("Question"), "reason": N_("Reason"), "result": N_("Result"),
    "salutation": N_("Salutation (Mr Zhang, Ms Li)"), "score": N_("Score"), "seconds": N_("Seconds"),
    "sender": N_("Sender"), "status": N_("Status"), "step": N_("Step"), "subject": N_("Subject"),
    "sum_assured": N_("Sum assured"), "target": N_("Target"), "text": N_("Text"),
    "ticket_no": N_("Ticket number"), "time": N_("Time"), "topic": N_("Topic"), "topics": N_("Topics"),
}


def label(ctx, name):
    return ctx._(LABELS[name]) if name in LABELS else name


def box_filled(config):
    """The variables the box fills in itself: the company's and each recipient's."""
    return set(templates.common_variables(config)) | set(PER_RECIPIENT)


def fields_by_template(config):
    """{template key: (asked names, box-filled names)}, both sorted; from one listing."""
    auto = box_filled(config)
    out = {}
    for row in templates.listing():
        names = templates.variables_of(row["zh"] or "") | templates.variables_of(row["en"] or "")
        out[row["key"]] = (sorted(names - auto), sorted(names & auto))
    return out


def values_from(ctx, key, placeholders=False):
    """The asked variables' values from the form (fields var_<name>); InputError naming
    the first one left empty, in the page's language; with placeholders (the live
    preview) an empty one shows as [its name] instead."""
    if not key:
        return {}
    asked, _ = fields_by_template(ctx.config).get(key, ((), ()))
    values = {name: ctx.form(f"var_{name}") for name in asked}
    for name in asked:
        if placeholders and not values[name]:
            values[name] = f"[{label(ctx, name)}]"
        if not values[name]:
            raise InputError.of(N_("{label}: fill in this template field"), field=f"var_{name}",
                                label=label(ctx, name))
    return values


def explained(ctx, exc):
    """A render's "no value for variable {x}" for a field the box fills in: said in the
    page's language (a recipient the box has no such value for); other errors as they are."""
    if exc.msgid == templates.NO_VALUE and exc.field in box_filled(ctx.config):
        msgid = N_("{label}: unknown for some recipients (not customers, or no policy in force)")
        return InputError.of(msgid, field=exc.field, label=label(ctx, exc.field))
    return exc
