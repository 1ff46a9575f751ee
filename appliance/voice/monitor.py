"""Call-centre answer monitoring (接通率监控): test calls to the hotline and branch desks.

Every voice.monitor_interval minutes the dialer daemon starts a campaign of kind `monitor`
with one attempt per target (voice.monitor_numbers, "NAME=NUMBER"); the dialer calls them
and records the seconds from Dial to answer (CallAttempt.answer_seconds). A test fails
when the target does not answer, or answers later than voice.monitor_answer_seconds.

Alarms go by SMS to the staff in voice.monitor_alarm_to: one when a target starts failing,
one when it passes again — never one per interval. The streak is read from the target's
last two finished tests in the database, not kept in memory, so a restart neither repeats
an alarm nor misses one; each message's dedupe key names the test, so evaluating again
after a crash queues nothing twice.

The schedule lives in the database too: a run is due `interval` after the newest monitor
campaign was created, so a daemon restarted within the interval starts none. A round not
finished by then (Asterisk down, lines busy) is cancelled, so rounds never pile up.
"""
import datetime
import json
import logging
from dataclasses import dataclass

from appliance import clock, phones
from appliance.db import retry_writes, write_transaction
from appliance.errors import N_, ConfigError, InputError
from appliance.models import Staff
from appliance.phonebook import staff_by_number
from appliance.services import templates
from appliance.sms.models import Message
from appliance.sms.outbox import queue_message
from appliance.voice.campaigns import diallable
from appliance.voice.models import CallAttempt, VoiceCampaign

log = logging.getLogger(__name__)

KIND = "monitor"
ANSWERED = ("answered", "confirmed", "completed", "machine")


@dataclass(frozen=True)
class Target:
    name: str    # 客服热线, 营业部…: what the alarm calls it
    number: str  # what the dialer dials


def parse_targets(entries):
    """["客服热线=95500", …] (voice.monitor_numbers) -> [Target]; ConfigError naming the key."""
    targets = []
    for entry in entries:
        name, sep, number = str(entry).partition("=")
        name, number = name.strip(), number.strip()
        if not sep or not name or not diallable(number):
            raise ConfigError.of(N_("{field}: {entry!r} is not NAME=NUMBER (digits only)"),
                                 field="voice.monitor_numbers", entry=entry)
        if name in {t.name for t in targets}:
            raise ConfigError.of(N_("{field}: {name!r} is named twice"), field="voice.monitor_numbers", name=name)
        targets.append(Target(name, number))
    return targets


def check_config(config):
    """Refuse monitoring settings the daemon could not act on, naming the key."""
    parse_targets(config["voice.monitor_numbers"])
    if config["voice.monitor_interval"] < 1:
        raise ConfigError.of(N_("{field}: must be at least 1 minute"), field="voice.monitor_interval")
    if config["voice.monitor_answer_seconds"] < 0:
        raise ConfigError.of(N_("{field}: must not be negative"), field="voice.monitor_answer_seconds")


# --- the schedule --------------------------------------------------------------------------

def last_run():
    """When the newest monitor campaign was created (None: never)."""
    newest = (VoiceCampaign.select(VoiceCampaign.created_at).where(VoiceCampaign.kind == KIND)
              .order_by(VoiceCampaign.created_at.desc()).first())
    return newest.created_at if newest else None


def is_due(interval_minutes, now):
    last = last_run()
    return last is None or now - last >= datetime.timedelta(minutes=interval_minutes)


