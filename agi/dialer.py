"""The dialer: places a voice campaign's calls through Asterisk and keeps each one's result.

AMI Originate (agi/ami.py), not call files: with `Async` and our own `ChannelId` /
`OtherChannelId` every later event of the call names the attempt, so the result is known
per attempt (DIALSTATUS and the hangup cause, early media, talk seconds) at once, with no
spool to poll; a call file's archive says only Completed/Failed.

One call = Local/<number>@appliance-outbound/n (image/asterisk/extensions_outbound.conf).
Its ;2 leg Dials the line group's dial string and sets APPLIANCE_RESULT when Dial returns;
its ;1 leg, once answered, runs [appliance-answered] (the notice over FastAGI).

Crash rules (a kill -9 at any moment loses no result and calls no one twice):
- an attempt is claimed `dialling`, with its channel ids, in a committed transaction
  before Originate is sent;
- at start, attempts left `dialling` by a dialer of this box (claimed_by names the box
  and the process: never another box's live calls) are followed if Asterisk still has
  their channel, resolved from the CDR (the ;2 leg's uniqueid) if it is over, else marked
  `unknown`; none is ever queued again by the dialer. A channel listed at start may be
  one whose Hangup came just before we listened: followed calls are listed again after
  RECHECK_SECONDS, and then as often while any is followed, and those gone are resolved;
- after the manager connection is lost (Asterisk restarted), attach() a new one and
  run() again: the calls in flight are recovered as after a crash.

When (appliance/voice/windows.py, retries.py): an attempt is claimed only while its
campaign's calling window is open and its not_before (a retry's time) has come, checked at
each claim, never only at queue time; do-not-call and screened-invalid numbers are
`skipped` then. A result that calls for a retry queues it in the transaction that writes
the result. With nothing to dial now the loop sleeps until the earliest window opening or
retry time, or the poll interval: never a busy wait. Time comes from `now` (clock.now;
tests pass a clock they move).

Threads: the AMI reader only notes events in memory and wakes the loop; the loop (the
caller's thread) does every database write and every Originate. It sleeps on a condition
between events: no polling while calls are up.
"""
import csv
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from appliance import clock
from appliance.cluster import identity
from appliance.db import retrying, write_transaction
from appliance.errors import ConfigError, InputError
from appliance.voice import results
from appliance.voice import screening
from appliance.voice import retries, skips, windows
from appliance.voice.campaigns import diallable
from appliance.voice.models import CallAttempt, VoiceCampaign

from agi.ami import AMIError, AMITimeout

log = logging.getLogger(__name__)

RESULT_VARIABLE = "APPLIANCE_RESULT"
ORIGINATE_GRACE = 3.0  # seconds a failed Originate's channel events may trail its response
CDR_GRACE = 5.0        # seconds a finished call's CDR line may trail the end of its channel
RECHECK_SECONDS = 2.0  # seconds before recovered calls are listed again (a Hangup we never saw)
SHUTTING_DOWN = "Asterisk is shutting down"  # the manager's refusal of every action then
# The answered leg's context by campaign kind (image/asterisk/extensions_outbound.conf);
# other kinds go to the Dialer's answer_context (the notice).
ANSWER_CONTEXTS = {"monitor": "appliance-monitor-answered", "screening": "appliance-screening-answered"}


@dataclass(frozen=True)
class LineGroup:
    name: str
    dial: str           # a Dial() string with {number}: DAHDI/g1/{number}, Local/{number}@ctx
    channels: int       # calls at once (an E1 span: 30; a GSM voice modem: 1)


def parse_line_groups(entries):
    """["default=DAHDI/g1/{number}*30", …] ([voice] line_groups) -> {name: LineGroup}."""
    groups = {}
    for entry in entries:
        name, sep, rest = entry.partition("=")
        dial, star, channels = rest.rpartition("*")
        if not sep or not star or "{number}" not in dial or not channels.strip().isdigit():
            raise ConfigError(f"voice.line_groups: {entry!r} is not NAME=DIAL_STRING*CHANNELS "
                              "with {number} in the dial string", field="voice.line_groups")
        groups[name.strip()] = LineGroup(name.strip(), dial.strip(), int(channels))
    return groups


