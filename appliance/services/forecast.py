"""The next days' notice runs, as the runs themselves will do them.

forecast() plans each coming day with the run's own planner (notices.plan_day: the same
rules, opt-outs, withheld facts, dedupe, capacity fit and greeting shares) at that day's run
time, the days in order: what an earlier day will queue is taken as gone for the later
days (its service notices' dedupe keys, its greetings' shares), what it holds is wanted
again. Capacity is today's outlook (appliance.sms.capacity: the SIMs and the SMPP account in
service now), each day from its run time, as that run will see it. Nothing is queued.

The services daemon stores it (NoticeForecast, one row a day) after each notice run and at
most hourly otherwise (refresh(), under the "forecast" lease); the dashboard and `appliance
sms capacity` read what is stored (stored()), so a page never plans a million policies.
"""
import datetime
import json

from appliance import clock
from appliance.db import write_transaction
from appliance.services import notices, pacing
from appliance.services.models import NoticeForecast, NoticeRun
from appliance.sms import capacity

EVERY = datetime.timedelta(hours=1)  # at most this often, but after each notice run


def run_instant(config, day, now=None):
    """When `day`'s notice run happens (notices.run_at on the box's clock), not before `now`."""
    at = clock.instant(datetime.datetime.combine(day, datetime.time.fromisoformat(config["notices.run_at"])))
    return max(at, now) if now is not None else at


def forecast(config, now=None, days=7):
    """[{date, run_at, service, service_parts, marketing, greetings, greeting_parts, mail, held,
    capacity}] for the next `days` runs, today's first while it has not run yet."""
    now = now or clock.now()
    today = clock.today(now)
    first = today + datetime.timedelta(days=1 if notices.ran_on(today) else 0)
    lead = notices.lead_days(config) if config["notices.pace"] else 0
    run_at = datetime.time.fromisoformat(config["notices.run_at"])  # each day as its run sees it
    outlook = pacing.budgets(config, now, (first - today).days + days + lead, run_at)
    exclude, sent, out = set(), {}, []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        at = run_instant(config, day, now)
        start = (day - today).days
        plan = notices.plan_day(config, at, details=False, exclude=exclude, sent=sent, budgets=outlook[start:])
        exclude.update(row["dedupe_key"] for row, (_, _, go) in plan.sms.rows() if go)
        plan.sms.close()
        exclude.update(mail["dedupe_key"] for mail in plan.mails)
        for target in plan.targets:
            for language, n in target.quotas().items():
                taken = sent.setdefault(target.label(), {})
                taken[language] = taken.get(language, 0) + n
        figures = plan.counts()
        figures.update(date=day, run_at=at, capacity=plan.capacity)
        out.append(figures)
    return out


def due(now):
    """Is a new forecast due: none stored, a notice run since the last, or an hour gone?"""
    last = NoticeForecast.select().order_by(NoticeForecast.computed_at.desc()).first()
    if last is None or now - last.computed_at >= EVERY:
        return True
    return NoticeRun.select().where(NoticeRun.started_at > last.computed_at).exists()  # same pass: counted


def refresh(config, now=None, fence=None, force=False):
    """Work the forecast out and store it when due (or `force`); returns the days stored."""
    now = now or clock.now()
    if not force and not due(now):
        return 0
    days = forecast(config, now)
    with write_transaction():
        if fence is not None:
            fence()
        NoticeForecast.delete().execute()
        for figures in days:
            NoticeForecast.create(run_date=figures["date"], computed_at=now,
                                  figures=json.dumps(figures, default=str, ensure_ascii=False))
    return len(days)


def stored(today=None):
    """The stored forecast from `today` on: [figures] with computed_at, dates as dates."""
    today = today or clock.today()
    out = []
    for row in NoticeForecast.select().where(NoticeForecast.run_date >= today).order_by(NoticeForecast.run_date):
        figures = json.loads(row.figures)
        figures.update(date=row.run_date, computed_at=row.computed_at)
        out.append(figures)
    return out


def outlook(config, now=None, days=7):
    """capacity.outlook with each day's stored forecast (zeros when none is stored for it)
    and what of the parts due cannot go that day (left_over, carried to the next)."""
    now = now or clock.now()
    report = capacity.outlook(config, now, days)
    known = {f["date"]: f for f in stored(clock.today(now))}
    carry = 0
    for entry in report["days"]:
        entry["forecast"] = known.get(entry["date"]) or {"sms": 0, "parts": 0, "mail": 0, "held": None}
        load = carry + entry["queued"] + entry["forecast"]["parts"]  # today's `queued`: due today or earlier
        entry["sendable"] = min(load, entry["day"])
        carry = entry["left_over"] = load - entry["sendable"]
    return report
