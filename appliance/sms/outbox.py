"""The outbox: queue SMS, and the state changes the dispatcher makes on them.

This is the domain side of sending; it never talks to a modem. Services call
queue_message()/queue_many(); smsd's dispatcher (modem/dispatcher.py) calls
claim_part(), record_*(), expire_due() and recover_interrupted().

Crash rule (DESIGN.md section 3): a part reaches `sending` in the transaction
that claims it, committed before the modem is given it. After a crash, parts
still `sending` become `unknown` (recover_interrupted): never silently re-sent,
never silently dropped.
"""
import datetime
import functools
import logging
import re
from dataclasses import dataclass

import peewee

from appliance import db as dbmod
from appliance import phones
from appliance.errors import InputError
from appliance.sms.models import CATEGORIES, FINAL_STATES, Message, MessagePart
from appliance.sms.text import MAX_PARTS, segments

log = logging.getLogger(__name__)

BATCH = 500  # rows per INSERT; SQLite allows 32766 variables per statement
# How long after an interrupted submit a delivery report may still resolve it.
# The PDUs set no validity period, so the SMSC's default applies: it gives up
# (and reports) within days, typically one to three.
REPORT_WINDOW = datetime.timedelta(days=3)


def now():
    return datetime.datetime.now()


# --- queueing -------------------------------------------------------------------

CN_MOBILE = re.compile(r"(?:\+86|0086|86)?(1\d{10})")


@functools.lru_cache(maxsize=4096)
def _cn_mobile_prefix_valid(prefix7):
    try:
        phones.normalize("+86" + prefix7 + "0000")
        return True
    except InputError:
        return False


def _normalize(number, field):
    """phones.normalize, with a fast path for Chinese mobiles (a campaign has
    100,000 of them): their validity depends only on the first 7 digits in
    phonenumbers' metadata, so that answer is cached per prefix."""
    text = str(number or "").strip()
    match = CN_MOBILE.fullmatch(text)
    if match and _cn_mobile_prefix_valid(match.group(1)[:7]):
        return "+86" + match.group(1)
    return phones.normalize(text, field)

