"""Applying by phone with a premium quote (电话投保·保费试算), the menu action
`phone_application` once products are offered on the phone (a main product with an IVR key
and a rate table; appliance.products.catalogue.phone_products); without any, the plain
phone application of agi/flows.py runs.

The caller picks a product by its key, keys the age and the sum insured (and, when the
product's table needs them, the gender, the term and the payment period), and hears the
premium, spoken exactly to the fen (agi/speech.py). Pressing 1 leaves the application: a
phone-application ticket carrying the product, the quote and the caller's number, with the
quote kept beside it (appliance.products.applications), committed before the caller hears
the ticket number.
"""
import logging

from agi import flows
from appliance import phones
from appliance.errors import InputError
from appliance.ivr.prompt_files import catalogue as prompt_catalogue, fill
from appliance.products import applications, catalogue, premiums

log = logging.getLogger(__name__)

# What a product's table may still need once age and sum insured are keyed: field -> how it is asked.
FOLLOW_UPS = {"term": ("quote_enter_term", 3), "pay_years": ("quote_enter_pay_years", 3)}


def phone_application(node, session):
    offered = catalogue.phone_products()
    if not offered:
        return flows.phone_application(node, session)
    if flows.intro(node, session):
        return
    session.enter(f"{node.name}_product")
    options = [option(session, key, product.name) for key, product in offered.items()]
    key = session.ask_key(["quote_choose_product", *options], "".join(offered) + "*", node.timeout_ms, node.retries)
    if key not in offered:
        return
    product = offered[key]
    quote = ask_quote(node, session, product)
    if quote is None:
        return
    session.call.note(f"quote {product.code}: {quote.total} yuan")
    key = flows.listen(node, session, ["quote_premium", *session.say_money(quote.total)], prompt="quote_apply",
                       keys="19*")
    if key != "1":
        return
    number = caller_number(node, session)
    if number is None:
        return
    ticket = session.write_acknowledged(
        applications.apply_with_quote, quote, product, number=number, customer=session.customer,
        call_id=session.call_id, config=session.config,
        then=lambda t: session.call.note(f"ticket {t.number} (phone-application, {product.code})"))
    flows.tell_ticket(session, ticket, to_number=number)


def option(session, key, name):
    """'安康定期寿险请按1' in the Mandarin voice (product names are Mandarin)."""
    return ("spoken_text", "zh", option_text(session.config, key, name))


def option_text(config, key, name):
    return fill(prompt_catalogue()["quote_product_option"]["zh"], config, text=name, key=key)


def option_texts(config):
    """Every option callers hear now (agi.prompts.warm_names speaks them ahead of the first call)."""
    return [option_text(config, key, product.name) for key, product in catalogue.phone_products().items()]


def ask_number(node, session, prompt, max_digits):
    entry = flows.ask_entry(node, session, prompt, max_digits, lambda d: int(d) if d.isdigit() else None,
                            "invalid_input")
    return None if entry is None else entry[1]


def ask_quote(node, session, product):
    """Age and sum insured, then whatever the product's table still needs; the Quote, or
    None when the caller gave up or the table has no premium for what was keyed."""
    session.enter(f"{node.name}_age")
    age = ask_number(node, session, "quote_enter_age", 3)
    if age is None:
        return None
    session.enter(f"{node.name}_sum")
    sum_insured = ask_number(node, session, "quote_enter_sum", 10)
    if sum_insured is None:
        return None
    values = {"age": age, "sum_insured": sum_insured}
    while True:
        try:
            return premiums.quote(product, **values)
        except InputError as exc:
            asked = ask_missing(node, session, exc.field, values)
            if asked is None:
                log.info("call %s: no quote for %s: %s", session.call.id, product.code, exc)
                session.play("quote_not_priced", escape="")
                return None
            values[exc.field] = asked


def ask_missing(node, session, field, values):
    """Ask for the field a quote still needs (once); None when it is not one to ask for."""
    if field in values:
        return None
    session.enter(f"{node.name}_{field}")
    if field == "gender":
        key = session.ask_key(["quote_choose_gender"], "12", node.timeout_ms, node.retries)
        return {"1": "M", "2": "F"}.get(key)
    if field in FOLLOW_UPS:
        return ask_number(node, session, *FOLLOW_UPS[field])
    return None


def caller_number(node, session):
    """The caller's number, or one they key when theirs is withheld (as flows.service_request)."""
    number = phones.e164_or_none(session.caller_id)
    if number is not None:
        return number
    session.enter(f"{node.name}_number")
    entry = flows.ask_entry(node, session, "enter_phone", 15, phones.e164_or_none, "invalid_number", secret=True)
    return None if entry is None else entry[1]


FLOWS = {"phone_application": phone_application}