@retry_writes
def start_due(config, now=None, fence=None):
    """Start a monitor campaign if one is due; returns it, or None. The check and the
    creation are one write transaction, so two daemons of one box never both start one; on
    PostgreSQL that transaction does not serialize boxes, so the dialer daemon passes
    `fence`, its lease's check (appliance/cluster/leadership.py), called first in it."""
    targets = parse_targets(config["voice.monitor_numbers"])
    now = now or clock.now()
    if not targets:
        return None
    with write_transaction():
        if fence is not None:
            fence()
        if not is_due(config["voice.monitor_interval"], now):
            return None
        # A round still open after a whole interval (Asterisk down, lines busy) is given up:
        # its tests are stale, and rounds must not pile up to be dialled in one burst.
        stale = (VoiceCampaign.update(state="cancelled", finished_at=now)
                 .where(VoiceCampaign.kind == KIND, VoiceCampaign.state.in_(("draft", "running", "paused")))
                 .execute())
        if stale:
            log.warning("answer monitoring: the last round had not finished after %s minutes; cancelled",
                        config["voice.monitor_interval"])
        campaign = VoiceCampaign.create(
            name=f"接通率监控 {clock.format(now)}", kind=KIND, state="running", created_at=now, started_at=now,
            line_group=config["voice.monitor_line_group"], window="always", max_tries=1,
            created_by="monitor", source="voice.monitor_numbers")
        CallAttempt.insert_many([{"campaign": campaign.id, "number": t.number, "queued_at": now,
                                  "line_group": campaign.line_group, "variables": target_variables(t.name)}
                                 for t in targets]).execute()
    log.info("answer monitoring: campaign %s calls %d target(s)", campaign.id, len(targets))
    return campaign


def target_variables(name):
    return json.dumps({"target": name}, ensure_ascii=False, sort_keys=True)


# --- tests and their verdicts --------------------------------------------------------------

def tests_of(name, limit=None):
    """A target's finished tests (attempts), newest first."""
    query = (CallAttempt.select().join(VoiceCampaign)
             .where(VoiceCampaign.kind == KIND, CallAttempt.state == "done",
                    CallAttempt.variables == target_variables(name))
             .order_by(CallAttempt.ended_at.desc(), CallAttempt.id.desc()))
    return list(query.limit(limit) if limit else query)


def verdict(attempt, limit_seconds):
    """'ok', 'unanswered' or 'slow' for one finished test. An answer whose time is not
    known (its result came from the CDR after a restart) counts as in time."""
    if attempt.result not in ANSWERED:
        return "unanswered"
    if attempt.answer_seconds is not None and attempt.answer_seconds > limit_seconds:
        return "slow"
    return "ok"


def decide(latest, previous):
    """What to tell staff after the latest verdict, given the one before (None: no test
    before): 'alarm' when a failure streak begins, 'recovered' when it ends, else None."""
    if latest != "ok":
        return "alarm" if previous in (None, "ok") else None
    return "recovered" if previous not in (None, "ok") else None


def send_alarms(config):
    """Queue the SMS each target's last two tests call for; returns how many were queued."""
    limit = config["voice.monitor_answer_seconds"]
    queued = 0
    for target in parse_targets(config["voice.monitor_numbers"]):
        tests = tests_of(target.name, limit=2)
        if not tests:
            continue
        verdicts = [verdict(t, limit) for t in tests]
        action = decide(verdicts[0], verdicts[1] if len(verdicts) > 1 else None)
        if action:
            queued += notify_staff(config, target, tests[0], verdicts[0] if action == "alarm" else "recovered")
    return queued


def alarm_text(config, target, attempt, kind):
    """The SMS text of an alarm ('unanswered', 'slow') or of 'recovered', in the box's language."""
    language = config["language"]
    values = {"target": target.name, "number": attempt.number, "time": clock.format(attempt.dialled_at),
              "seconds": attempt.answer_seconds if attempt.answer_seconds is not None else "-",
              "limit": config["voice.monitor_answer_seconds"],
              "result": templates.word("call_result", attempt.result or "unknown", language)}
    return templates.render(f"monitor_{kind}", values, config, language=language)