def _check_row(row, where=""):
    """Validate one message's fields; returns the Message column values."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}text: empty", field="text")
    number = _normalize(row.get("to_number"), f"{where}to_number")
    category = row.get("category", "service")
    if category not in CATEGORIES:
        raise InputError(f"{where}category: must be one of {', '.join(CATEGORIES)}", field="category")
    priority = row.get("priority", 5)
    if not isinstance(priority, int) or not 1 <= priority <= 9:
        raise InputError(f"{where}priority: must be 1..9, got {priority!r}", field="priority")
    not_before, not_after = row.get("not_before"), row.get("not_after")
    if not_before and not_after and not_after <= not_before:
        raise InputError(f"{where}not_after: must be later than not_before", field="not_after")
    seg = segments(text)
    if seg.part_count > MAX_PARTS:
        raise InputError(f"{where}text: too long ({seg.part_count} parts, at most {MAX_PARTS})", field="text")
    stamp = now()
    customer, staff = row.get("customer"), row.get("staff")
    return {
        "to_number": number, "text": text, "encoding": seg.encoding, "part_count": seg.part_count,
        "state": "queued", "category": category, "priority": priority,
        "not_before": not_before, "not_after": not_after,
        "delivery_report": row.get("delivery_report", True),
        "created_at": stamp, "updated_at": stamp,
        "customer": getattr(customer, "id", customer), "staff": getattr(staff, "id", staff),
        "source": row.get("source", ""), "created_by": row.get("created_by", ""),
        "department": row.get("department", ""), "campaign_id": row.get("campaign_id"),
        "dedupe_key": row.get("dedupe_key"),
    }


def queue_message(to_number, text, *, category="service", priority=5, not_before=None, not_after=None,
                  customer=None, staff=None, source="", created_by="", department="",
                  campaign_id=None, dedupe_key=None, delivery_report=True):
    """Queue one SMS; returns its Message. The number is validated (InputError naming
    `to_number`); with a dedupe_key already queued, the existing message is returned."""
    values = _check_row(dict(to_number=to_number, text=text, category=category, priority=priority,
                             not_before=not_before, not_after=not_after, customer=customer,
                             staff=staff, source=source, created_by=created_by,
                             department=department, campaign_id=campaign_id,
                             dedupe_key=dedupe_key, delivery_report=delivery_report))
    with dbmod.write_transaction():
        if dedupe_key is not None:
            existing = Message.get_or_none(Message.dedupe_key == dedupe_key)
            if existing is not None:
                return existing
        message = Message.create(**values)
        MessagePart.insert_many(_part_rows(message.id, values["part_count"])).execute()
    return message


def _part_rows(message_id, count):
    # The UDH reference is shared by a message's parts; 8 bits, as most phones expect.
    ref = message_id % 256 if count > 1 else None
    return [{"message": message_id, "seq": seq, "state": "queued", "concat_ref": ref}
            for seq in range(1, count + 1)]


def queue_many(rows, *, skip_invalid=False):
    """Queue many SMS in one transaction (campaigns). `rows` are dicts with the
    keyword arguments of queue_message. Returns one Message id per row, in order:
    the existing id for a dedupe_key already queued (or repeated in `rows`), None for
    a row skipped as invalid (skip_invalid=True); otherwise the first bad row raises
    InputError naming it ('row 17: to_number: …') and nothing is queued."""
    checked = []
    for index, row in enumerate(rows, start=1):
        try:
            checked.append(_check_row(row, f"row {index}: "))
        except InputError:
            if not skip_invalid:
                raise
            checked.append(None)
    ids = [None] * len(checked)
    with dbmod.write_transaction():
        existing = _existing_keys([v["dedupe_key"] for v in checked if v and v["dedupe_key"]])
        first_row, fresh, repeats = {}, [], []
        for i, values in enumerate(checked):
            if values is None:
                continue
            key = values["dedupe_key"]
            if key is not None and key in existing:
                ids[i] = existing[key]
            elif key is not None and key in first_row:
                repeats.append((i, first_row[key]))
            else:
                if key is not None:
                    first_row[key] = i
                fresh.append(i)
        new_ids = _insert_messages([checked[i] for i in fresh])
        for i, message_id in zip(fresh, new_ids):
            ids[i] = message_id
        for i, first in repeats:  # a key repeated within rows: the first row's message
            ids[i] = ids[first]
        parts = []
        for i, message_id in zip(fresh, new_ids):
            parts.extend(_part_rows(message_id, checked[i]["part_count"]))
        _insert_parts(parts)
    return ids


def _existing_keys(keys):
    found = {}
    for start in range(0, len(keys), BATCH):
        chunk = keys[start:start + BATCH]
        for key, message_id in (Message.select(Message.dedupe_key, Message.id)
                                .where(Message.dedupe_key.in_(chunk)).tuples()):
            found[key] = message_id
    return found


def _insert_messages(values):
    """Insert rows and return their ids in order (inside the caller's write transaction)."""
    if not values:
        return []
    db = dbmod.database.obj
    if isinstance(db, peewee.SqliteDatabase):
        # The write transaction holds SQLite's lock, so ids after the current maximum
        # are ours. Plain executemany: peewee's query builder costs ~0.3 ms a row,
        # too slow for a 100,000-recipient campaign.
        start = (Message.select(peewee.fn.MAX(Message.id)).scalar() or 0) + 1
        rows = [dict(v, id=start + i) for i, v in enumerate(values)]
        _executemany(Message, rows)
        return list(range(start, start + len(values)))
    ids = []
    for offset in range(0, len(values), BATCH):
        cursor = Message.insert_many(values[offset:offset + BATCH]).returning(Message.id).execute()
        ids.extend(row.id if hasattr(row, "id") else row[0] for row in cursor)
    return ids


def _executemany(model, rows):
    """INSERT rows (dicts named by field; missing fields take their defaults) in one executemany."""
    db = dbmod.database.obj
    given = set(rows[0])
    fields = [f for f in model._meta.sorted_fields if f.name in given or f.default is not None]
    defaults = {f.name: (f.default() if callable(f.default) else f.default)
                for f in fields if f.name not in given}
    sql = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(f.column_name for f in fields)}) '
           f'VALUES ({", ".join([db.param] * len(fields))})')
    plan = [(f.name, f.db_value, defaults.get(f.name)) for f in fields]
    plain = (str, int, float, type(None))

    def values(row):
        out = []
        for name, conv, default in plan:
            value = row.get(name, default)
            out.append(value if type(value) in plain else conv(value))
        return out

    db.cursor().executemany(sql, [values(row) for row in rows])


