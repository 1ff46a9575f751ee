"""Letter versus SMS and voice: the renewal notices the box sent in a period, priced at the
letter rate (reports.letter_price) against what they cost the box — SMS parts at their
tariffs (appliance/sms/billing.py), calls at reports.call_price a started minute, e-mails the
relay accepted at reports.mail_price.

A renewal notice is a holder's step of the renewal process (renewal due, overdue, lapse
warning, lapsed, premium received; the agents' copies would never have been letters). An
SMS counts once handed to the network; a voice notice once per campaign and number dialled
in the period (retries cost minutes, not letters)."""
from decimal import Decimal

from appliance.errors import N_
from appliance.reports import channels
from appliance.reports.period import money
from appliance.services.notices import AGENT_STEPS
from appliance.sms import billing

RENEWAL_KINDS = AGENT_STEPS
CHANNEL_LABELS = {"sms": N_("SMS"), "voice": N_("Voice call"), "email": N_("E-mail"), "total": N_("Total")}
COLUMNS = [("channel", N_("Channel"), CHANNEL_LABELS), ("notices", N_("Renewal notices"), None),
           ("units", N_("SMS parts, call minutes or e-mails"), None), ("cost", N_("Cost (CNY)"), None),
           ("letter_cost", N_("As letters (CNY)"), None), ("saving", N_("Saved (CNY)"), None)]


def compare(notices, box_cost, letter_price):
    """(cost as letters, saving) of `notices` that cost the box `box_cost`, all Decimal."""
    letters = money(Decimal(notices) * Decimal(str(letter_price)))
    return letters, money(letters - money(box_cost))


def _row(channel, notices, units, cost, letter_price):
    letters, saving = compare(notices, cost, letter_price)
    return {"channel": channel, "notices": notices, "units": units, "cost": money(cost),
            "letter_cost": letters, "saving": saving}


def report(config, rng):
    """The comparison over the Range `rng`: a row per channel and the total."""
    billing.charge_parts(config)  # parts sent since the last statement get their price first
    letter_price = channels.price(config, "reports.letter_price")
    parts, sms_cost = channels.sms_cost(RENEWAL_KINDS, rng.start, rng.end)
    calls = channels.voice_notices(RENEWAL_KINDS, rng.start, rng.end)
    minutes = sum(channels.call_minutes(a[5]) for a in calls)
    mails = channels.mail_notices(RENEWAL_KINDS, rng.start, rng.end)
    notices = channels.sms_notice_count(RENEWAL_KINDS, rng.start, rng.end)
    rows = [_row("sms", notices, parts, sms_cost, letter_price),
            _row("voice", len({(a[0], a[2]) for a in calls}), minutes, channels.call_cost(config, minutes),
                 letter_price),
            _row("email", len(mails), len(mails), channels.mail_cost(config, len(mails)), letter_price)]
    total = _row("total", sum(r["notices"] for r in rows), sum(r["units"] for r in rows),
                 sum((r["cost"] for r in rows), Decimal(0)), letter_price)
    return {"name": "letters", "from": str(rng.first), "to": str(rng.last), "letter_price": money(letter_price),
            "call_price": channels.price(config, "reports.call_price"),
            "mail_price": channels.price(config, "reports.mail_price"),
            "tables": [{"name": "letters", "title": N_("Renewal notices: letters against SMS and calls"),
                        "columns": COLUMNS, "rows": rows + [total]}]}
