"""The dispatcher's side of the outbox: claiming parts, recording results and
delivery reports, expiry and recovery after a crash.

smsd's dispatcher (modem/dispatcher.py) is the only caller; services queue
messages through appliance.sms.outbox and never change a part's state.

Crash rule (DESIGN.md section 3): a part reaches `sending` in the transaction
that claims it, committed before the modem is given it. After a crash, parts
still `sending` become `unknown` (recover_interrupted): never silently re-sent,
never silently dropped.

Several boxes on one PostgreSQL database (issue 16): a claim names its box
(claimed_by) and locks what it takes with FOR UPDATE SKIP LOCKED, so two boxes
never claim one part and neither waits for the other; SQLite keeps its single
writer (BEGIN IMMEDIATE). Only the box itself recovers its `sending` parts at
start; those of a box whose heartbeat stopped are marked `unknown` by the others
(recover_dead_boxes). Queued parts belong to nobody: any box sends them.

These run for every part smsd sends, so they use plain SQL in batches: peewee's
query builder costs a few hundred microseconds per statement, and the budget is
2 ms of CPU per part for everything.
"""
import datetime
import logging
from dataclasses import dataclass

import peewee

from appliance import clock, db as dbmod
from appliance.sms.models import FINAL_STATES, Message, MessagePart

log = logging.getLogger(__name__)

BATCH = 500  # ids per IN (...); SQLite allows 32766 variables per statement
# How long after an interrupted submit a delivery report may still resolve it.
# The PDUs set no validity period, so the SMSC's default applies: it gives up
# (and reports) within days, typically one to three.
REPORT_WINDOW = datetime.timedelta(days=3)


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
    sender: str = ""       # a later part of a long message: the modem its earlier parts left from
    sender_imsi: str = ""  # and the SIM (the receiving phone joins parts from one sender only)


@dataclass
class Result:
    """What became of one submit: kind is sent | retry | failed | unknown."""
    part_id: int
    kind: str
    reference: int = None
    error: str = ""
    retry_at: datetime.datetime = None
    bearer_ref: str = ""   # SMPP: the SMSC's message_id from submit_sm_resp (its receipts name it)


# --- raw SQL ---------------------------------------------------------------------

def _sql(text):
    db = dbmod.database.obj
    return text.replace("?", db.param) if db.param != "?" else text


def _rows(text, params=()):
    return dbmod.database.obj.execute_sql(_sql(text), params).fetchall()


def _many(text, rows):
    if rows:
        dbmod.database.obj.cursor().executemany(_sql(text), rows)


def _marks(values):
    return ", ".join("?" * len(values))


def _skip_locked():
    """Row locks that skip what another box holds (PostgreSQL); '' on SQLite, whose
    BEGIN IMMEDIATE already makes the claiming transaction the only writer."""
    return "" if isinstance(dbmod.database.obj, peewee.SqliteDatabase) else " FOR UPDATE OF p SKIP LOCKED"


def _stamp(value):
    """A datetime as the database stores it (peewee's own conversion)."""
    return MessagePart.sent_at.db_value(value)


# --- choosing and claiming ---------------------------------------------------------

PART_COLUMNS = """p.id, p.message_id, p.seq, p.concat_ref, p.attempts, p.modem, m.to_number, m.text,
       m.part_count, m.delivery_report,
       (SELECT q.modem || ' ' || q.imsi FROM message_part q
        WHERE q.message_id = p.message_id AND q.seq = p.seq - 1) AS sender"""

# A part is ready when every earlier part of its message went out (sent or
# delivered): parts go in order, one at a time, a part backing off holds the rest,
# and nothing follows a part whose submit is in flight or was interrupted (unknown).
EARLIER_DONE = """NOT EXISTS (SELECT 1 FROM message_part q
                  WHERE q.message_id = p.message_id AND q.seq < p.seq AND q.state NOT IN ('sent', 'delivered'))"""
# A later part goes from the box (and modem) its earlier parts left from: other boxes
# leave it alone ('' marks parts sent before boxes had names).
OUR_SENDER = """(p.seq = 1 OR EXISTS (SELECT 1 FROM message_part q
                  WHERE q.message_id = p.message_id AND q.seq = p.seq - 1 AND q.claimed_by IN (?, '')))"""