def _insert_parts(rows):
    if not rows:
        return
    if isinstance(dbmod.database.obj, peewee.SqliteDatabase):
        _executemany(MessagePart, rows)
        return
    for offset in range(0, len(rows), BATCH):
        MessagePart.insert_many(rows[offset:offset + BATCH]).execute()


def cancel(message_id, actor="system"):
    """Withdraw a message whose parts are all still queued; returns True if cancelled."""
    with dbmod.write_transaction():
        message = Message.get_or_none(Message.id == message_id)
        if message is None or message.state != "queued" or \
                MessagePart.select().where(MessagePart.message == message_id,
                                           MessagePart.state != "queued").exists():
            return False
        stamp = now()
        MessagePart.update(state="cancelled", status_at=stamp).where(MessagePart.message == message_id).execute()
        Message.update(state="cancelled", final_at=stamp, updated_at=stamp,
                       failure_reason=f"cancelled by {actor}").where(Message.id == message_id).execute()
    return True


# --- what the dispatcher does -----------------------------------------------------
# These run for every part smsd sends, so they use plain SQL in batches: peewee's
# query builder costs a few hundred microseconds per statement, and the budget is
# 2 ms of CPU per part for everything.

@dataclass
class ReadyPart:
    """A queued part with what is needed to build its PDU."""
    part_id: int
    message_id: int
    seq: int
    concat_ref: int
    attempts: int
    modem: str
    to_number: str
    text: str
    part_count: int
    delivery_report: bool


@dataclass
class Result:
    """What became of one submit: kind is sent | retry | failed | unknown."""
    part_id: int
    kind: str
    reference: int = None
    error: str = ""
    retry_at: datetime.datetime = None


def _sql(text):
    db = dbmod.database.obj
    return text.replace("?", db.param) if db.param != "?" else text


def _rows(text, params=()):
    return dbmod.database.obj.execute_sql(_sql(text), params).fetchall()


def _many(text, rows):
    if rows:
        dbmod.database.obj.cursor().executemany(_sql(text), rows)


def _stamp(value):
    """A datetime as the database stores it (peewee's own conversion)."""
    return MessagePart.sent_at.db_value(value)


READY_SQL = """
SELECT p.id, p.message_id, p.seq, p.concat_ref, p.attempts, p.modem, m.to_number, m.text,
       m.part_count, m.delivery_report
FROM message m JOIN message_part p ON p.message_id = m.id
WHERE m.state = 'queued' AND p.state = 'queued'
  AND (m.not_before IS NULL OR m.not_before <= ?)
  AND (m.not_after IS NULL OR m.not_after > ?)
  AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= ?)
  AND NOT EXISTS (SELECT 1 FROM message_part q
                  WHERE q.message_id = m.id AND q.state = 'queued' AND q.seq < p.seq)
ORDER BY m.priority, m.id, p.seq
LIMIT ?"""


def ready_parts(limit, at=None, exclude_messages=()):
    """Queued parts that may go now, best first, at most one per message: its
    lowest queued seq, so parts go in order and a part backing off holds the rest
    of its message. At most `limit` of them. Read only."""
    at = _stamp(at or now())
    seen, picked = set(exclude_messages), []
    for row in _rows(READY_SQL, (at, at, at, limit * 4 + len(seen))):
        part = ReadyPart(*row[:9], bool(row[9]))
        if part.message_id in seen:
            continue
        seen.add(part.message_id)
        picked.append(part)
        if len(picked) >= limit:
            break
    return picked


