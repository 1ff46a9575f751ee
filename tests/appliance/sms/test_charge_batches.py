"""billing.charge_parts stamps parts a batch at a time, each batch its own short write
transaction (the report pages call it on every view: a month of uncharged parts must not
hold the write lock for seconds); parts that never left stay free and do not stall it."""
import datetime
from decimal import Decimal

from appliance import db as dbmod
from appliance.sms import billing
from appliance.sms.models import Message, MessagePart

WHEN = datetime.datetime(2026, 11, 20, 2, 0)


def part(state, sent=True, number="+8613800138000"):
    message = Message.create(to_number=number, text="您好", state=state, sent_at=WHEN if sent else None)
    return MessagePart.create(message=message, seq=1, state=state, sent_at=WHEN if sent else None)


def test_parts_are_charged_in_batches_of_short_transactions(database, config, monkeypatch):
    monkeypatch.setattr(billing, "CHARGE_BATCH", 2)
    never = part("failed", sent=False)                      # failed before submit: free, looked at once
    charged = [part("delivered"), part("sent"), part("unknown"), part("failed"), part("delivered", number="+85261234567")]
    queued = part("queued", sent=False)
    statements = []
    connection = dbmod.database.connection()
    connection.set_trace_callback(statements.append)
    try:
        assert billing.charge_parts(config) == 5
    finally:
        connection.set_trace_callback(None)
    # 6 candidates (the queued part is none) in batches of 2: three transactions, and a fourth
    # that finds nothing after the last full batch.
    assert [s for s in statements if s.upper().startswith("BEGIN")] == ["BEGIN IMMEDIATE"] * 4
    costs = {p.id: p.cost for p in MessagePart.select()}
    assert costs[never.id] == 0 and costs[queued.id] == 0
    assert [costs[p.id] for p in charged] == [Decimal("0.0500")] * 4 + [Decimal("0.1000")]
    assert billing.charge_parts(config) == 0  # idempotent: a part keeps its price