# Which bearer takes a part (issue 18): a message's first part goes by the bearer the routing
# chose (message.bearer), or over SMPP as overflow; its later parts go the way the first went
# (the part before names modem 'smpp' when it went over SMPP).
PREVIOUS_BY_SMPP = """EXISTS (SELECT 1 FROM message_part q
                  WHERE q.message_id = p.message_id AND q.seq = p.seq - 1 AND q.modem = 'smpp')"""
FOR_BEARER = {
    "modem": f"m.bearer = 'modem' AND (p.seq = 1 OR NOT {PREVIOUS_BY_SMPP})",
    "smpp": f"((p.seq = 1 AND m.bearer = 'smpp') OR (p.seq > 1 AND {PREVIOUS_BY_SMPP}))",
    "overflow": f"((p.seq = 1 AND m.bearer IN ('smpp', 'modem')) OR (p.seq > 1 AND {PREVIOUS_BY_SMPP}))",
}

READY_SQL = """
SELECT {columns}
FROM message m JOIN message_part p ON p.message_id = m.id
WHERE m.state = 'queued' AND p.state = 'queued'
  AND (m.not_before IS NULL OR m.not_before <= ?)
  AND (m.not_after IS NULL OR m.not_after > ?)
  AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= ?)
  AND {earlier_done} AND {our_sender} AND {bearer}
ORDER BY m.priority, m.id, p.seq
LIMIT ?"""

NEXT_PART_SQL = f"""
SELECT {PART_COLUMNS}
FROM message_part p JOIN message m ON m.id = p.message_id
WHERE p.message_id = ? AND p.state = 'queued' AND (m.not_after IS NULL OR m.not_after > ?)
  AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= ?)
  AND {EARLIER_DONE}
ORDER BY p.seq LIMIT 1"""


def _ready_part(row):
    sender, _, imsi = (row[10] or "").partition(" ") if row[2] > 1 else ("", "", "")
    return ReadyPart(*row[:9], bool(row[9]), sender=sender, sender_imsi=imsi)


def ready_parts(limit, now=None, box="", lock=False, bearer="modem"):
    """Queued parts box `box` may send now, best first, at most one per message, at
    most `limit` of them. lock=True (inside the claiming write transaction): on
    PostgreSQL the rows are locked, skipping those another box holds, so boxes
    sharing a database each get parts of their own instead of racing for the first.
    bearer: "modem" (the modem pool's), "smpp" (routed to SMPP), or "overflow" (SMPP's
    and the modems' first parts too: for the SMPP bearer while the modems are past capacity)."""
    stamp = _stamp(now or clock.now())
    seen, picked = set(), []
    sql = READY_SQL.format(columns=PART_COLUMNS, earlier_done=EARLIER_DONE, our_sender=OUR_SENDER,
                           bearer=FOR_BEARER[bearer]) + (_skip_locked() if lock else "")
    for row in _rows(sql, (stamp, stamp, stamp, box, limit * 4)):
        part = _ready_part(row)
        if part.message_id in seen:
            continue
        seen.add(part.message_id)
        picked.append(part)
        if len(picked) >= limit:
            break
    return picked


def next_part_of(message_id, now=None):
    """The next queued part of a message being sent, if it may go now."""
    stamp = _stamp(now or clock.now())
    rows = _rows(NEXT_PART_SQL, (message_id, stamp, stamp))
    return _ready_part(rows[0]) if rows else None