def next_part_of(message_id, at=None):
    """The next queued part of a message being sent, if it may go now."""
    at = _stamp(at or now())
    rows = _rows("""
        SELECT p.id, p.message_id, p.seq, p.concat_ref, p.attempts, p.modem, m.to_number, m.text,
               m.part_count, m.delivery_report
        FROM message_part p JOIN message m ON m.id = p.message_id
        WHERE p.message_id = ? AND p.state = 'queued' AND (m.not_after IS NULL OR m.not_after > ?)
          AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= ?)
          AND NOT EXISTS (SELECT 1 FROM message_part q
                          WHERE q.message_id = p.message_id AND q.state = 'queued' AND q.seq < p.seq)
        ORDER BY p.seq LIMIT 1""", (message_id, at, at))
    return ReadyPart(*rows[0][:9], bool(rows[0][9])) if rows else None


def claim_parts(claims, at=None):
    """Mark queued parts `sending`; call inside a write transaction that commits
    before any modem gets them. claims: (ReadyPart, modem, imsi, pdu, carrier).
    Returns the ids of the parts claimed (a part no longer queued is not)."""
    if not claims:
        return set()
    at = _stamp(at or now())
    ids = [c[0].part_id for c in claims]
    queued = {pid for (pid,) in _rows(f"SELECT id FROM message_part WHERE state = 'queued' AND id IN "
                                      f"({', '.join('?' * len(ids))})", ids)}
    claims = [c for c in claims if c[0].part_id in queued]
    _many("UPDATE message_part SET state = 'sending', modem = ?, imsi = ?, pdu = ?, carrier = ?, "
          "attempts = attempts + 1, error = '' WHERE id = ? AND state = 'queued'",
          [(modem, imsi, pdu, carrier, part.part_id) for part, modem, imsi, pdu, carrier in claims])
    _many("UPDATE message SET state = 'sending', updated_at = ? WHERE id = ?",
          [(at, mid) for mid in {c[0].message_id for c in claims}])
    return {c[0].part_id for c in claims}


def claim_part(part_id, modem, imsi="", pdu="", carrier=""):
    """Mark one queued part `sending` (inside a write transaction). Returns False if
    it was not queued any more."""
    row = _rows("SELECT message_id FROM message_part WHERE id = ?", (part_id,))
    if not row:
        return False
    part = ReadyPart(part_id, row[0][0], 0, 0, 0, "", "", "", 1, True)
    return bool(claim_parts([(part, modem, imsi, pdu, carrier)]))


def record_results(results, at=None):
    """Record what the modems did with claimed parts, in one go (inside a write
    transaction); messages follow their parts."""
    if not results:
        return
    at_db = _stamp(at or now())
    sent = [(r.reference, at_db, r.part_id) for r in results if r.kind == "sent"]
    _many("UPDATE message_part SET state = 'sent', reference = ?, sent_at = ?, error = '' WHERE id = ?", sent)
    _many("UPDATE message_part SET state = 'queued', error = ?, next_attempt_at = ? WHERE id = ?",
          [(r.error, _stamp(r.retry_at), r.part_id) for r in results if r.kind == "retry"])
    _many("UPDATE message_part SET state = 'unknown', error = ?, status_at = ? WHERE id = ?",
          [(r.error, at_db, r.part_id) for r in results if r.kind == "unknown"])
    failed = [r for r in results if r.kind == "failed"]
    _many("UPDATE message_part SET state = 'failed', error = ?, status_at = ? WHERE id = ?",
          [(r.error, at_db, r.part_id) for r in failed])
    ids = [r.part_id for r in results]
    owner = dict(_rows(f"SELECT id, message_id FROM message_part WHERE id IN ({', '.join('?' * len(ids))})", ids))
    if failed:
        _many("UPDATE message_part SET state = 'failed', error = 'another part of the message failed', "
              "status_at = ? WHERE message_id = ? AND state = 'queued'",
              [(at_db, owner[r.part_id]) for r in failed])
        _many("UPDATE message SET failure_reason = ? WHERE id = ?", [(r.error, owner[r.part_id]) for r in failed])
    refresh_messages(set(owner.values()), at)


