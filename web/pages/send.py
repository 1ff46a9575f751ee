"""Sending SMS: to one or a few numbers, or to a group; own text (common phrases
can be inserted) or a template, with a field for each of its variables the box
cannot fill in itself (web/template_fields.py); a live preview of the text,
its part count and cost (POST /send/preview).

A send to several recipients is confirmed first: the page shows the first
recipient's text, the count after opt-outs and do-not-disturb, parts and cost, and
queues nothing until the confirmation comes back (confirmed=1); Back returns to
the form with everything typed kept."""
import re

import bottle

from appliance import clock, phones
from appliance.errors import InputError
from appliance.models import ContactGroup, Customer, audit
from appliance.privacy import mask_mobile  # the audit log never holds a full mobile
from appliance.services import phrases, templates
from appliance.sms.models import CATEGORIES
from web import template_fields, words
from web.api import json_response
from web.pages import N_, page, respond

MAX_NUMBERS = 200  # more than this is a campaign: use a group


def domain():
    """The messaging services (imported late: they are optional parts of the box)."""
    from appliance import groups
    from appliance.services import campaigns, sending
    from appliance.sms import text as sms_text
    return campaigns, groups, sending, sms_text


def template_choices(ctx):
    """[(key, title)]: a default's "中文 / English" title in the page's language."""
    return [(t["key"], words.bilingual(ctx.lang, t["title"]) or t["key"]) for t in templates.listing()]


def parse_numbers(text):
    numbers = [n for n in re.split(r"[,;，；、\r\n]+", text or "") if n.strip()]
    if not numbers:
        raise InputError.of(N_("{field}: give at least one number"), field="to")
    if len(numbers) > MAX_NUMBERS:
        raise InputError.of(N_("{field}: at most {MAX_NUMBERS} numbers; use a group for more"),
                            field="to", MAX_NUMBERS=MAX_NUMBERS)
    out = []
    for n in numbers:
        e164 = phones.normalize(n, "to")
        if e164 not in out:
            out.append(e164)
    return out


def recipients_of(ctx):
    """(recipients, group or None) from the form; with a template, each customer's own
    policy facts (a product group's: the policy of that product)."""
    recipients, group = people_of(ctx)
    if ctx.form("template"):
        product = group.rule_value if group is not None and (group.kind, group.rule) == ("customer", "product") \
            else None
        domain()[0].with_policy_facts(ctx.config, recipients, product)
    return recipients, group


def people_of(ctx):
    groups = domain()[1]
    if ctx.form("mode") == "group":
        group_id = ctx.form("group")
        if not group_id.isdigit():
            raise InputError.of(N_("{field}: choose a group"), field="group")
        group = groups.get_group(int(group_id))
        return groups.recipients(group, with_email=channel_of(ctx) != "sms"), group
    recipients = []
    by_mobile = {c.mobile: c for c in Customer.select().where(Customer.mobile.in_(parse_numbers(ctx.form("to"))))}
    for number in parse_numbers(ctx.form("to")):
        customer = by_mobile.get(number)
        # A number the box does not know is greeted as "customer" (客户), so a template still renders.
        unknown = templates.word("generic", "customer")
        variables = ({"name": customer.name, "salutation": customer.salutation} if customer
                     else {"name": unknown, "salutation": unknown})
        recipients.append(groups.Recipient(number, customer.language if customer else "zh",
                                           customer_id=customer.id if customer else None, variables=variables))
    return recipients, None


def message_source(ctx):
    """(template key or None, text or None, category)."""
    category = ctx.form("category") or None
    if category and category not in CATEGORIES:
        raise InputError.of(N_("{field}: must be one of {choices}"), field="category", choices=', '.join(CATEGORIES))
    key = ctx.form("template")
    if key:
        return key, None, category
    text = bottle.request.forms.getunicode("text") or ""
    if not text.strip():
        raise InputError.of(N_("{field}: empty"), field="text")
    return None, text, category or "service"


