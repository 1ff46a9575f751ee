"""Auto-reply keywords: what a texted code means and the answer it gets.

Defaults: customers text CX (policies and next due dates), JF (recent
payments), LP (claim status), GD + a ticket number (its state; GD alone lists
theirs: appliance/tickets/status_query.py); staff text YJ (month and quarter performance);
DY / QXDY + topic (un)subscribe; 退订, TD or T opt out of marketing. Admins add
keywords (a code that answers with a template) or switch defaults off in the
Keyword table.

Personal data only ever goes to the mobile registered for that person: the
answer is built from the customers (or staff) whose `mobile` IS the sender's
number, never from other numbers on file.
"""
import unicodedata

from appliance import clock, phonebook
from appliance.errors import N_, InputError, NotFound
from appliance.ivr import staff_access
from appliance.models import Claim, Payment, Policy, Product
from appliance.services import templates
from appliance.services.models import KEYWORD_ACTIONS, Keyword
from appliance.services.notices import format_amount, format_date
from appliance.services.templates import Renderer, word
from appliance.tickets import status_query

DEFAULT_KEYWORDS = {"CX": "policies", "JF": "payments", "LP": "claims", "YJ": "performance",
                    "DY": "subscribe", "QXDY": "unsubscribe", "退订": "optout", "TD": "optout", "T": "optout",
                    "GD": "ticket_status"}
TAKES_ARGUMENT = ("subscribe", "unsubscribe", "ticket_status")  # 'DY TJ', 'DYTJ', 'QXDY 体检', 'GD 2611300004'
# An argument that is not of this shape is no keyword: "GDP…" is a message for staff.
ARGUMENT_SHAPES = {"ticket_status": lambda argument: status_query.keyed_number(argument).isdigit()}
MAX_LINES = 5  # keep an answer to two or three SMS parts
TRAILING = " \t\r\n。.!！?？,，;；"


def normalize(text):
    """Full-width to ASCII (ＣＸ -> CX), trimmed, upper case."""
    return unicodedata.normalize("NFKC", text or "").strip().strip(TRAILING).upper()


def keyword_table():
    """{KEYWORD: (action, template_key)}: the defaults, overridden by the Keyword table."""
    table = {k: (action, "") for k, action in DEFAULT_KEYWORDS.items()}
    for row in Keyword.select():
        if row.enabled:
            table[row.keyword] = (row.action, row.template_key)
        else:
            table.pop(row.keyword, None)
    return table


def match(text):
    """(keyword, action, template_key, argument) for a texted code, or None."""
    body = normalize(text)
    table = keyword_table()
    if body in table:
        return (body, *table[body], "")
    for keyword in sorted(table, key=len, reverse=True):  # QXDY before DY
        action, template_key = table[keyword]
        if action in TAKES_ARGUMENT and body.startswith(keyword) and len(body) > len(keyword):
            argument = body[len(keyword):].strip()
            if ARGUMENT_SHAPES.get(action, bool)(argument):
                return keyword, action, template_key, argument
    return None


def set_keyword(keyword, action, template_key="", enabled=True):
    keyword = normalize(keyword)
    if not keyword or " " in keyword:
        raise InputError.of(N_("{field}: one word, got {keyword!r}"), field="keyword", keyword=keyword)
    if action not in KEYWORD_ACTIONS:
        raise InputError.of(N_("{field}: must be one of {choices}"), field="action", choices=', '.join(KEYWORD_ACTIONS))
    if action == "reply" and not template_key:
        raise InputError.of(N_("{field}: a 'reply' keyword needs a template"), field="template")
    if template_key:
        try:
            templates.get(template_key)
        except NotFound:
            raise InputError.of(N_("{field}: no template named {key}"), field="template",
                                key=template_key) from None
    row, created = Keyword.get_or_create(keyword=keyword, defaults={"action": action,
                                                                    "template_key": template_key,
                                                                    "enabled": enabled})
    if not created:
        row.action, row.template_key, row.enabled = action, template_key, enabled
        row.save()
    return row