def notify_staff(config, target, attempt, kind):
    """One SMS per recipient, deduplicated by test: safe to call again."""
    text = alarm_text(config, target, attempt, kind)
    sent = 0
    for mobile, staff in recipients(config):
        key = f"voice-monitor:{attempt.id}:{mobile}"
        if Message.select().where(Message.dedupe_key == key).exists():
            continue  # queued by an earlier turn (or before a restart)
        queue_message(mobile, text, category="internal", staff=staff, source="voice.monitor",
                      created_by="monitor", dedupe_key=key, config=config)
        sent += 1
    if not sent:
        return 0
    log.warning("answer monitoring: %s %s (test %s); told %d staff", target.name,
                {"unanswered": "did not answer", "slow": "answered too slowly"}.get(kind, "answers again"),
                attempt.id, sent)
    return sent


def recipients(config):
    """[(E.164 mobile, Staff or None)] from voice.monitor_alarm_to: numbers, staff names or
    badge numbers. Names matching no active staff member with a mobile are logged and left out."""
    found = []
    for entry in config["voice.monitor_alarm_to"]:
        entry = str(entry).strip()
        number = phones.e164_or_none(entry) if entry[:1] in "+0123456789" else None
        if number:
            found.append((number, staff_by_number(number)))
            continue
        staff = (Staff.select().where((Staff.name == entry) | (Staff.badge_no == entry), Staff.status == "active")
                 .order_by(Staff.id).first())
        if staff is None or not staff.mobile:
            log.warning("voice.monitor_alarm_to: %r is no active staff member with a mobile; not told", entry)
            continue
        found.append((staff.mobile, staff))
    return found


# --- figures ---------------------------------------------------------------------------------

def status(config):
    """Per target: its last test and whether it is failing now."""
    limit = config["voice.monitor_answer_seconds"]
    rows = []
    for target in parse_targets(config["voice.monitor_numbers"]):
        tests = tests_of(target.name, limit=1)
        last = tests[0] if tests else None
        rows.append({"target": target.name, "number": target.number,
                     "last_test": clock.iso(last.dialled_at) if last else None,
                     "result": last.result if last else None,
                     "answer_seconds": last.answer_seconds if last else None,
                     "verdict": verdict(last, limit) if last else None})
    return rows


def daily(config, days=7, now=None):
    """Per box day (the last `days`, today included) and target: tests, answered, answered
    in time, answer rate, mean and slowest answer seconds. Oldest day first."""
    if not 1 <= days <= 366:
        raise InputError.of(N_("{field}: must be 1 to 366"), field="days")
    limit = config["voice.monitor_answer_seconds"]
    today = clock.today(now)
    start, end = clock.day_range(today - datetime.timedelta(days=days - 1), today)
    names = {target_variables(t.name): t.name for t in parse_targets(config["voice.monitor_numbers"])}
    rows = {}
    for attempt in (CallAttempt.select().join(VoiceCampaign)
                    .where(VoiceCampaign.kind == KIND, CallAttempt.state == "done",
                           CallAttempt.dialled_at >= start, CallAttempt.dialled_at < end)):
        name = names.get(attempt.variables) or _target_name(attempt.variables)
        row = rows.setdefault((clock.today(attempt.dialled_at), name), {"tests": 0, "answered": 0, "in_time": 0,
                                                                        "seconds": []})
        row["tests"] += 1
        if attempt.result in ANSWERED:
            row["answered"] += 1
            row["in_time"] += verdict(attempt, limit) == "ok"
            if attempt.answer_seconds is not None:
                row["seconds"].append(attempt.answer_seconds)
    return [{"day": day.isoformat(), "target": name, "tests": r["tests"], "answered": r["answered"],
             "in_time": r["in_time"], "answer_rate": round(r["answered"] / r["tests"], 4),
             "mean_answer_seconds": round(sum(r["seconds"]) / len(r["seconds"]), 1) if r["seconds"] else None,
             "slowest_answer_seconds": max(r["seconds"]) if r["seconds"] else None}
            for (day, name), r in sorted(rows.items())]


def _target_name(variables):
    """A target no longer configured keeps its figures under the name it was tested as."""
    try:
        return json.loads(variables).get("target") or "?"
    except (ValueError, AttributeError):
        return "?"