def claim_parts(claims, now=None, box=""):
    """Mark queued parts `sending` for box `box`; call inside a write transaction that
    commits before any modem gets them. claims: (part id, modem, imsi, pdu, carrier).
    Returns the ids of the parts claimed: a part no longer queued, or locked by
    another box's claim in flight (PostgreSQL), is not."""
    if not claims:
        return set()
    stamp = _stamp(now or clock.now())
    ids = sorted(c[0] for c in claims)
    # The rows are locked before they are read (SKIP LOCKED: what another box is
    # claiming is left to it), so the state read here is the state updated below.
    owner = dict(_rows(f"SELECT p.id, p.message_id FROM message_part p WHERE p.state = 'queued' "
                       f"AND p.id IN ({_marks(ids)}){_skip_locked()}", ids))
    claims = [c for c in claims if c[0] in owner]
    _many("UPDATE message_part SET state = 'sending', modem = ?, imsi = ?, pdu = ?, carrier = ?, claimed_by = ?, "
          "attempts = attempts + 1, error = '' WHERE id = ? AND state = 'queued'",
          [(modem, imsi, pdu, carrier, box, part_id) for part_id, modem, imsi, pdu, carrier in claims])
    _many("UPDATE message SET state = 'sending', updated_at = ? WHERE id = ?",
          [(stamp, mid) for mid in sorted({owner[c[0]] for c in claims})])
    return {c[0] for c in claims}


# --- results and reports -----------------------------------------------------------

def record_results(results, now=None):
    """Record what the modems did with claimed parts, in one go (inside a write
    transaction); messages follow their parts."""
    if not results:
        return
    now = now or clock.now()
    stamp = _stamp(now)
    _many("UPDATE message_part SET state = 'sent', reference = ?, sent_at = ?, error = '' WHERE id = ?",
          [(r.reference, stamp, r.part_id) for r in results if r.kind == "sent"])
    _many("UPDATE message_part SET bearer_ref = ? WHERE id = ?",
          [(r.bearer_ref, r.part_id) for r in results if r.kind == "sent" and r.bearer_ref])
    _many("UPDATE message_part SET state = 'queued', error = ?, next_attempt_at = ? WHERE id = ?",
          [(r.error, _stamp(r.retry_at), r.part_id) for r in results if r.kind == "retry"])
    _many("UPDATE message_part SET state = 'unknown', error = ?, status_at = ? WHERE id = ?",
          [(r.error, stamp, r.part_id) for r in results if r.kind == "unknown"])
    failed = [r for r in results if r.kind == "failed"]
    _many("UPDATE message_part SET state = 'failed', error = ?, status_at = ? WHERE id = ?",
          [(r.error, stamp, r.part_id) for r in failed])
    ids = [r.part_id for r in results]
    owner = dict(_rows(f"SELECT id, message_id FROM message_part WHERE id IN ({_marks(ids)})", ids))
    if failed:
        _fail_rest([(owner[r.part_id], "another part of the message failed", r.error) for r in failed], stamp)
    unknown = [r for r in results if r.kind == "unknown"]
    if unknown:
        # The receiving phone cannot complete a message whose part may be missing, and
        # a part after it would be the only sign of it: nothing follows an unknown part.
        _fail_rest([(owner[r.part_id], "not sent: an earlier part's submit was interrupted (unknown)",
                     "a part's submit was interrupted; the rest were not sent") for r in unknown], stamp,
                   only_if_rest=True)
    refresh_messages(set(owner.values()), now)


def _fail_rest(failures, stamp, only_if_rest=False):
    """One lost part spoils the message: its parts not yet sent fail with it.
    failures: (message id, error for those parts, the message's failure reason)."""
    for message_id, error, reason in failures:
        cursor = dbmod.database.obj.execute_sql(
            _sql("UPDATE message_part SET state = 'failed', error = ?, status_at = ? "
                 "WHERE message_id = ? AND state = 'queued'"), (error, stamp, message_id))
        if cursor.rowcount or not only_if_rest:
            _many("UPDATE message SET failure_reason = ? WHERE id = ?", [(reason, message_id)])


def record_status_reports(reports, now=None, box=""):
    """Match delivery reports to parts by box, modem, reference and number. reports:
    (modem, reference, number, delivered, status_code, words). The latest part sent
    with that reference wins (references wrap at 256). Returns the matched part id
    per report (None where none matched)."""
    now = now or clock.now()
    stamp = _stamp(now)
    matched, updates, failures = [], [], []
    for modem, reference, number, delivered, code, words in reports:
        hit = _part_for_report(box, modem, reference, number, now)
        matched.append(hit[0] if hit else None)
        if hit:
            updates.append(("delivered" if delivered else "failed", code, stamp, "" if delivered else words,
                            reference, hit[0]))
            if not delivered:
                failures.append((hit[1], "another part of the message failed", words))
    _many("UPDATE message_part SET state = ?, status_code = ?, status_at = ?, error = ?, "
          "reference = COALESCE(reference, ?) WHERE id = ?", updates)
    _settle_reported(updates, failures, stamp, now)
    return matched


