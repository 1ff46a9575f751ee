"""schemathesis hooks for test_web_api_schemathesis (loaded through SCHEMATHESIS_HOOKS).

ST202 (a schema-valid request refused) is checked, but for the 400s of the rules
JSON Schema cannot state, which the document names in each operation's 400
description (web.api.services REFUSED, NOT_A_PHONE): a phone number that is not a
valid one, an ID number's check digit or birth date, a birth date other than the ID
number's, a field required to create a record left out of a PUT when the record does
not exist yet, a reference to a record that does not exist, a value another record
has. Only those exact refusals are dropped; any other 400 to a schema-valid request
is still a failure.
"""
import json
import re

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

BEYOND_THE_SCHEMA = [re.compile(pattern) for pattern in (
    r"^\w+: '[^']*' is not a (valid )?phone number$",
    r"^\w+: empty phone number$",
    r"^email: '.*' is not an e-mail address$",  # email-validator's check (REFUSED: customers)
    r"^id_number: ID number (fails its checksum|holds an impossible birth date)",
    r"^birth_date: \S+ differs from the ID number's ",
    r"^\w+: no (customer|policy) .* \(import (customers|policies) first\)$",
    r"^agent_badge: no staff member with badge ",
    r"^\w+: already used by another record$",
    # POST /messages: a text is a template; its braces must name known variables given values
    r"^text: bad braces in template ",
    r"^text: unknown variable \{",
    r"^template \(text\): ",
    # POST /voice/campaigns (web/api/voice.py REFUSED): rules across fields, and a customer's facts
    r"^customers: a \w+ notice speaks customers' facts: give customers, not numbers$",
    r"^customers: a return visit calls customers about their policies$",
    r"^notice_type: only a notice campaign has a notice type$",
    r"^script: a survey needs its questions$",
    r"^script\[\d+\]\.options: question \d+: (only a choice has options|a choice needs 2 to \d+ options)",
    r"^customers\[\d+\]: .* (holds no policy|cannot be said|has no claim)",
    r"^window: '[^']*' (is not a time range|is not a time of day|ends before it starts)",
    r"^window: time ranges overlap in ",
    # POST /tickets/{number}/assign (web/api/tickets.py NO_DEPARTMENT): a department or person that does not exist
    r"^department: (no department .+|name a department or a person to assign the ticket to)$",
    r"^assignee: no user ",
    r"^line_group: no line group \S+ in voice\.line_groups ",
    # GET /tickets/figures[.csv] (web/api/ticket_figures.py REFUSED): the range from..to
    r"^from: \S+ is after the last day \(\S+\)$",
    r"^from: at most \d+ weeks or months at a time$",
    # GET /reports/* (web/api/reports.py REFUSED): the range from..to
    r"^from: at most \d+ days at a time$",
    # POST /products/quote (web/api/products.py REFUSED): what the product's rate table needs
    r"^(riders\[\d+\]\.)?sum_insured: (must be an amount in yuan above 0|required|must be whole units of )",
    r"^gender: required \(the rates differ for men and women\)$",
    r"^(term|pay_years): required, one of ",
    r"^riders\[\d+\]\.product: \S+ is given twice$",
)]
REQUIRED_TO_CREATE = re.compile(r"^\w+: required$")  # only a PUT (an upsert) may leave one out


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but ST202 for a refusal the document names as beyond it."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 400:
        return True
    try:
        message = json.loads(response.text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return True
    if case.method.upper() == "PUT" and REQUIRED_TO_CREATE.match(message):
        return message.split(":")[0] in (case.body or {})  # left out: dropped
    return not any(pattern.search(message) for pattern in BEYOND_THE_SCHEMA)
