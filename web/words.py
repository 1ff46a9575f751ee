"""Codes the domain stores, said in words on the pages: audit actions, targets and
details (policy.update, policy:886…, "status in_force -> lapsed") and the like.

The audit log is written by every part of the box in a compact code form, which stays
as it is (scripts and the CLI read it); the page says it in the reader's language.
A code part without words here shows as itself, and tests/web/test_web_no_raw_codes.py
fails on it: add the word below (and its translation in web.po) when adding an action.
"""
import re

from appliance.errors import N_
from web.i18n import CODE_RE

# The parts audit actions and targets are made of (policy.update, import.customers.refused).
PARTS = {
    "policy": N_("Policy"), "customer": N_("Customer"), "staff": N_("Staff member"), "user": N_("User"),
    "token": N_("API token"), "template": N_("Template"), "phrase": N_("Common phrase"),
    "prompt": N_("IVR prompt"), "schedule": N_("Schedule"), "campaign": N_("Campaign"),
    "sms": N_("SMS"), "message": N_("Message"), "inbox": N_("Inbox"), "inbound": N_("Received SMS"),
    "ivr": N_("IVR menu"), "menu": N_("IVR menu"), "group": N_("Group"), "topic": N_("Subscription topic"),
    "keyword": N_("Keyword"), "settings": N_("Settings"), "signin": N_("Sign-in"), "signout": N_("Sign-out"),
    "ticket": N_("Ticket"), "tickets": N_("Tickets"), "department": N_("Department"),
    "voice": N_("Voice campaign"), "voice_campaign": N_("Voice campaign"), "day": N_("Day"),
    "import": N_("Import"), "notice": N_("Notice"), "survey": N_("Survey"), "optout": N_("Opt-out"),
    "dnd": N_("Do-not-disturb"), "payment": N_("Payment"), "claim": N_("Claim"), "mail": N_("E-mail"),
    "requeue": N_("queued again"),
    # what was done
    "create": N_("created"), "update": N_("changed"), "delete": N_("deleted"), "add": N_("added"),
    "remove": N_("removed"), "reset": N_("reset to the default"), "restore": N_("default restored"),
    "send": N_("sent"), "cancel": N_("cancelled"), "pause": N_("paused"), "resume": N_("resumed"),
    "enable": N_("switched on"), "disable": N_("switched off"), "apply": N_("applied"),
    "open": N_("opened"), "assign": N_("assigned"), "start": N_("started"), "answer": N_("answered"),
    "close": N_("closed"), "reopen": N_("reopened"), "return": N_("returned for rework"),
    "note": N_("note added"), "hand_off": N_("handed off"), "refused": N_("refused"),
    "fail": N_("failed"), "locked": N_("locked"), "password": N_("password changed"),
    "reset_password": N_("password reset"), "unlock": N_("unlocked"), "pin": N_("PIN set"),
    "pin_unlock": N_("PIN unlocked"), "forward": N_("forwarded"), "reply": N_("replied"),
    "handled": N_("handled"), "deleted": N_("deleted"), "withheld": N_("withheld"),
    "declare": N_("declared a holiday"), "head": N_("head set"), "upload": N_("uploaded"),
    "record": N_("recorded"), "default": N_("default created"), "set": N_("set"),
    "subscribe": N_("subscribed"), "unsubscribe": N_("unsubscribed"), "revoke": N_("revoked"),
    "customers": N_("customers"), "policies": N_("policies"), "payments": N_("payments"),
    "claims": N_("claims"), "rebuild": N_("rebuild requested"),
    # appliance/products: product.create / .update / .rider_rule, import.rates
    "product": N_("Product"), "rider_rule": N_("rider rule set"), "rates": N_("rate tables"),
}

# The fields changes name ("status in_force -> lapsed"): the pages' own labels.
FIELDS = {
    "status": N_("Status"), "name": N_("Name"), "mobile": N_("Mobile"), "region": N_("Region"),
    "language": N_("Language"), "gender": N_("Gender"), "id_number": N_("ID number"),
    "next_due_date": N_("Next due date"), "premium": N_("Premium"), "role": N_("Role"),
    "disabled": N_("Disabled"), "title": N_("Title"), "prompt": N_("Prompt"), "action": N_("Action"),
    "digit": N_("Key"), "timeout_ms": N_("Timeout (ms)"), "retries": N_("Retries"),
    "fallback": N_("When no key is pressed"), "position": N_("Position"), "enabled": N_("Enabled"),
    "department": N_("Department"), "birth_date": N_("Birth date"), "peer": N_("Other box"),
    "email": N_("E-mail address"), "channel": N_("Notices by"),
}