def listing():
    edited = {k.keyword: k for k in Keyword.select()}
    rows = []
    for keyword in sorted(set(DEFAULT_KEYWORDS) | set(edited)):
        row = edited.get(keyword)
        rows.append({"keyword": keyword,
                     "action": row.action if row else DEFAULT_KEYWORDS[keyword],
                     "template": row.template_key if row else "",
                     "enabled": row.enabled if row else True,
                     "default": keyword in DEFAULT_KEYWORDS})
    return rows


# --- answers ---------------------------------------------------------------------------


def _lines(config, key, items, language):
    renderer = Renderer(key, config)
    return ("；" if language == "zh" else "; ").join(renderer.render(v, language) for v in items)


def answer_policies(config, customers, language):
    policies = (Policy.select(Policy, Product).join(Product)
                .where(Policy.holder.in_([c.id for c in customers]),
                       Policy.status.in_(("in_force", "lapsed")))
                .order_by(Policy.next_due_date.asc(nulls="last")).limit(MAX_LINES))
    items = [{"policy_no": p.policy_no, "product": p.product.name,
              "status": word("policy_status", p.status, language),
              "due_date": format_date(p.next_due_date, language) or "-",
              "amount": format_amount(p.premium)} for p in policies]
    if not items:
        return "reply_none", {}
    return "reply_policies", {"lines": _lines(config, "reply_policy_line", items, language)}


def answer_payments(config, customers, language):
    payments = (Payment.select(Payment, Policy).join(Policy)
                .where(Policy.holder.in_([c.id for c in customers]))
                .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(MAX_LINES))
    items = [{"paid_on": format_date(p.paid_on, language), "policy_no": p.policy.policy_no,
              "amount": format_amount(p.amount), "status": word("payment_status", p.status, language)}
             for p in payments]
    if not items:
        return "reply_none", {}
    return "reply_payments", {"lines": _lines(config, "reply_payment_line", items, language)}


def answer_claims(config, customers, language):
    claims = (Claim.select(Claim, Policy).join(Policy)
              .where(Policy.holder.in_([c.id for c in customers]))
              .order_by(Claim.reported_on.desc(), Claim.id.desc()).limit(MAX_LINES))
    items = [{"claim_no": c.claim_no, "policy_no": c.policy.policy_no,
              "status": word("claim_status", c.status, language)} for c in claims]
    if not items:
        return "reply_none", {}
    return "reply_claims", {"lines": _lines(config, "reply_claim_line", items, language)}


def performance(staff, now=None):
    """New policies and premium this month and quarter, renewals collected this month:
    the figures the IVR's staff line speaks (appliance/ivr/staff_access.py), one definition."""
    today = clock.today(now)  # the box's day
    month_start, quarter_start = staff_access.period_starts(today)
    month = staff_access.performance(staff, month_start, today)
    quarter = staff_access.performance(staff, quarter_start, today)
    return {"name": staff.name, "month_count": month.new_count, "month_premium": format_amount(month.new_premium),
            "month_renewal": format_amount(month.renewals), "quarter_count": quarter.new_count,
            "quarter_premium": format_amount(quarter.new_premium)}


QUERIES = {"policies": answer_policies, "payments": answer_payments, "claims": answer_claims}


def answer_query(config, action, number, now=None):
    """(template key, variables, language) answering a query keyword from `number`."""
    if action == "performance":
        staff = phonebook.staff_by_number(number, active_only=True)
        if staff is None:
            return "reply_not_registered", {}, "zh"
        return "reply_performance", performance(staff, now), "zh"
    customers = phonebook.customers_by_number(number, registered_mobile=True)
    if not customers:
        return "reply_not_registered", {}, "zh"
    language = customers[0].language
    key, variables = QUERIES[action](config, customers, language)
    return key, variables, language