FORM_FIELDS = ("mode", "to", "group", "template", "category", "name", "department", "channel")
# How a group send reaches people (appliance/services/campaigns.py, appliance/mail/outbox.py).
CHANNEL_LABELS = {"sms": N_("SMS"), "email": N_("E-mail (everyone with an address)"),
                  "preference": N_("Each customer's preference")}


def channel_of(ctx):
    """The group send's channel (numbers typed in always go by SMS); InputError naming it."""
    if ctx.form("mode") != "group":
        return "sms"
    return domain()[0].check_channel(ctx.form("channel") or "sms")


def form_values(ctx):
    """What was typed, to show again (Back, an error) or to carry through the confirmation."""
    values = {name: ctx.form(name) for name in FORM_FIELDS}
    values["text"] = bottle.request.forms.getunicode("text") or ""
    values.update({k: ctx.form(k) for k in bottle.request.forms if k.startswith("var_")})
    return values


def render_form(ctx, values, error=None, status=200):
    fields = template_fields.fields_by_template(ctx.config)
    body = ctx.render("send", title=ctx._("Send SMS"), groups=list(ContactGroup.select().order_by(ContactGroup.name)),
                      templates=template_choices(ctx), categories=CATEGORIES, values=values, error=error,
                      fields=fields, asked=sorted({n for asked, _ in fields.values() for n in asked}),
                      auto=sorted({n for _, auto in fields.values() for n in auto}),
                      label=lambda name: template_fields.label(ctx, name), phrases=phrases.listing(),
                      channels=CHANNEL_LABELS)
    return respond(body, status)


@page("/send", "send", nav=("Send SMS", 20))
def send_form(ctx):
    return render_form(ctx, {"mode": ctx.query("mode") or "single", "to": ctx.query("to"),
                             "template": ctx.query("template"), "text": ""})


@page("/send/back", "send", method="POST")
def send_back(ctx):
    """From the confirmation back to the form, everything typed kept."""
    return render_form(ctx, form_values(ctx))


@page("/send/preview", "send", method="POST")
def send_preview(ctx):
    campaigns, _, _, sms_text = domain()
    result = {"text": "", "parts": 0, "units": 0, "encoding": "", "recipients": 0, "cost": "0", "error": ""}
    try:
        key, text, category = message_source(ctx)
        recipients, _ = recipients_of(ctx)
        preview = campaigns.preview(ctx.config, recipients, template_key=key, text=text, category=category,
                                    extra=template_fields.values_from(ctx, key, placeholders=True), samples=1)
        sample = preview["samples"][0]["text"] if preview["samples"] else (text or "")
        shape = sms_text.preview(sample) if sample else {"parts": 0, "units": 0, "encoding": ""}
        result.update(text=sample, parts=shape["parts"], units=shape["units"], encoding=shape["encoding"],
                      recipients=preview["recipients"], cost=f"¥{preview['cost']:.2f}")
        if preview["skipped"]:
            result["error"] = ctx._("{n} recipient(s) skipped (opted out or duplicate).").format(n=preview["skipped"])
    except InputError as exc:
        text = bottle.request.forms.getunicode("text") or ""
        if text:
            shape = sms_text.preview(text)
            result.update(text=text, parts=shape["parts"], units=shape["units"], encoding=shape["encoding"])
        if text.strip() or exc.field != "text":  # nothing typed yet is not an error to show
            result["error"] = ctx.error_text(template_fields.explained(ctx, exc))
    return json_response(200, result)