# The fields a refusal names ("cron: …"), as the forms label them: a Chinese page says
# 定时表达式：… rather than the form field's code (PageContext.error_text). A field not
# listed here (a setting's dotted key, a rarely seen one) stays as it is.
ERROR_FIELDS = {
    "text": N_("Text"), "name": N_("Name"), "category": N_("Category"), "template": N_("Template"),
    "keyword": N_("Keyword"), "code": N_("Code"), "kind": N_("Kind"), "numbers": N_("Numbers"),
    "mobile": N_("Mobile"), "language": N_("Language"), "file": N_("File"), "group": N_("Group"),
    "topic": N_("Topic"), "title": N_("Title"), "prompt": N_("Prompt"), "department": N_("Department"),
    "role": N_("Role"), "username": N_("User name"), "password": N_("Password"), "date": N_("Date"),
    "time": N_("Time"), "question": N_("Question"), "action": N_("Action"), "status": N_("Status"),
    "reason": N_("Reason"), "channel": N_("Channel"), "email": N_("E-mail address"),
    "expires_at": N_("Expires at"), "window": N_("Send window"), "rule_value": N_("Rule value"),
    "rule": N_("Rule"), "description": N_("Description"), "number": N_("Phone number"),
    "customer": N_("Customer"), "ticket": N_("Ticket"), "policy": N_("Policy"), "cron": N_("Cron expression"),
    "to": N_("Send to"), "digit": N_("Keypad key"), "monthday": N_("Day of the month"),
    "region": N_("Region"), "gender": N_("Gender"), "id_number": N_("ID number"), "birth_date": N_("Birth date"),
    "timeout_ms": N_("Timeout (ms)"), "retries": N_("Retries"), "position": N_("Position"),
    "script": N_("Survey questions"), "customers": N_("Customers"), "notice_type": N_("Notice type"),
    "lang": N_("Language"), "key": N_("Template key"), "start": N_("Start time"),
}


def error_field(_, field):
    """A refusal's field in the page's words (cron -> 定时表达式), else as it is."""
    return _(ERROR_FIELDS[field]) if field in ERROR_FIELDS else field


# Fixed English details some callers write.
PHRASES = {
    "no change": N_("no change"), "default menu created": N_("default menu created"),
    "with its sub-menus": N_("with its sub-menus"), "back to the default": N_("back to the default"),
    "PIN set": N_("PIN set"), "PIN unlocked": N_("PIN unlocked"),
    "unknown or disabled": N_("unknown or disabled user"),
    "replacement removed, the default plays again": N_("replacement removed, the default plays again"),
}

CHANGE_RE = re.compile(r"^(?P<field>[a-z_]+) (?P<old>.*?) -> (?P<new>.*)$")
SETTING_RE = re.compile(r"^(?P<field>[a-z_]+)=(?P<value>.*)$")
COUNT_RE = re.compile(r"^(?P<n>\d+) (?P<what>queued|skipped|message\(s\)|member\(s\))$")
COUNTS = {"queued": N_("{n} queued"), "skipped": N_("{n} skipped"), "message(s)": N_("{n} message(s)"),
          "member(s)": N_("{n} member(s)")}


# The problems an import is refused for (appliance/importer.py, phones.py): an audit
# entry holds the first in English, matched back to its msgid to be said in words.
PROBLEMS = ("'{text}' is negative", "'{text}' is not an e-mail address", "'{text}' is not a date (YYYY-MM-DD)", "'{text}' is not an amount",
            "'{text}' is too large (at most {limit})", "already used by another record", "empty",
            "{field}: '{text}' is not a phone number", "{field}: '{text}' is not a valid phone number",
            "{field}: empty phone number")
REFUSED_RE = re.compile(r"^(?P<n>\d+) error\(s\); first: line (?P<line>\d+)"
                        r"(?:, column (?P<column>[A-Z]+) \((?P<header>.*?)\))?: (?P<problem>.*)$")


def _pattern(msgid):
    text = re.escape(msgid.removeprefix("{field}: "))
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.*)", text) + "$")


PROBLEM_PATTERNS = [(msgid, _pattern(msgid)) for msgid in PROBLEMS]


def problem_words(_, message, field=""):
    """An importer's English problem said in the page's language (itself if unknown)."""
    for msgid, pattern in PROBLEM_PATTERNS:
        match = pattern.match(message)
        if match:
            return _(msgid).format(field=field, **match.groupdict())
    return message


def part(_, code):
    return _(PARTS[code]) if code in PARTS else code


def audit_action(_, action):
    """'policy.update' -> 保单 · 已修改 (Policy · changed)."""
    return " · ".join(part(_, p) for p in action.split("."))


