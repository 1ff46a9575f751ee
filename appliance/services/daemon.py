"""The services' background work, one pass at a time: route new inbound SMS
(auto-reply, opt-out, surveys, tickets), fire due scheduled sends, run the
daily notice rules once a day after notices.run_at, queue each day's share of the paced
campaigns (appliance/services/campaign_pacing.py), store the forecast of the next days'
notice runs (appliance/services/forecast.py: after each run, else at most hourly), and remind
department heads of overdue tickets (appliance/tickets/escalation.py). It also sends peers the
ticket hand-offs and updates they have not taken (appliance/tickets/handoff.py).

tick() is safe to call from several processes at once (every step is
idempotent: a routed message has its InboundRoute row, a schedule's next run
moves in the transaction that queues it, a notice's dedupe_key is unique, a
ticket's reminders are its `escalated` events), so
it can run inside smsd's loop and in `appliance run services` alike.

Several boxes on one database: the daemon passes its Leadership (appliance/cluster/
leadership.py) and each singleton step (SINGLETONS) runs only on the box that holds its
lease, its commits fenced by the lease's token; inbound routing runs on every box. Without
leadership (one box, tests) every step runs.
"""
import datetime
import logging

from appliance import clock
from appliance import db as dbmod
from appliance.cluster.leadership import Leadership, LeaseLost
from appliance.daemon import Loop, serve
from appliance.services import inbound as inbound_router
from appliance.services import campaign_pacing, forecast, notices, schedules
from appliance.tickets import escalation, handoff

log = logging.getLogger(__name__)

# A pass that has not finished in this long is stuck, not slow: the daily notice
# run over every customer is the longest step, and it takes minutes, not a quarter hour.
STALL = 15 * 60


def notices_due(config, now):
    """Has the day's notice run not happened yet, and is it time for it (the box's
    wall-clock time and day)?"""
    run_at = datetime.time.fromisoformat(config["notices.run_at"])
    here = clock.local(now)
    return here.time() >= run_at and not notices.ran_on(here.date())


# The steps only one box may take at a time, each under its own lease (so the boxes share them).
SINGLETONS = ("schedules", "notices", "campaigns", "forecast", "escalation", "handoffs")


def steps(config, now, fence):
    """(name, work) of one pass; fence(name) is what each step's transactions check."""
    return (("inbound", lambda: inbound_router.route_pending(config, now)),
            ("schedules", lambda: len(schedules.run_due(config, now, fence=fence("schedules")))),
            ("notices", lambda: notices.run(config, now, fence=fence("notices"), details=False)["queued"]
             if notices_due(config, now) else 0),
            # After the notices: a paced campaign's share of the day takes the room they leave.
            ("campaigns", lambda: campaign_pacing.queue_shares(config, now, fence=fence("campaigns"))),
            # After both, in the same pass; else at most hourly (forecast.due).
            ("forecast", lambda: forecast.refresh(config, now, fence=fence("forecast"))),
            ("escalation", lambda: escalation.run(config, now)),
            ("handoffs", lambda: handoff.deliver(config, now)))


def tick(config, now=None, leadership=None):
    """One pass; returns what it did, by step (None: failed, or another box holds its lease).
    A failing step does not stop the others."""
    now = now or clock.now()
    done = {}
    for name, step in steps(config, now, lambda name: leadership[name].check if leadership else None):
        try:
            if leadership is not None and name in SINGLETONS and not leadership.hold(name):
                done[name] = None  # another box does it
                continue
            done[name] = dbmod.retrying(step)  # steps are idempotent: a busy database is waited out
        except dbmod.Busy:
            log.warning("services: %s step: the database stayed busy; trying again on the next pass", name)
            done[name] = None
        except LeaseLost as exc:
            log.warning("services: %s", exc)
            done[name] = None
        except Exception:
            log.exception("services: %s step failed; carrying on", name)
            done[name] = None
    return done


def main(config):
    """`appliance run services`: tick every services.inbound_poll seconds until SIGTERM."""
    leadership = Leadership(config)
    loop = Loop("services", lambda: tick(config, leadership=leadership), config["services.inbound_poll"], STALL)

    def stop():
        loop.stop()
        leadership.release_all()  # another box takes over at once, not after the lease runs out
    return serve("services", loop.start, stop, loop.alive)