@page("/send", "send", method="POST")
def send(ctx):
    try:
        key, text, category = message_source(ctx)
        extra = template_fields.values_from(ctx, key)
        recipients, group = recipients_of(ctx)
        if group is None and len(recipients) == 1:  # the rules of `appliance send` and the API
            send_one(ctx, recipients[0], key, text, category, extra)
        if ctx.form("confirmed") != "1":
            return confirmation(ctx, recipients, group, key, text, category, extra)
        send_bulk(ctx, recipients, group, key, text, category, extra)
    except InputError as exc:
        return render_form(ctx, form_values(ctx), ctx.error_text(template_fields.explained(ctx, exc)), 400)


def send_one(ctx, r, key, text, category, extra):
    sending = domain()[2]
    message = sending.send_one(ctx.config, r.number, text, template=key, variables={**r.variables, **extra},
                               language=r.language, category=category, source="web",
                               created_by=ctx.user.username, customer=r.customer_id)
    audit(ctx.user.username, "sms.send", f"message:{message.id}",
          f"to {mask_mobile(r.number)}, {message.part_count} part(s)", ctx.source)
    ctx.redirect(f"/history/{message.id}", "ok", ctx._("Message queued."))


def confirmation(ctx, recipients, group, key, text, category, extra):
    """The step before a bulk send: what the first recipient reads, how many, parts, cost
    (of the SMS; those mailed are counted apart)."""
    from appliance.mail import outbox as mail_outbox
    campaigns = domain()[0]
    preview = campaigns.preview(ctx.config, recipients, template_key=key, text=text, category=category,
                                extra=extra, samples=1)
    mailed = 0
    if channel_of(ctx) != "sms" and preview["recipients"]:
        texted, by_mail, skipped = mail_outbox.by_channel(recipients, channel_of(ctx), preview["category"])
        sms = campaigns.preview(ctx.config, texted, template_key=key, text=text, category=category, extra=extra,
                                samples=1)
        mailed = len(by_mail)
        preview = dict(preview, recipients=sms["recipients"] + mailed, skipped=sms["skipped"] + skipped,
                       parts=sms["parts"], cost=sms["cost"], pace=sms["pace"])
    if not preview["recipients"]:
        field = "group" if group else "to"
        raise InputError.of(N_("{field}: nobody to send to (every number opted out or listed twice)"), field=field)
    sample = preview["samples"][0]
    return ctx.render("send_confirm", title=ctx._("Confirm the bulk send"), preview=preview, sample=sample,
                      sample_to=ctx.mobile(sample["to"]), cost=f"¥{preview['cost']:.2f}", values=form_values(ctx),
                      group=group, mailed=mailed, pace=pace_text(ctx, preview["pace"]))


PACE = N_("Today {today} message(s) ({today_parts} parts) fit the capacity left; {later} ({later_parts} parts) go on the following days; {not_going} ({not_going_parts} parts) will not go before the campaign ends.")


def pace_text(ctx, pace):
    """A paced campaign's numbers in words (appliance/services/campaign_pacing.py); '' unpaced."""
    return ctx._(PACE).format(**pace) if pace["paced"] else ""


def send_bulk(ctx, recipients, group, key, text, category, extra):
    campaigns = domain()[0]
    name = ctx.form("name") or f"{ctx.user.username} {clock.format(clock.now())}"
    campaign = campaigns.send(ctx.config, name, recipients, template_key=key, text=text, category=category,
                              group=group, extra=extra, created_by=ctx.user.username,
                              department=ctx.form("department"), source="web", channel=channel_of(ctx))
    audit(ctx.user.username, "sms.send_bulk", f"campaign:{campaign.id}",
          f"{campaign.queued} queued, {campaign.skipped} skipped" + (f", group {group.name}" if group else ""),
          ctx.source)
    if campaign.pending:
        ctx.redirect("/campaigns", "ok", ctx._("{n} message(s) queued, {s} skipped; {p} wait for the following days.")
                     .format(n=campaign.queued, s=campaign.skipped, p=campaign.pending))
    ctx.redirect("/campaigns", "ok", ctx._("{n} message(s) queued, {s} skipped.").format(
        n=campaign.queued, s=campaign.skipped))