def record_sent(part_id, reference, at=None):
    record_results([Result(part_id, "sent", reference=reference)], at)


def record_retry(part_id, error, retry_at, at=None):
    """A transient failure: back to queued, not before retry_at."""
    record_results([Result(part_id, "retry", error=error, retry_at=retry_at)], at)


def record_failed(part_id, error, at=None):
    """A permanent failure: this part and the message's parts not yet sent fail."""
    record_results([Result(part_id, "failed", error=error)], at)


def record_unknown(part_id, error, at=None):
    """The submit was interrupted: the part may or may not have gone out."""
    record_results([Result(part_id, "unknown", error=error)], at)


def record_status_reports(reports, at=None):
    """Match delivery reports to parts by modem, reference and number. reports:
    (modem, reference, number, delivered, status_code, words). The latest part sent
    with that reference wins (references wrap at 256). Returns the matched part id
    per report (None where none matched)."""
    at_db = _stamp(at or now())
    matched, updates, failures = [], [], []
    for modem, reference, number, delivered, code, words in reports:
        digits = "".join(ch for ch in (number or "") if ch.isdigit())[-8:]
        rows = _rows("""
            SELECT p.id, p.message_id, m.to_number FROM message_part p JOIN message m ON m.id = p.message_id
            WHERE p.modem = ? AND p.reference = ?
              AND p.state IN ('sent', 'unknown', 'sending', 'delivered', 'failed')
            ORDER BY p.sent_at DESC, p.id DESC LIMIT 8""", (modem, reference))
        hit = next((r for r in rows if not digits or r[2].endswith(digits)), None)
        if hit is None and digits:
            hit = _interrupted_part_for(modem, number, digits, at or now())
        matched.append(hit[0] if hit else None)
        if hit:
            updates.append(("delivered" if delivered else "failed", code, at_db, "" if delivered else words,
                            reference, hit[0]))
            if not delivered:
                failures.append((words, hit[1]))
    _many("UPDATE message_part SET state = ?, status_code = ?, status_at = ?, error = ?, "
          "reference = COALESCE(reference, ?) WHERE id = ?", updates)
    _many("UPDATE message SET failure_reason = ? WHERE id = ?", failures)
    if updates:
        ids = [u[-1] for u in updates]
        owners = {mid for (mid,) in _rows(f"SELECT DISTINCT message_id FROM message_part WHERE id IN "
                                          f"({', '.join('?' * len(ids))})", ids)}
        refresh_messages(owners, at)
    return matched


def _interrupted_part_for(modem, number, digits, at):
    """A report no sent part claims may be for a submit interrupted after the
    modem took it (power cut between +CMGS's reply and the commit): that part is
    `unknown` with no reference. Match it only when exactly one such part on this
    modem went to this number within REPORT_WINDOW; never guess between several."""
    rows = _rows("""
        SELECT p.id, p.message_id, m.to_number FROM message_part p JOIN message m ON m.id = p.message_id
        WHERE p.modem = ? AND p.state = 'unknown' AND p.reference IS NULL AND p.status_at >= ?
          AND m.to_number LIKE ?
        LIMIT 2""", (modem, _stamp(at - REPORT_WINDOW), "%" + digits))
    return rows[0] if len(rows) == 1 else None


def record_status_report(modem, reference, number, delivered, status_code, words, at=None):
    """One delivery report; returns the matched part id or None."""
    return record_status_reports([(modem, reference, number, delivered, status_code, words)], at)[0]


def message_state(part_states):
    """A message's state from its parts' states."""
    states = set(part_states)
    if "sending" in states:
        return "sending"
    if "queued" in states:
        return "queued"
    for state in ("failed", "expired", "unknown"):
        if state in states:
            return state
    if states == {"delivered"}:
        return "delivered"
    if states == {"cancelled"}:
        return "cancelled"
    return "sent"


