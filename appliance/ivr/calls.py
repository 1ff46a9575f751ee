"""Call records: every call the IVR (or an outbound flow) handles.

A record is committed when the call starts (so a crash leaves a trace), again
before any effect that depends on it (a ticket opened, an SMS queued), and when
it ends. Between those, the path through the menu and the keys pressed are
kept on the object and written with the next commit: they are a log of the
call, not state another part acts on.

Keys that are secrets (ID number digits) are stored masked, never in clear.
"""

from peewee import SQL, fn

from appliance import clock, listings, phones
from appliance.errors import N_, InputError
from appliance.ivr.models import CALL_OUTCOMES, Call


def new_call(*, uniqueid="", script="ivr", channel="", caller_id="", caller_name="",
             called_number="", customer=None, staff=None, language="zh"):
    """The record of a call that has just begun, not saved yet (save(force_insert=True))."""
    return Call(uniqueid=uniqueid, script=script, channel=channel, caller_id=caller_id or "",
                caller_name=caller_name or "", called_number=called_number or "",
                customer=customer, staff=staff, language=language, started_at=clock.now())


def start_call(**fields):
    """Create and commit the record of a call that has just begun."""
    call = new_call(**fields)
    call.save(force_insert=True)
    return call


def checkpoint(call):
    """Commit what the call record holds so far (before an effect that depends on it)."""
    call.save()


def finish_call(call, outcome, ended_in="", detail=None):
    """Close the record with its outcome; committed."""
    if outcome not in CALL_OUTCOMES or outcome == "in_progress":
        raise InputError.of(N_("{field}: must be one of {choices}"),
                            field="outcome", choices=', '.join(CALL_OUTCOMES[1:]))
    call.outcome = outcome
    call.ended_in = ended_in or call.ended_in
    call.ended_at = clock.now()
    if detail:
        call.note(detail)
    call.save()
    return call


def close_interrupted_calls():
    """Calls still 'in progress' when a server starts were cut off by a crash or
    power cut: mark them interrupted. Returns how many."""
    return (Call.update(outcome="interrupted", ended_at=clock.now())
            .where(Call.outcome == "in_progress").execute())


def calls_query(*, outcome=None, caller=None, since=None, until=None, script=None):
    """Call records matching the filters (a peewee query). `since`/`until` are
    datetimes or 'YYYY-MM-DD[THH:MM]' text; `caller` a number in any form
    (13800138000, +86 138 0013 8000) or a caller ID as it came."""
    query = Call.select()
    if listings.choice(outcome, CALL_OUTCOMES, "outcome"):
        query = query.where(Call.outcome == outcome)
    if caller:
        query = query.where(Call.caller_id.in_(caller_forms(caller)))
    if since:
        query = query.where(Call.started_at >= _instant(since, "since"))
    if until:
        query = query.where(Call.started_at < _instant(until, "until"))
    if script:
        query = query.where(Call.script == script)
    return query


def caller_forms(caller):
    """The forms a caller ID may be stored in: records keep it as Asterisk gave it
    (national 13800138000 or E.164), so a number matches both; text that is no
    number (a withheld 'anonymous') matches only itself."""
    text = str(caller).strip()
    e164 = phones.e164_or_none(text)
    return sorted({text, e164, phones.national(e164)} if e164 else {text})


def listing(*, before=None, limit=listings.PAGE_SIZE, **filters):
    """A Page of call records, newest first, for `appliance calls` and GET
    /api/v1/calls; filters as calls_query(). Serialised by Call.to_dict()."""
    return listings.keyset(calls_query(**filters), Call.id, before, limit)


def _instant(value, field):
    return parse_since(value, field) if isinstance(value, str) else value


def count_calls(**filters):
    return calls_query(**filters).count()


def calls_per_day(start, end):
    """IVR use: ({'YYYY-MM-DD': calls started that day}, {outcome: calls}) for start..end inclusive."""
    day = listings.local_day(Call.started_at, start, end)
    since, until = clock.day_range(start, end)
    query = (Call.select(day.alias("local_day"), Call.outcome, fn.COUNT(Call.id))
             .where(Call.started_at >= since, Call.started_at < until)
             .group_by(SQL("local_day"), Call.outcome))
    per_day, outcomes = {}, {}
    for d, outcome, n in query.tuples():
        per_day[d] = per_day.get(d, 0) + n
        outcomes[outcome] = outcomes.get(outcome, 0) + n
    return per_day, outcomes


def get_call(call_id):
    from appliance.errors import NotFound
    call = Call.get_or_none(Call.id == call_id)
    if call is None:
        raise NotFound.of(N_("call {call_id} does not exist"), field="call", call_id=call_id)
    return call


def parse_since(text, field="since"):
    """'2026-11-22' or '2026-11-22T08:00' (the box's wall-clock time, or ISO with an
    offset) -> the instant, else InputError."""
    try:
        return clock.parse(text)
    except ValueError:
        raise InputError.of(N_("{field}: '{text}' is not a date (YYYY-MM-DD[THH:MM])"), field=field, text=text) from None