def _settle_reported(updates, failures, stamp, now):
    """After reports were written: fail the rest of the messages a failed part belongs to,
    and bring the reported parts' messages up to date (updates: rows ending in the part id)."""
    _fail_rest(failures, stamp)
    if updates:
        ids = [u[-1] for u in updates]
        refresh_messages({mid for (mid,) in _rows(f"SELECT DISTINCT message_id FROM message_part WHERE id IN "
                                                 f"({_marks(ids)})", ids)}, now)


def record_receipts(receipts, now=None):
    """SMPP delivery receipts matched to parts by the SMSC's message_id (bearer_ref;
    parts with modem 'smpp', whichever box sent them: the account is the carrier's).
    receipts: (message_id, number, delivered, status_code, words), number the handset's.
    Returns the matched part id per receipt (None where none matched)."""
    now = now or clock.now()
    stamp = _stamp(now)
    matched, updates, failures = [], [], []
    for message_id, number, delivered, code, words in receipts:
        rows = _rows("SELECT p.id, p.message_id FROM message_part p WHERE p.bearer_ref = ? AND p.modem = 'smpp' "
                     "AND p.state IN ('sent', 'unknown', 'sending', 'delivered', 'failed') "
                     "ORDER BY p.sent_at DESC, p.id DESC LIMIT 1", (message_id,)) if message_id else []
        hit = rows[0] if rows else _interrupted_smpp_part_for(number, now)
        matched.append(hit[0] if hit else None)
        if hit:
            updates.append(("delivered" if delivered else "failed", code, stamp, "" if delivered else words,
                            message_id, hit[0]))
            if not delivered:
                failures.append((hit[1], "another part of the message failed", words))
    _many("UPDATE message_part SET state = ?, status_code = ?, status_at = ?, error = ?, "
          "bearer_ref = CASE WHEN bearer_ref = '' THEN ? ELSE bearer_ref END WHERE id = ?", updates)
    _settle_reported(updates, failures, stamp, now)
    return matched


def _interrupted_smpp_part_for(number, now):
    """A receipt naming a message_id no part knows may be for a submit whose answer was
    lost with the link (the part is `unknown`, without bearer_ref): match it only when
    exactly one such part went to this number within REPORT_WINDOW; never guess."""
    digits = "".join(ch for ch in (number or "") if ch.isdigit())[-8:]
    if not digits:
        return None
    rows = _rows("""
        SELECT p.id, p.message_id FROM message_part p JOIN message m ON m.id = p.message_id
        WHERE p.modem = 'smpp' AND p.state = 'unknown' AND p.bearer_ref = '' AND p.status_at >= ?
          AND m.to_number LIKE ?
        LIMIT 2""", (_stamp(now - REPORT_WINDOW), "%" + digits))
    return rows[0] if len(rows) == 1 else None


def _part_for_report(box, modem, reference, number, now):
    """(part id, message id, number) of the part a report is for, or None. Every box
    has a gsm0: the part must have left from this box's modem ('' before boxes had names)."""
    digits = "".join(ch for ch in (number or "") if ch.isdigit())[-8:]
    rows = _rows("""
        SELECT p.id, p.message_id, m.to_number FROM message_part p JOIN message m ON m.id = p.message_id
        WHERE p.modem = ? AND p.reference = ? AND p.claimed_by IN (?, '')
          AND p.state IN ('sent', 'unknown', 'sending', 'delivered', 'failed')
        ORDER BY p.sent_at DESC, p.id DESC LIMIT 8""", (modem, reference, box))
    hit = next((r for r in rows if not digits or r[2].endswith(digits)), None)
    if hit is None and digits:
        hit = _interrupted_part_for(box, modem, digits, now)
    return hit


