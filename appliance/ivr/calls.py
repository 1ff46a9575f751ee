"""Call records: every call the IVR (or an outbound flow) handles.

A record is committed when the call starts (so a crash leaves a trace), again
before any effect that depends on it (a ticket opened, an SMS queued), and when
it ends. Between those, the path through the menu and the keys pressed are
kept on the object and written with the next commit: they are a log of the
call, not state another part acts on.

Keys that are secrets (ID number digits) are stored masked, never in clear.
"""
import datetime
import json

from peewee import CharField, DateTimeField, ForeignKeyField, TextField, fn

from appliance.db import BaseModel
from appliance.errors import InputError
from appliance.models import Customer, Staff, now, one_of
from appliance.privacy import mask_digits, mask_mobile

OUTCOMES = ("in_progress", "completed", "caller_hung_up", "transferred", "error", "interrupted")
OUTCOME_WORDS = {
    "in_progress": "in progress", "completed": "completed", "caller_hung_up": "caller hung up",
    "transferred": "transferred to operator", "error": "error", "interrupted": "interrupted (server stopped)",
}


class Call(BaseModel):
    uniqueid = CharField(default="", index=True)  # Asterisk's agi_uniqueid
    script = CharField(default="ivr")              # ivr, notify, survey, screen
    channel = CharField(default="")
    caller_id = CharField(default="", index=True)  # as Asterisk gave it: may be 'unknown'
    caller_name = CharField(default="")
    called_number = CharField(default="")           # the DID dialled (agi_dnid / agi_extension)
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    language = CharField(default="zh")
    started_at = DateTimeField(default=now, index=True)
    ended_at = DateTimeField(null=True)
    path = TextField(default="[]")   # JSON list of menu node names, in order
    keys = TextField(default="[]")   # JSON list of [node, keys] with secrets masked
    outcome = CharField(default="in_progress", constraints=[one_of("outcome", OUTCOMES)], index=True)
    ended_in = CharField(default="")  # the node where the call ended (e.g. where the caller hung up)
    detail = TextField(default="")    # e.g. 'ticket 2611220003'

    # path and keys are parsed once, on first use, and kept as lists until saved.
    @property
    def _path(self):
        if "_path_cache" not in self.__dict__:
            self.__dict__["_path_cache"] = json.loads(self.path or "[]")
        return self.__dict__["_path_cache"]

    @property
    def _keys(self):
        if "_keys_cache" not in self.__dict__:
            self.__dict__["_keys_cache"] = json.loads(self.keys or "[]")
        return self.__dict__["_keys_cache"]

    # --- kept in memory, written with the next save ----------------------------
    def enter(self, node):
        """Note that the caller reached menu node / flow step `node`."""
        self._path.append(node)

    def pressed(self, node, keys, secret=False):
        """Note keys the caller pressed at `node`; secret keys are masked before storing."""
        if keys:
            self._keys.append([node, mask_digits(keys) if secret else keys])

    def note(self, text):
        self.detail = f"{self.detail}; {text}" if self.detail else text

    @property
    def path_list(self):
        return list(self._path)

    @property
    def key_list(self):
        return [list(k) for k in self._keys]

    def save(self, *args, **kwargs):
        self.path = json.dumps(self._path, ensure_ascii=False)
        self.keys = json.dumps(self._keys, ensure_ascii=False)
        return super().save(*args, **kwargs)

    def to_dict(self, mask=True):
        duration = (self.ended_at - self.started_at).total_seconds() if self.ended_at else None
        return {
            "id": self.id, "uniqueid": self.uniqueid, "script": self.script,
            "caller_id": mask_mobile(self.caller_id) if mask else self.caller_id,
            "called_number": self.called_number, "customer_id": self.customer_id,
            "staff_id": self.staff_id, "language": self.language,
            "started_at": self.started_at, "ended_at": self.ended_at, "duration_s": duration,
            "path": self.path_list, "keys": self.key_list, "outcome": self.outcome,
            "outcome_text": OUTCOME_WORDS[self.outcome], "ended_in": self.ended_in, "detail": self.detail,
        }


CALL_MODELS = [Call]


def new_call(*, uniqueid="", script="ivr", channel="", caller_id="", caller_name="",
             called_number="", customer=None, staff=None, language="zh"):
    """The record of a call that has just begun, not saved yet (save(force_insert=True))."""
    return Call(uniqueid=uniqueid, script=script, channel=channel, caller_id=caller_id or "",
                caller_name=caller_name or "", called_number=called_number or "",
                customer=customer, staff=staff, language=language, started_at=now())


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
    if outcome not in OUTCOMES or outcome == "in_progress":
        raise InputError(f"outcome: must be one of {', '.join(OUTCOMES[1:])}", field="outcome")
    call.outcome = outcome
    call.ended_in = ended_in or call.ended_in
    call.ended_at = now()
    if detail:
        call.note(detail)
    call.save()
    return call


def close_interrupted_calls():
    """Calls still 'in progress' when a server starts were cut off by a crash or
    power cut: mark them interrupted. Returns how many."""
    return (Call.update(outcome="interrupted", ended_at=now())
            .where(Call.outcome == "in_progress").execute())


def calls_query(*, outcome=None, caller=None, since=None, until=None, script=None):
    """Call records matching the filters, newest first (a peewee query).
    `since`/`until` are datetimes; `caller` an exact caller ID."""
    if outcome and outcome not in OUTCOMES:
        raise InputError(f"outcome: must be one of {', '.join(OUTCOMES)}, got {outcome!r}", field="outcome")
    query = Call.select().order_by(Call.started_at.desc(), Call.id.desc())
    if outcome:
        query = query.where(Call.outcome == outcome)
    if caller:
        query = query.where(Call.caller_id == caller)
    if since:
        query = query.where(Call.started_at >= since)
    if until:
        query = query.where(Call.started_at < until)
    if script:
        query = query.where(Call.script == script)
    return query


def list_calls(*, limit=100, offset=0, **filters):
    """Call records, newest first; filters as calls_query()."""
    return list(calls_query(**filters).limit(limit).offset(offset))


def count_calls(**filters):
    return calls_query(**filters).count()


def calls_per_day(start, end):
    """IVR use: ({'YYYY-MM-DD': calls started that day}, {outcome: calls}) for start..end inclusive."""
    day = fn.DATE(Call.started_at)
    query = (Call.select(day, Call.outcome, fn.COUNT(Call.id))
             .where(Call.started_at >= datetime.datetime.combine(start, datetime.time()),
                    Call.started_at < datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()))
             .group_by(day, Call.outcome))
    per_day, outcomes = {}, {}
    for d, outcome, n in query.tuples():
        d = str(d)[:10]  # DATE() may come back as a datetime
        per_day[d] = per_day.get(d, 0) + n
        outcomes[outcome] = outcomes.get(outcome, 0) + n
    return per_day, outcomes


def get_call(call_id):
    from appliance.errors import NotFound
    call = Call.get_or_none(Call.id == call_id)
    if call is None:
        raise NotFound(f"call {call_id} does not exist", field="call")
    return call


def parse_since(text, field="since"):
    """'2026-11-22' or '2026-11-22T08:00' -> datetime, else InputError."""
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{field}: '{text}' is not a date (YYYY-MM-DD[THH:MM])", field=field) from None
