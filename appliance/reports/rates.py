"""Delivery and answer rates over time, per day or ISO week of the box's calendar: the SMS
handed to the network (by the day they were sent) and how many were delivered, the calls
dialled by the voice campaigns and how many a person answered (answered, confirmed,
completed), the e-mails handed to the relay (by the day of the last attempt) and how many it
accepted."""
from collections import defaultdict

from peewee import SQL, fn

from appliance import listings
from appliance.errors import N_
from appliance.mail.models import MailMessage
from appliance.reports import channels
from appliance.reports.period import bucket_of, buckets, rate
from appliance.sms.models import Message
from appliance.voice.models import CallAttempt

COLUMNS = [("period", N_("Day or week"), None), ("sms_sent", N_("SMS sent"), None),
           ("sms_delivered", N_("SMS delivered"), None), ("delivery_rate", N_("Delivery rate"), None),
           ("calls", N_("Calls dialled"), None), ("answered", N_("Calls answered"), None),
           ("answer_rate", N_("Answer rate"), None), ("mails", N_("E-mails handed to the relay"), None),
           ("mails_sent", N_("E-mails accepted"), None), ("mail_rate", N_("E-mail acceptance rate"), None)]
HANDED = ("sent", "failed", "unknown")  # mails the relay was given (queued and expired ones never were)


def _per_day(field, outcome, rng):
    """{day: {outcome value: count}} of the rows whose instant `field` falls in the range."""
    day = listings.local_day(field, rng.first, rng.last)
    query = (field.model.select(day.alias("local_day"), outcome, fn.COUNT(SQL("*")))
             .where(field >= rng.start, field < rng.end).group_by(SQL("local_day"), outcome))
    out = defaultdict(dict)
    for d, value, n in query.tuples():
        out[str(d)][value] = n
    return out


def report(config, rng, step="day"):
    """A row per day or week of the Range `rng`, oldest first."""
    sms = _per_day(Message.sent_at, Message.state, rng)
    calls = _per_day(CallAttempt.dialled_at, CallAttempt.result, rng)
    mails = _per_day(MailMessage.attempted_at, MailMessage.state, rng)
    totals = {label: {"sms_sent": 0, "sms_delivered": 0, "calls": 0, "answered": 0, "mails": 0, "mails_sent": 0}
              for label in buckets(rng, step)}
    for day in rng.days():
        row = totals[bucket_of(day, step)]
        states, results = sms.get(str(day), {}), calls.get(str(day), {})
        row["sms_sent"] += sum(states.values())
        row["sms_delivered"] += states.get("delivered", 0)
        row["calls"] += sum(results.values())
        row["answered"] += sum(n for r, n in results.items() if r in channels.ANSWERED)
        handed = mails.get(str(day), {})
        row["mails"] += sum(n for state, n in handed.items() if state in HANDED)
        row["mails_sent"] += handed.get("sent", 0)
    rows = [{"period": label, **t, "delivery_rate": rate(t["sms_delivered"], t["sms_sent"]),
             "answer_rate": rate(t["answered"], t["calls"]), "mail_rate": rate(t["mails_sent"], t["mails"])}
            for label, t in totals.items()]
    return {"name": "rates", "from": str(rng.first), "to": str(rng.last), "step": step,
            "tables": [{"name": "rates", "title": N_("Delivery and answer rates"), "columns": COLUMNS,
                        "rows": rows}]}
