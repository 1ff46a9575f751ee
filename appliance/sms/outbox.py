"""The outbox: queue SMS for smsd to send, or withdraw them before they go.

This is the domain side of sending; it never talks to a modem. Services call
queue_message()/queue_many()/cancel(); what smsd's dispatcher then does with the
queued parts (claiming, results, delivery reports, expiry, recovery after a
crash) is in appliance.sms.delivery.

Each message gets its bearer here (Message.bearer, issue 18): the one a caller names
(bearer='modem'|'smpp', checked), else the routing rules' (appliance.sms.routing) when the
caller passes its config, else the modems.
"""
import logging
import re

import peewee

from appliance import clock, db as dbmod, phones
from appliance.errors import N_, InputError
from appliance.sms import routing
from appliance.sms.models import CATEGORIES, Message, MessagePart
from appliance.sms.text import MAX_PARTS, segments

log = logging.getLogger(__name__)

BATCH = 500  # rows per INSERT; SQLite allows 32766 variables per statement
# After this many rows queued at once, PostgreSQL's statistics are refreshed at once: a
# planner that still thinks the outbox empty picks nested seq scans for smsd's ready query
# (95 ms instead of 0.2 ms for 300 parts) until autovacuum gets to it a minute later.
ANALYZE_AFTER = 100


# --- queueing -------------------------------------------------------------------


def _check_row(row, where="", config=None):
    """Validate one message's fields; returns the Message column values."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError.of(N_("{where}{field}: empty"), field="text", where=where)
    number = phones.normalize(row.get("to_number"), f"{where}to_number")
    category = row.get("category", "service")
    if category not in CATEGORIES:
        raise InputError.of(N_("{where}category: must be one of {choices}"),
                            field="category", where=where, choices=', '.join(CATEGORIES))
    priority = row.get("priority", 5)
    if not isinstance(priority, int) or not 1 <= priority <= 9:
        raise InputError.of(N_("{where}priority: must be 1..9, got {priority!r}"),
                            field="priority", where=where, priority=priority)
    not_before, not_after = row.get("not_before"), row.get("not_after")
    if not_before and not_after and not_after <= not_before:
        raise InputError.of(N_("{where}not_after: must be later than not_before"), field="not_after", where=where)
    seg = segments(text)
    if seg.part_count > MAX_PARTS:
        raise InputError.of(N_("{where}{field}: too long ({parts} parts, at most {limit})"), field="text", where=where,
                            parts=seg.part_count, limit=MAX_PARTS)
    bearer = row.get("bearer")
    if bearer is not None:
        routing.check_bearer(bearer, f"{where}bearer")
    elif config is not None:
        bearer = routing.bearer_for(config, category, number)
    stamp = clock.now()
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
        "dedupe_key": row.get("dedupe_key"), "bearer": bearer or "modem",
    }


def queue_message(to_number, text, *, category="service", priority=5, not_before=None, not_after=None,
                  customer=None, staff=None, source="", created_by="", department="",
                  campaign_id=None, dedupe_key=None, delivery_report=True, bearer=None, config=None):
    """Queue one SMS; returns its Message. The number is validated (InputError naming
    `to_number`); with a dedupe_key already queued, the existing message is returned.
    The bearer: `bearer` when given, else the routing rules' given the `config`, else modem."""
    values = _check_row(dict(to_number=to_number, text=text, category=category, priority=priority,
                             not_before=not_before, not_after=not_after, customer=customer,
                             staff=staff, source=source, created_by=created_by,
                             department=department, campaign_id=campaign_id,
                             dedupe_key=dedupe_key, delivery_report=delivery_report, bearer=bearer),
                        config=config)
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


def queue_many(rows, *, skip_invalid=False, config=None):
    """Queue many SMS in one transaction (campaigns). `rows` are dicts with the
    keyword arguments of queue_message (a row's `bearer` wins over the routing rules that
    `config` brings). Returns one Message id per row, in order:
    the existing id for a dedupe_key already queued (or repeated in `rows`), None for
    a row skipped as invalid (skip_invalid=True); otherwise the first bad row raises
    InputError naming it ('row 17: to_number: …') and nothing is queued."""
    checked = []
    for index, row in enumerate(rows, start=1):
        try:
            checked.append(_check_row(row, f"row {index}: ", config))
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
    if len(parts) >= ANALYZE_AFTER and not isinstance(dbmod.database.obj, peewee.SqliteDatabase):
        dbmod.database.obj.execute_sql("ANALYZE message, message_part")
    return ids


# --- the bulk path for rows built from our own database -----------------------------