def _interrupted_part_for(box, modem, digits, now):
    """A report no sent part claims may be for a submit interrupted after the
    modem took it (power cut between +CMGS's reply and the commit): that part is
    `unknown` with no reference. Match it only when exactly one such part on this
    modem went to this number within REPORT_WINDOW; never guess between several."""
    rows = _rows("""
        SELECT p.id, p.message_id, m.to_number FROM message_part p JOIN message m ON m.id = p.message_id
        WHERE p.modem = ? AND p.claimed_by IN (?, '') AND p.state = 'unknown' AND p.reference IS NULL
          AND p.status_at >= ? AND m.to_number LIKE ?
        LIMIT 2""", (modem, box, _stamp(now - REPORT_WINDOW), "%" + digits))
    return rows[0] if len(rows) == 1 else None


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


def refresh_messages(message_ids, now=None):
    """Set each message's state from its parts (and sent_at / final_at)."""
    message_ids = list(message_ids)
    if not message_ids:
        return {}
    stamp = _stamp(now or clock.now())
    states = {}
    for start in range(0, len(message_ids), BATCH):
        chunk = message_ids[start:start + BATCH]
        for mid, state in _rows(f"SELECT message_id, state FROM message_part WHERE message_id IN "
                                f"({_marks(chunk)})", chunk):
            states.setdefault(mid, []).append(state)
    result = {mid: message_state(parts) for mid, parts in states.items()}
    _many("UPDATE message SET state = ?, updated_at = ?, "
          "final_at = CASE WHEN ? = 1 THEN ? ELSE final_at END, "
          "sent_at = CASE WHEN ? = 1 THEN COALESCE(sent_at, ?) ELSE sent_at END WHERE id = ?",
          [(state, stamp, int(state in FINAL_STATES), stamp, int(state == "sent"), stamp, mid)
           for mid, state in result.items()])
    return result


# --- expiry, recovery, caps ----------------------------------------------------------

def expire_due(now=None):
    """Messages whose window ended with parts not sent: those parts and the message
    become expired (never sent late). Returns how many messages expired."""
    now = now or clock.now()
    with dbmod.write_transaction():
        ids = [m for (m,) in Message.select(Message.id)
               .where(Message.state == "queued", Message.not_after.is_null(False), Message.not_after <= now)
               .tuples()]
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            MessagePart.update(state="expired", status_at=now, error="window ended before it was sent").where(
                MessagePart.message.in_(chunk), MessagePart.state == "queued").execute()
            Message.update(failure_reason="window ended before it was sent").where(Message.id.in_(chunk)).execute()
            refresh_messages(chunk, now)
    if ids:
        log.info("%d message(s) expired at the end of their window", len(ids))
    return len(ids)


def recover_interrupted(now=None, box="", bearer=None):
    """At start: parts box `box` left `sending` in a crash become `unknown` — only its
    own (and those claimed before boxes had names): another box's may be on the air
    right now. bearer "modem" (smsd) or "smpp" (the SMPP daemon): only that bearer's
    parts, since the other daemon of the box may be submitting its own right now.
    Returns the count."""
    now = now or clock.now()
    with dbmod.write_transaction():
        ids = _sending_of([box, ""], bearer)
        record_results([Result(pid, "unknown", error="submit interrupted by a restart; not re-sent")
                        for pid in ids], now)
    if ids:
        log.warning("%d part(s) were being submitted when smsd stopped: marked unknown", len(ids))
    return len(ids)


def recover_dead_boxes(timeout_seconds, box="", now=None):
    """Parts left `sending` by boxes silent for longer than the lease (but `box`, this
    one) become `unknown`: the box may have put them on the air, so they are never
    re-sent. The silence is read in the same statement that picks the parts, so a box
    that came back (it beats before it claims anything) keeps its new claims.
    Returns the count."""
    now = now or clock.now()
    cutoff = _stamp(now - datetime.timedelta(seconds=timeout_seconds))
    with dbmod.write_transaction():
        rows = _rows(f"SELECT p.id, p.claimed_by FROM message_part p WHERE p.state = 'sending' AND p.claimed_by IN "
                     f"(SELECT b.name FROM box b WHERE b.last_beat < ? AND b.name != ?) ORDER BY p.id{_skip_locked()}",
                     (cutoff, box))
        record_results([Result(pid, "unknown", error=f"its box {owner} stopped while submitting it; not re-sent")
                        for pid, owner in rows], now)
    if rows:
        log.warning("%d part(s) of silent box(es) %s were being submitted: marked unknown", len(rows),
                    ", ".join(sorted({owner for _, owner in rows})))
    return len(rows)