def audit_target(_, target):
    """'policy:886010000001' -> 保单 886010000001; other targets as they are."""
    kind, sep, value = (target or "").partition(":")
    if sep and kind in PARTS:
        return f"{_(PARTS[kind])} {value}"
    return target or ""


# Stand-ins the domain writes for a value that has no name (a message typed, not a template's key).
STAND_INS = {"(text)": N_("(the text typed)")}


def value_words(_, value):
    """A stored value: a code in words (in_force -> 有效), anything else as it is."""
    if value in STAND_INS:
        return _(STAND_INS[value])
    return _(value) if CODE_RE.fullmatch(value or "") else value


# Language codes a refusal lists ("one of zh, en"), said as the language's name.
LANGUAGE_CODES = {"zh": N_("Chinese"), "en": N_("English")}


def choice_words(_, choices):
    """A refusal's list of allowed codes ("service, marketing") in words, each as value_words says it."""
    return ", ".join(_(LANGUAGE_CODES[choice]) if choice in LANGUAGE_CODES else value_words(_, choice)
                     for choice in choices.split(", "))


def audit_detail(_, detail):
    """'status in_force -> lapsed, region - -> 福州' -> 状态：有效 → 失效; 地区：- → 福州."""
    if not detail:
        return ""
    if detail in PHRASES:
        return _(PHRASES[detail])
    if REFUSED_RE.match(detail):
        return _detail_piece(_, detail)
    return "; ".join(_detail_piece(_, piece) for piece in detail.split(", "))


def _detail_piece(_, piece):
    for pattern in (CHANGE_RE, SETTING_RE):
        match = pattern.match(piece)
        if match and match["field"] in FIELDS:
            label = _(FIELDS[match["field"]])
            if pattern is CHANGE_RE:
                return _("{field}: {old} → {new}").format(field=label, old=value_words(_, match["old"]),
                                                         new=value_words(_, match["new"]))
            return _("{field}: {value}").format(field=label, value=value_words(_, match["value"]))
    match = REFUSED_RE.match(piece)
    if match:
        where = (_("line {line}, column {column} ({header})") if match["column"] else _("line {line}")).format(
            **match.groupdict())
        return _("{n} error(s); the first: {where}: {problem}").format(
            n=match["n"], where=where, problem=problem_words(_, match["problem"], match["header"] or ""))
    match = COUNT_RE.match(piece)
    if match:
        return _(COUNTS[match["what"]]).format(n=match["n"])
    return _(PHRASES[piece]) if piece in PHRASES else piece


def problem(_, error):
    """An import problem (importer.RowError) in the page's language where the importer
    marked it for translation, else its English words."""
    if getattr(error, "msgid", ""):
        return _(error.msgid).format(**(error.values or {}))
    return error.message


# A modem's SIM and network as smsd stores them (the modem's own words: READY, home).
SIM_STATES = {"READY": N_("Ready"), "SIM PIN": N_("Needs its PIN"), "SIM PUK": N_("Locked (PUK needed)"),
              "NOT INSERTED": N_("No SIM card")}
REGISTRATIONS = {"home": N_("Home network"), "roaming": N_("Roaming"), "searching": N_("Searching for a network"),
                 "denied": N_("Registration denied"), "unknown": N_("Network unknown"),
                 "not registered": N_("Not registered")}


def sim_words(_, code):
    return _(SIM_STATES[code]) if code in SIM_STATES else code


def registration_words(_, code):
    return _(REGISTRATIONS[code]) if code in REGISTRATIONS else code


# ISO weekdays (1 = Monday) as a calendar names them.
WEEKDAYS = {1: N_("Mon"), 2: N_("Tue"), 3: N_("Wed"), 4: N_("Thu"), 5: N_("Fri"), 6: N_("Sat"), 7: N_("Sun")}


def days_words(_, days):
    """ISO weekdays in words: {1,2,3,4,5} -> 周一至周五, {1,3,6,7} -> 周一、周三、周六、周日."""
    runs = []
    for day in sorted(d for d in days if d in WEEKDAYS):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    pieces = []
    for run in runs:
        if len(run) > 2:
            pieces.append(_("{first} to {last}").format(first=_(WEEKDAYS[run[0]]), last=_(WEEKDAYS[run[-1]])))
        else:
            pieces += [_(WEEKDAYS[d]) for d in run]
    text = pieces[0] if pieces else _("no day")
    for piece in pieces[1:]:
        text = _("{days}, {day}").format(days=text, day=piece)
    return text


def bilingual(lang, text):
    """The page's half of a "中文 / English" text (the notice templates' titles)."""
    halves = re.split(r"\s*/\s+", text or "", maxsplit=1)
    return halves[0] if len(halves) == 1 or lang == "zh" else halves[1]