# A number as the customer and staff tables keep it (phones.normalize wrote it): checked by
# shape only here, the full parse costs ~40 µs a row on a run of 300,000 greetings.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def queue_planned(rows, config=None):
    """Queue rows the caller built from our own database (the notice run: numbers E.164 from
    the customer and staff tables, texts rendered from our templates, categories known),
    inside the caller's write transaction. The same Message and MessagePart values as
    queue_many(rows, skip_invalid=True, config=config), but in bulk: a number is checked
    by its shape only, a row's dedupe key already queued is skipped by the INSERT itself
    (ON CONFLICT (dedupe_key) DO NOTHING, so each key once, whichever run or box got
    there first) and the part rows of the messages inserted follow in the same transaction.
    Returns how many messages were inserted."""
    when = _adapter()
    stamp = when(clock.now())
    routes, values = {}, []
    for row in rows:
        text, number, category = row["text"], row["to_number"], row.get("category", "service")
        if not text or not text.strip() or not isinstance(number, str) or not _E164.fullmatch(number) \
                or category not in CATEGORIES:
            log.warning("queue_planned: skipped a row (dedupe key %s): bad number, text or category",
                        row.get("dedupe_key"))
            continue
        seg = segments(text)
        if seg.part_count > MAX_PARTS:
            continue
        bearer = row.get("bearer") or _route(config, category, number, routes)
        customer, staff = row.get("customer"), row.get("staff")
        values.append((number, text, seg.encoding, seg.part_count, "queued", category, row.get("priority", 5),
                       when(row.get("not_before")), when(row.get("not_after")), row.get("delivery_report", True),
                       stamp, stamp, getattr(customer, "id", customer), getattr(staff, "id", staff),
                       row.get("source", ""), row.get("created_by", ""), row.get("department", ""),
                       row.get("campaign_id"), row.get("dedupe_key"), bearer, None, None, ""))
    if not values:
        return 0
    ids = _reserve_ids(len(values))
    _bulk_insert(Message, _PLANNED_COLUMNS, [(i,) + v for i, v in zip(ids, values)],
                 " ON CONFLICT (dedupe_key) DO NOTHING")
    inserted = _present(ids)
    parts = []
    for message_id, v in zip(ids, values):
        if message_id in inserted:
            count = v[3]
            ref = message_id % 256 if count > 1 else None  # as _part_rows
            parts.extend((message_id, seq, "queued", ref) + _PART_DEFAULTS for seq in range(1, count + 1))
    _bulk_insert(MessagePart, _PART_COLUMNS, parts)
    if len(parts) >= ANALYZE_AFTER and not isinstance(dbmod.database.obj, peewee.SqliteDatabase):
        dbmod.database.obj.execute_sql("ANALYZE message, message_part")
    return len(inserted)


_PLANNED_COLUMNS = ("id", "to_number", "text", "encoding", "part_count", "state", "category", "priority",
                    "not_before", "not_after", "delivery_report", "created_at", "updated_at", "customer_id",
                    "staff_id", "source", "created_by", "department", "campaign_id", "dedupe_key", "bearer",
                    "sent_at", "final_at", "failure_reason")
_PART_COLUMNS = ("message_id", "seq", "state", "concat_ref", "pdu", "modem", "claimed_by", "imsi", "reference",
                 "bearer_ref", "attempts", "next_attempt_at", "sent_at", "status_at", "status_code", "error",
                 "cost", "carrier")
_PART_DEFAULTS = ("", "", "", "", None, "", 0, None, None, None, None, "", 0, "")


def _adapter():
    """Datetimes as the database driver would store them, converted once per distinct value
    (a run's rows share a few: its windows and its stamp): on SQLite the text sqlite3's
    default adapter writes (isoformat with a space), on PostgreSQL the datetime itself."""
    if not isinstance(dbmod.database.obj, peewee.SqliteDatabase):
        return lambda value: value
    seen = {None: None}

    def when(value):
        text = seen.get(value)
        if text is None and value is not None:
            text = seen[value] = value.isoformat(" ")
        return text
    return when


def _route(config, category, number, routes):
    """routing.bearer_for, asked once per category unless the route depends on the number."""
    if config is None:
        return "modem"
    if category not in routes:
        route = config[f"sms.route_{category}"]
        fixed = route != "cheapest" or not config["smpp.enabled"]
        routes[category] = routing.bearer_for(config, category, number) if fixed else None
    return routes[category] or routing.bearer_for(config, category, number)


def _reserve_ids(count):
    """`count` new Message ids nobody else takes: after the current maximum under SQLite's
    write lock (held by the caller's transaction), from the sequence on PostgreSQL."""
    db = dbmod.database.obj
    if isinstance(db, peewee.SqliteDatabase):
        start = (db.execute_sql("SELECT MAX(id) FROM message").fetchone()[0] or 0) + 1
        return list(range(start, start + count))
    cursor = db.execute_sql("SELECT nextval(pg_get_serial_sequence('message', 'id')) FROM generate_series(1, %s)",
                            (count,))
    return [row[0] for row in cursor.fetchall()]


def _present(ids):
    """The ids among `ids` whose Message rows exist (the inserts ON CONFLICT did not skip)."""
    wanted = set(ids)
    rows = dbmod.database.obj.execute_sql("SELECT id FROM message WHERE id >= %s AND id <= %s"
                                          .replace("%s", dbmod.database.obj.param), (min(ids), max(ids)))
    return {i for (i,) in rows.fetchall() if i in wanted}


def _bulk_insert(model, columns, rows, suffix=""):
    """INSERT tuples of `columns` into model's table: executemany on SQLite, multi-row
    VALUES pages (psycopg2's execute_values) on PostgreSQL."""
    if not rows:
        return
    db = dbmod.database.obj
    table, names = model._meta.table_name, ", ".join(columns)
    if isinstance(db, peewee.SqliteDatabase):
        db.cursor().executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))}){suffix}',
                                rows)
        return
    from psycopg2.extras import execute_values
    execute_values(db.cursor(), f'INSERT INTO "{table}" ({names}) VALUES %s{suffix}', rows, page_size=BATCH)


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
        stamp = clock.now()
        MessagePart.update(state="cancelled", status_at=stamp).where(MessagePart.message == message_id).execute()
        Message.update(state="cancelled", final_at=stamp, updated_at=stamp,
                       failure_reason=f"cancelled by {actor}").where(Message.id == message_id).execute()
    return True