@dataclass
class Call:
    """One attempt in flight: what the events said so far."""
    attempt_id: int
    group: str
    channel_id: str
    other_id: str
    result_value: str = ""
    early_media: bool = False
    seen: bool = False          # a channel of it exists(ed) in Asterisk
    ended: bool = False
    failure: str = ""           # why Asterisk could not place it at all
    failure_at: float = 0.0     # when to believe `failure` if no channel event came
    recovered: bool = False     # followed after a restart: its Hangup may have come before we listened
    events: list = field(default_factory=list)


class Dialer:
    def __init__(self, ami, line_groups, ring_seconds=40, caller_id="", cdr_path=None,
                 outbound_context="appliance-outbound", answer_context="appliance-answered",
                 poll_seconds=5.0, name=None, cdr_grace=CDR_GRACE, default_window=windows.DEFAULT,
                 now=clock.now, box=None):
        self.ami = ami
        self.groups = line_groups
        self.ring_seconds = ring_seconds
        self.caller_id = caller_id
        self.cdr_path = Path(cdr_path) if cdr_path else None
        self.outbound_context = outbound_context
        self.answer_context = answer_context
        self.poll_seconds = poll_seconds   # how often to look for newly started campaigns
        self.cdr_grace = cdr_grace
        self.box = box or box_name()  # box.name: make_dialer passes the configured one
        self.name = f"{self.box}:{name or os.getpid()}"
        self.beat = lambda: None  # called every turn of the loop (the daemon's heartbeat)
        self.recheck_seconds = RECHECK_SECONDS
        self._recheck = None    # threading.Timer that wakes the loop to list recovered calls again
        self._recheck_due = False
        self._lost = False      # the manager refused us for good (Asterisk shutting down)
        self.answer_contexts = dict(ANSWER_CONTEXTS)
        self._kinds = {}        # campaign id -> kind (never changes)
        self._cond = threading.Condition()
        self._calls = {}        # channel id and other id -> Call
        self._unresolved = {}   # attempt id -> (;2 uniqueid, deadline): over, CDR not read yet
        self._stopping = False
        self._wake = False
        # the window of campaigns whose own is "" ([voice] windows): the safe default unless told
        self.default_window = windows.check(default_window, "voice.windows")
        self.now = now          # the current instant (naive UTC)
        self._due = None        # when queued work can next start (a window opens, a retry is due)
        ami.add_listener(self._on_event)

    # --- events (AMI reader thread: note and wake, nothing more) ----------------------------
    def _on_event(self, event):
        name = event.get("Event")
        if name == "AMIClosed":
            with self._cond:
                self._wake = True
                self._cond.notify_all()
            return
        uid = event.get("Uniqueid", "")
        with self._cond:
            call = self._calls.get(uid)
            if call is None:
                return
            call.seen = call.seen or name in ("Newchannel", "Newstate", "VarSet", "DialBegin", "Hangup")
            if name == "VarSet" and event.get("Variable") == RESULT_VARIABLE and uid == call.other_id:
                call.result_value = event.get("Value", "")
            elif name == "DialState" and uid == call.other_id and event.get("DialStatus") == "PROGRESS":
                call.early_media = True
            elif name == "Hangup" and uid == call.other_id:
                call.ended = True
            elif name == "OriginateResponse" and event.get("Response") == "Failure" and not call.seen:
                # Maybe no channel was ever made (nothing else will come), maybe its events
                # are still on their way: the manager sends this response directly, ahead of
                # the channel events queued behind it. The loop decides after a grace period.
                call.failure = f"Originate failed (reason {event.get('Reason')})"
                call.failure_at = time.monotonic() + ORIGINATE_GRACE
            else:
                return
            self._cond.notify_all()

    # --- the loop ------------------------------------------------------------------------
    def stop(self):
        """Ask run() to return (from a signal handler's flag, another thread…)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def wake(self):
        """A campaign was started: look for work now rather than at the next poll."""
        with self._cond:
            self._wake = True
            self._cond.notify_all()

    def in_flight(self, group=None):
        with self._cond:
            calls = {id(c): c for c in self._calls.values()}.values()
            return sum(1 for c in calls if group is None or c.group == group)

    def run(self, until_idle=False):
        """Recover, then place calls and record results until stop() (or, with until_idle,
        until no running campaign has a queued attempt and no call is up)."""
        self.recover()
        while True:
            self.beat()
            self._recheck_recovered()
            self._resolve_from_cdr()
            self._record_finished()
            placed = self._fill()
            self._finish_campaigns()
            self._due = self._next_due()
            with self._cond:
                if self._stopping or self.lost:
                    return
                if (until_idle and not placed and not self._calls and not self._unresolved
                        and not self._has_work()):
                    return
                if not self._finished_calls() and not self._wake:
                    self._cond.wait(self._next_wait())
                self._wake = False

    def _has_work(self):
        return (CallAttempt.select().join(VoiceCampaign)
                .where(CallAttempt.state == "queued", VoiceCampaign.state == "running").exists())

    def _finished_calls(self):
        now = time.monotonic()
        calls = {id(c): c for c in self._calls.values()}.values()
        for call in calls:
            if call.failure_at and not call.seen and now >= call.failure_at:
                call.ended = True
        return [c for c in calls if c.ended]

    def _next_wait(self):
        pending = [c.failure_at for c in self._calls.values() if c.failure_at and not c.seen]
        if self._unresolved:
            pending.append(time.monotonic() + 0.2)  # look at the CDR again shortly (startup only)
        if self._due is not None:  # a window opens or a retry is due (in `now`'s time)
            pending.append(time.monotonic() + (self._due - self.now()).total_seconds())
        if pending:
            return max(0.01, min(min(pending) - time.monotonic(), self.poll_seconds))
        return self.poll_seconds

    # --- placing calls ------------------------------------------------------------------
    def _fill(self):
        placed = 0
        for group in self.groups.values():
            while True:
                free = group.channels - self.in_flight(group.name)
                if free <= 0:
                    break
                claimed, skipped = retrying(self._claim, group, free)
                for attempt in claimed:
                    self._originate(attempt, group)
                    placed += 1
                if not skipped:  # else fill the slots the skipped numbers left
                    break
        return placed

    def _claim(self, group, count):
        """Up to `count` queued attempts on this line group of running campaigns whose
        calling window is open now, and whose not_before is null or past (due retries first,
        then in queue order), each committed as `dialling` with its channel ids before any
        call is placed; numbers on the do-not-call list or screened invalid now (not only
        when queued) are `skipped` instead. Returns (claimed attempts, how many were skipped)."""
        claimed, skipped = [], 0
        now = self.now()
        open_ids = [c.id for c in self._running() if self._window_open(c, now)]
        if not open_ids:
            return claimed, skipped
        with write_transaction():
            candidates = list(CallAttempt.select(CallAttempt, VoiceCampaign).join(VoiceCampaign)
                              .where(CallAttempt.state == "queued", CallAttempt.line_group == group.name,
                                     VoiceCampaign.state == "running", VoiceCampaign.id.in_(open_ids),
                                     CallAttempt.not_before.is_null() | (CallAttempt.not_before <= now))
                              .order_by(CallAttempt.not_before.is_null(), CallAttempt.not_before, CallAttempt.id)
                              .limit(count))
            reasons = skips.reasons(candidates)
            for attempt in candidates:
                if attempt.id in reasons:
                    skipped += (CallAttempt.update(state="skipped", detail=reasons[attempt.id], ended_at=now)
                                .where(CallAttempt.id == attempt.id, CallAttempt.state == "queued").execute())
                    continue
                channel_id = f"vc{attempt.id}-{secrets.token_hex(4)}"
                changed = (CallAttempt.update(state="dialling", channel_id=channel_id, claimed_by=self.name,
                                              dialled_at=now)
                           .where(CallAttempt.id == attempt.id, CallAttempt.state == "queued").execute())
                if changed:  # the row count decides: another dialer may have taken it
                    attempt.state, attempt.channel_id, attempt.dialled_at = "dialling", channel_id, now
                    claimed.append(attempt)
        return claimed, skipped

    def _running(self):
        return list(VoiceCampaign.select(VoiceCampaign.id, VoiceCampaign.window)
                    .where(VoiceCampaign.state == "running"))

    def _window_open(self, campaign, now):
        try:
            return windows.open_at(campaign.window or self.default_window, now)
        except InputError as exc:  # saved before windows were checked: no calls, rather than any time
            log.warning("campaign %s: %s; not calling", campaign.id, exc)
            return False

    def _next_due(self):
        """The next instant queued work can start: the earliest opening of a closed window of
        a running campaign with queued attempts, or the earliest retry time still to come."""
        now, due, running = self.now(), [], self._running()
        for campaign in running:
            # the window first: asking for queued work costs more, and only closed ones need it
            if not self._window_open(campaign, now) and (
                    CallAttempt.select().where(CallAttempt.campaign == campaign.id,
                                               CallAttempt.state == "queued").exists()):
                try:
                    opening = windows.next_opening(campaign.window or self.default_window, now)
                except InputError:
                    opening = None
                if opening is not None:
                    due.append(opening)
        # Retry times to come, soonest first, through the not_before index (filtering on state
        # in SQL made SQLite read every queued row: 0.9 ms a turn with 10,000 queued).
        ids = {c.id for c in running}
        for row in (CallAttempt.select(CallAttempt.not_before, CallAttempt.state, CallAttempt.campaign)
                    .where(CallAttempt.not_before > now).order_by(CallAttempt.not_before).iterator()):
            if row.state == "queued" and row.campaign_id in ids:
                due.append(row.not_before)
                break
        return min(due, default=None)

    def _originate(self, attempt, group):
        call = Call(attempt.id, group.name, attempt.channel_id, other_leg(attempt.channel_id))
        with self._cond:
            self._calls[call.channel_id] = self._calls[call.other_id] = call
        if not diallable(attempt.number):
            call.failure, call.ended = "not a diallable number", True
            return
        # The campaign's own presented number (a product line's hotline), else [voice] caller_id;
        # the campaign came with the claim's join: no query here.
        caller_id = attempt.campaign.caller_id or self.caller_id
        variables = [f"APPLIANCE_ATTEMPT={attempt.id}", f"APPLIANCE_NUMBER={attempt.number}",
                     f"APPLIANCE_DIAL={group.dial.format(number=attempt.number)}",
                     f"APPLIANCE_RING={self.ring_seconds}", f"APPLIANCE_CLI={caller_id}"]
        variables += screening.dial_variables(attempt)  # a screening probe rings briefly
        fields = dict(Channel=f"Local/{attempt.number}@{self.outbound_context}/n",
                      Context=self._answer_context(attempt), Exten="s", Priority="1",
                      Timeout=str((self.ring_seconds + 30) * 1000), Async="true",
                      ChannelId=call.channel_id, OtherChannelId=call.other_id, Variable=variables)
        if caller_id:
            fields["CallerID"] = caller_id
        try:
            self.ami.action("Originate", **fields)
        except AMIError as exc:
            # Refused by the manager: no call exists. If the connection broke instead,
            # the call may exist: the attempt stays `dialling` for recover().
            if not self.ami.closed and SHUTTING_DOWN in str(exc):
                # Asterisk is going away (a restart): no call was made, so the number is
                # queued again, and run() returns to get a new connection once it is back.
                with self._cond:
                    self._calls.pop(call.channel_id, None)
                    self._calls.pop(call.other_id, None)
                    self._lost = True
                retrying(requeue, attempt.id)
            elif not self.ami.closed and not isinstance(exc, AMITimeout):
                with self._cond:
                    call.failure, call.ended = str(exc), True
            else:
                # The call may exist (the manager stopped answering, or the connection broke
                # after sending): stop using this connection; recover() decides on the next.
                with self._cond:
                    self._calls.pop(call.channel_id, None)
                    self._calls.pop(call.other_id, None)
                    self._lost = True

    def _answer_context(self, attempt):
        """Where the answered leg goes: by its campaign's kind (a monitoring call hangs up at
        once), else answer_context. One query per campaign, not per call."""
        kind = self._kinds.get(attempt.campaign_id)
        if kind is None:
            kind = self._kinds[attempt.campaign_id] = VoiceCampaign.get_by_id(attempt.campaign_id).kind
        return self.answer_contexts.get(kind, self.answer_context)

    # --- recording results --------------------------------------------------------------
    def _record_finished(self):
        with self._cond:
            done = self._finished_calls()
        for call in done:
            retrying(self._record, call)
            with self._cond:
                self._calls.pop(call.channel_id, None)
                self._calls.pop(call.other_id, None)

    def _record(self, call):
        status, cause, answered = results.parse_result_variable(call.result_value)
        if call.result_value:
            result, detail = results.classify(status, cause), ""
        elif call.failure:
            result, detail = "failed", call.failure
        else:
            result, detail = "failed", "the call ended without a dial result"
        heard = screening.listen(call.result_value)  # the early audio, classified before the transaction
        with write_transaction():  # the result, what was heard and the screened number: one commit
            result = screening.refine(call.attempt_id, result, heard)
            if finish(call.attempt_id, result, dial_status=status, hangup_cause=cause,
                      talk_seconds=answered if status == "ANSWER" else None, early_media=call.early_media,
                      detail=detail, answer_seconds=results.answer_seconds(call.result_value), now=self.now()):
                screening.record(call.attempt_id, heard)

    def _finish_campaigns(self):
        """Running campaigns with nothing queued or in flight are done."""
        open_ids = (CallAttempt.select(CallAttempt.campaign)
                    .where(CallAttempt.state.in_(("queued", "dialling"))))
        ids = [c.id for c in VoiceCampaign.select(VoiceCampaign.id)
               .where(VoiceCampaign.state == "running", VoiceCampaign.id.not_in(open_ids))]
        if ids:
            def work():
                with write_transaction():
                    (VoiceCampaign.update(state="done", finished_at=clock.now())
                     .where(VoiceCampaign.id.in_(ids), VoiceCampaign.state == "running").execute())
            retrying(work)

    # --- after a crash, or a new manager connection ------------------------------------
    def attach(self, ami):
        """Use a new manager connection (the old one closed: Asterisk restarted). The calls
        followed on the old one are forgotten here; the next run() recovers them like a
        crashed dialer's, from Asterisk's channel list or the CDR."""
        with self._cond:
            self.ami = ami
            self._calls.clear()
            self._lost = False
        ami.add_listener(self._on_event)

    @property
    def lost(self):
        """The manager connection is gone or useless: attach() a new one before run()."""
        return self._lost or self.ami.closed

    def recover(self):
        """Attempts left `dialling` by an earlier dialer of this box: follow those Asterisk
        still has, resolve the finished ones from the CDR, mark the rest `unknown`. Never
        re-dials, and never touches the attempts another box claimed (its calls may be up)."""
        box = self.box
        left = [a for a in CallAttempt.select().where(CallAttempt.state == "dialling")
                # "": claimed by no named dialer (by hand, older firmware): ours to resolve
                if a.claimed_by.split(":", 1)[0] == box or not a.claimed_by]
        calls = []
        with self._cond:  # listen first, so a call ending meanwhile is not missed
            left = [a for a in left if a.channel_id not in self._calls]  # already followed
            if not left:
                return
            for attempt in left:
                call = Call(attempt.id, attempt.line_group, attempt.channel_id, other_leg(attempt.channel_id),
                            recovered=True)
                self._calls[call.channel_id] = self._calls[call.other_id] = call
                calls.append(call)
        self._drop_gone(calls, self._channels())
        if any(c.channel_id in self._calls for c in calls):
            self._schedule_recheck()
        self._resolve_from_cdr()

    def _channels(self):
        """Uniqueids of every channel Asterisk lists now."""
        return {e.get("Uniqueid") for e in self.ami.event_list("CoreShowChannels", "CoreShowChannelsComplete")}

    def _drop_gone(self, calls, alive):
        """Stop following those of `calls` whose ;2 leg (whose Hangup ends a call for us) is
        not among `alive` and has not ended meanwhile: their result comes from the CDR."""
        deadline = time.monotonic() + self.cdr_grace
        with self._cond:
            for call in calls:
                if call.other_id in alive:
                    log.info("attempt %s: its call is still up; following it", call.attempt_id)
                    continue
                if call.ended or self._calls.get(call.channel_id) is not call:
                    continue  # its events came meanwhile: _record_finished has it
                self._calls.pop(call.channel_id, None)
                self._calls.pop(call.other_id, None)
                self._unresolved[call.attempt_id] = (call.other_id, deadline)

    def _schedule_recheck(self):
        """Wake the loop in recheck_seconds to list the recovered calls again."""
        def due():
            with self._cond:
                self._recheck_due, self._wake = True, True
                self._cond.notify_all()
        if self._recheck is not None:
            self._recheck.cancel()
        self._recheck = threading.Timer(self.recheck_seconds, due)
        self._recheck.daemon = True
        self._recheck.start()

    def _recheck_recovered(self):
        """A channel listed when recover() looked may have been hanging up already: its
        Hangup came before we listened, and no event will end it. List the recovered calls
        again; those gone are resolved from the CDR (or `unknown`). Again while any is up."""
        with self._cond:
            if not self._recheck_due:
                return
            self._recheck_due = False
            followed = [c for c in {id(c): c for c in self._calls.values()}.values()
                        if c.recovered and not c.ended]
        if not followed:
            return
        try:
            alive = self._channels()
        except AMIError:
            return  # the connection is gone: run() returns, and the next run recovers them
        self._drop_gone(followed, alive)
        gone = [c for c in followed if self._calls.get(c.channel_id) is not c]
        if gone:
            log.info("attempts %s: their calls ended before the dialer listened; reading the CDR",
                     ", ".join(str(c.attempt_id) for c in gone))
        if len(gone) < len(followed):
            self._schedule_recheck()

    def _resolve_from_cdr(self):
        """Over calls of an earlier dialer: their result from the CDR, which cdr_csv may
        write a moment after the channel is gone; `unknown` once cdr_grace has passed."""
        if not self._unresolved:
            return
        cdr = self._read_cdr({uid for uid, _ in self._unresolved.values()})
        now = time.monotonic()
        for attempt_id, (uid, deadline) in list(self._unresolved.items()):
            row = cdr.get(uid)
            if row is not None:
                disposition, billsec = row
                result = results.from_cdr(disposition)
                retrying(finish, attempt_id, result, dial_status=disposition,
                         talk_seconds=billsec if result == "answered" else None,
                         detail="resolved from the CDR after a dialer restart", now=self.now())
            elif now >= deadline:
                retrying(finish, attempt_id, "unknown", state="unknown",
                         detail="the dialer stopped while calling; Asterisk has no trace of the call")
            else:
                continue
            del self._unresolved[attempt_id]

    def _read_cdr(self, uniqueids):
        """{uniqueid: (disposition, billsec)} from cdr_csv's Master.csv (loguniqueid = yes:
        uniqueid is the last column; disposition and billsec come before amaflags)."""
        found = {}
        if self.cdr_path is None or not self.cdr_path.exists():
            return found
        with open(self.cdr_path, newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.reader(handle):
                if len(row) >= 17 and row[-1] in uniqueids:
                    billsec = int(row[-4]) if row[-4].isdigit() else None
                    found[row[-1]] = (row[-3], billsec)
        return found


def box_name(config=None):
    """This box's name in CallAttempt.claimed_by ("BOX:PROCESS"): box.name from `config`
    (the host name when empty or without a config), as everything a box owns is named."""
    return identity.box_name(config)


def other_leg(channel_id):
    """The ;2 leg's uniqueid (OtherChannelId) for a call's ;1 ChannelId."""
    return f"{channel_id}-b"


def requeue(attempt_id):
    """An attempt the manager refused to place (no channel was made): queued again as it was."""
    with write_transaction():
        (CallAttempt.update(state="queued", channel_id="", claimed_by="", dialled_at=None)
         .where(CallAttempt.id == attempt_id, CallAttempt.state == "dialling").execute())


def finish(attempt_id, result, state="done", dial_status="", hangup_cause=None, talk_seconds=None,
           early_media=False, detail="", now=None, answer_seconds=None):
    """Write an attempt's result, once: only an attempt still `dialling` is changed, and a
    confirmation the notice flow wrote meanwhile is kept. The retry the result calls for
    (retries.py) is queued in the same transaction: a crash leaves both or neither."""
    ended_at = now or clock.now()
    with write_transaction():
        attempt = CallAttempt.get_by_id(attempt_id)
        if attempt.state != "dialling":
            return False
        if attempt.result in ("confirmed", "completed") and result == "answered":
            result = attempt.result  # the callee's keys said more (a confirmation, a survey done)
        if attempt.detail:  # what the notice noted (a ticket, do-not-call) stays
            detail = f"{attempt.detail}; {detail}" if detail else attempt.detail
        (CallAttempt.update(state=state, result=result, dial_status=dial_status, hangup_cause=hangup_cause,
                            talk_seconds=talk_seconds, answer_seconds=answer_seconds,
                            early_media=early_media, detail=detail,
                            ended_at=ended_at)
         .where(CallAttempt.id == attempt_id, CallAttempt.state == "dialling").execute())
        if state == "done":
            retries.retry(attempt, result, ended_at)
    return True