def refresh_messages(message_ids, at=None):
    """Set each message's state from its parts (and sent_at / final_at)."""
    message_ids = list(message_ids)
    if not message_ids:
        return {}
    at_db = _stamp(at or now())
    states = {}
    for start in range(0, len(message_ids), BATCH):
        chunk = message_ids[start:start + BATCH]
        for mid, state in _rows(f"SELECT message_id, state FROM message_part WHERE message_id IN "
                                f"({', '.join('?' * len(chunk))})", chunk):
            states.setdefault(mid, []).append(state)
    result = {mid: message_state(parts) for mid, parts in states.items()}
    _many("UPDATE message SET state = ?, updated_at = ?, "
          "final_at = CASE WHEN ? = 1 THEN ? ELSE final_at END, "
          "sent_at = CASE WHEN ? = 1 THEN COALESCE(sent_at, ?) ELSE sent_at END WHERE id = ?",
          [(state, at_db, int(state in FINAL_STATES), at_db, int(state == "sent"), at_db, mid)
           for mid, state in result.items()])
    return result


def refresh_message(message_id, at=None):
    return refresh_messages([message_id], at).get(message_id)


def expire_due(at=None):
    """Messages whose window ended with parts not sent: those parts and the message
    become expired (never sent late). Returns how many messages expired."""
    at = at or now()
    with dbmod.write_transaction():
        ids = [m for (m,) in Message.select(Message.id)
               .where(Message.state == "queued", Message.not_after.is_null(False), Message.not_after <= at)
               .tuples()]
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            MessagePart.update(state="expired", status_at=at, error="window ended before it was sent").where(
                MessagePart.message.in_(chunk), MessagePart.state == "queued").execute()
            Message.update(failure_reason="window ended before it was sent").where(Message.id.in_(chunk)).execute()
            refresh_messages(chunk, at)
    if ids:
        log.info("%d message(s) expired at the end of their window", len(ids))
    return len(ids)


def recover_interrupted(at=None):
    """At start: parts left `sending` by a crash become `unknown`. Returns the count."""
    at = at or now()
    with dbmod.write_transaction():
        ids = [p for (p,) in MessagePart.select(MessagePart.id).where(MessagePart.state == "sending").tuples()]
        record_results([Result(pid, "unknown", error="submit interrupted by a restart; not re-sent")
                        for pid in ids], at)
    if ids:
        log.warning("%d part(s) were being submitted when smsd stopped: marked unknown", len(ids))
    return len(ids)


def sent_counts(since):
    """Parts submitted per SIM (IMSI) since a time: for daily and monthly caps."""
    return dict(MessagePart.select(MessagePart.imsi, peewee.fn.COUNT(MessagePart.id))
                .where(MessagePart.sent_at >= since, MessagePart.imsi != "")
                .group_by(MessagePart.imsi).tuples())


# --- reading -------------------------------------------------------------------

def as_dict(message, parts=None):
    """A message with its parts, for --json and the API."""
    parts = parts if parts is not None else list(message.parts.order_by(MessagePart.seq))
    return {
        "id": message.id, "to_number": message.to_number, "text": message.text,
        "state": message.state, "encoding": message.encoding, "part_count": message.part_count,
        "category": message.category, "priority": message.priority,
        "not_before": message.not_before, "not_after": message.not_after,
        "created_at": message.created_at, "sent_at": message.sent_at, "final_at": message.final_at,
        "failure_reason": message.failure_reason, "source": message.source,
        "campaign_id": message.campaign_id,
        "parts": [{"seq": p.seq, "state": p.state, "modem": p.modem, "reference": p.reference,
                   "attempts": p.attempts, "sent_at": p.sent_at, "status_at": p.status_at,
                   "status_code": p.status_code, "error": p.error} for p in parts],
    }


def listing(limit=50, state=None):
    query = Message.select().order_by(Message.id.desc()).limit(limit)
    if state:
        query = query.where(Message.state == state)
    messages = list(query)
    parts = {}
    if messages:
        for p in (MessagePart.select().where(MessagePart.message.in_([m.id for m in messages]))
                  .order_by(MessagePart.seq)):
            parts.setdefault(p.message_id, []).append(p)
    return [as_dict(m, parts.get(m.id, [])) for m in messages]
