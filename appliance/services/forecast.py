"""The next days' notice volume against the box's sending capacity.

forecast_day runs the notice run's own planner (notices.run with dry_run: the same rules,
opt-outs, withheld facts and dedupe) for a future day at its run time, so it counts what
that day's run would queue, in SMS parts, without queueing anything. The outlook sets it
beside appliance.sms.capacity: what is queued for each day plus that day's notices, what the SIMs
can send that day, and what is left over for the next day.
"""
import datetime

from appliance import clock
from appliance.services import notices
from appliance.sms import capacity
from appliance.sms.text import part_count


def run_instant(config, day, now=None):
    """When `day`'s notice run happens (notices.run_at on the box's clock), not before `now`."""
    at = clock.instant(datetime.datetime.combine(day, datetime.time.fromisoformat(config["notices.run_at"])))
    return max(at, now) if now is not None else at


def forecast_day(config, day, now=None):
    """What the notice run of `day` would queue: notices, SMS, their parts, and mails."""
    result = notices.run(config, run_instant(config, day, now), dry_run=True)
    sms = [n for n in result["notices"] if n.get("channel", "sms") == "sms"]
    return {"date": day, "notices": len(result["notices"]), "sms": len(sms),
            "parts": sum(part_count(n["text"]) for n in sms), "mail": len(result["notices"]) - len(sms)}


def outlook(config, now=None, days=7):
    """capacity.outlook with each day's forecast parts and the backlog carried over."""
    now = now or clock.now()
    report = capacity.outlook(config, now, days)
    carry = 0
    for entry in report["days"]:
        entry["forecast"] = forecast_day(config, entry["date"], now if entry is report["days"][0] else None)
        load = carry + entry["queued"] + entry["forecast"]["parts"]  # today's `queued`: due today or earlier
        entry["sendable"] = min(load, entry["day"])
        carry = entry["left_over"] = load - entry["sendable"]
    return report