def _sending_of(boxes, bearer=None):
    """Ids of the parts `sending` for these boxes (of one bearer: parts sent over SMPP
    name modem 'smpp'), locked (PostgreSQL) against a claim or recovery of the same rows
    in flight elsewhere, which they skip."""
    which = {None: "", "smpp": " AND p.modem = 'smpp'", "modem": " AND p.modem != 'smpp'"}[bearer]
    return [p for (p,) in _rows(f"SELECT p.id FROM message_part p WHERE p.state = 'sending' "
                                f"AND p.claimed_by IN ({_marks(boxes)}){which} ORDER BY p.id{_skip_locked()}", boxes)]


def stranded_messages(ready, box="", dead=()):
    """Messages whose next part waits for a modem of this box not in `ready` (the
    modem its earlier parts left from), or for any modem of a `dead` box:
    [(message id, modem)], the modem as BOX/gsm0 for a dead box's. Read only."""
    ready, dead = list(ready), list(dead)
    besides = f"AND q.modem NOT IN ({_marks(ready)})" if ready else ""
    ours = _rows(f"""
        SELECT DISTINCT p.message_id, q.modem
        FROM message_part p JOIN message m ON m.id = p.message_id
             JOIN message_part q ON q.message_id = p.message_id AND q.seq = p.seq - 1
        WHERE m.state = 'queued' AND p.state = 'queued' AND q.state IN ('sent', 'delivered')
          AND q.claimed_by IN (?, '') AND q.modem != 'smpp' {besides}""", [box] + ready)
    if not dead:
        return ours
    return ours + [(mid, f"{owner}/{modem}") for mid, owner, modem in _rows(f"""
        SELECT DISTINCT p.message_id, q.claimed_by, q.modem
        FROM message_part p JOIN message m ON m.id = p.message_id
             JOIN message_part q ON q.message_id = p.message_id AND q.seq = p.seq - 1
        WHERE m.state = 'queued' AND p.state = 'queued' AND q.state IN ('sent', 'delivered')
          AND q.claimed_by IN ({_marks(dead)}) AND q.modem != 'smpp'""", dead)]


COPIED = ("to_number", "text", "encoding", "part_count", "category", "priority", "not_after", "delivery_report",
          "customer", "staff", "source", "created_by", "department", "campaign_id")


def resend_whole(message_id, why, now=None):
    """The rest of a long message cannot leave from the SIM its first parts left
    from: the whole message is queued again as a new message, with a new
    reference (the receiving phone must not join its parts with the old ones),
    and the old one's parts not sent fail, naming the new message. Returns the
    new message, or None when the old one no longer waits."""
    now = now or clock.now()
    stamp = _stamp(now)
    with dbmod.write_transaction():
        old = Message.get_or_none(Message.id == message_id)
        if old is None or old.state != "queued":
            return None
        new = Message.create(**{name: getattr(old, name + "_id" if name in ("customer", "staff") else name)
                                for name in COPIED}, created_at=now, updated_at=now)
        old_ref = MessagePart.select(MessagePart.concat_ref).where(MessagePart.message == old.id).scalar()
        ref = new.id % 256
        if ref == old_ref:
            ref = (ref + 1) % 256
        MessagePart.insert_many([{"message": new.id, "seq": seq, "state": "queued", "concat_ref": ref}
                                 for seq in range(1, new.part_count + 1)]).execute()
        reason = f"not sent: {why}; the whole message was sent again as message {new.id}"
        _fail_rest([(old.id, reason, reason)], stamp)
        refresh_messages([old.id], now)
    log.warning("message %s: %s; resent whole as message %s", message_id, why, new.id)
    return new


def sent_counts(since):
    """Parts submitted per SIM (IMSI) since a time: for daily and monthly caps."""
    return dict(MessagePart.select(MessagePart.imsi, peewee.fn.COUNT(MessagePart.id))
                .where(MessagePart.sent_at >= since, MessagePart.imsi != "")
                .group_by(MessagePart.imsi).tuples())
