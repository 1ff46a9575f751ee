"""Tickets opened by the IVR or SMS: numbering, validation, listing."""
import datetime

import pytest

from appliance.errors import InputError
from appliance.ivr import tickets
from appliance.tickets import lifecycle, listing as ticket_listing
from appliance.tickets.models import Ticket


def test_open_ticket_numbers_by_day_and_id(database):
    day = datetime.datetime(2026, 11, 22, 9, 30)
    first = tickets.open_ticket("complaint", "ivr", number="13800138000", text="太慢了", now=day)
    second = tickets.open_ticket("callback", "sms", number="unknown", now=day)
    assert first.number == f"261122{first.id:04d}"
    assert second.number == f"261122{second.id:04d}" and second.number != first.number
    assert first.caller == "+8613800138000"        # normalised when it parses
    assert second.caller == "unknown"              # kept as received otherwise
    stored = tickets.get_ticket(first.number)
    assert (stored.kind, stored.source, stored.status, stored.text) == ("complaint", "ivr", "new", "太慢了")
    assert stored.due_at == day + datetime.timedelta(hours=24)  # tickets.sla: complaint=24h
    assert [(e.action, e.by, e.at, e.text) for e in lifecycle.history(stored)] == [("opened", "ivr", day, "太慢了")]


@pytest.mark.parametrize("kind,source,field", [("praise", "ivr", "kind"), ("complaint", "fax", "source")])
def test_bad_kind_or_source_is_refused_and_nothing_written(database, kind, source, field):
    with pytest.raises(InputError) as err:
        tickets.open_ticket(kind, source, number="13800138000")
    assert err.value.field == field
    assert Ticket.select().count() == 0


def test_status_changes_and_listing(database):
    ticket = tickets.open_ticket("phone-application", "ivr", number="13800138000")
    tickets.open_ticket("agent-report", "sms", number="13900139000")
    lifecycle.close(lifecycle.answer(ticket, by="admin", text="已回电"), by="admin")
    assert tickets.get_ticket(ticket.id).closed_at is not None
    assert [t.kind for t in ticket_listing.listing(status="new").rows] == ["agent-report"]
    assert [t.kind for t in ticket_listing.listing(source="ivr").rows] == ["phone-application"]
    assert ticket_listing.listing().rows[0].to_dict()["caller"] == "+86139****9000"
    with pytest.raises(InputError) as err:
        ticket_listing.listing(kind="praise")
    assert err.value.field == "kind"
