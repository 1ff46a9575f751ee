"""The SMS listings in the domain: filters checked once with the field named,
keyset pages, parts read in one query, numbers masked unless asked not to."""
import logging

import pytest

from appliance.errors import InputError
from appliance.sms import history, inbox, outbox
from appliance.sms.models import InboundMessage


def test_history_pages_with_parts_in_one_query(database, caplog):
    ids = [outbox.queue_message("13800138000", "长" * 100).id for _ in range(3)]
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        first = history.listing(limit=2)
    assert len(caplog.records) == 2  # the page and all its parts, not a query per message
    assert [m.id for m in first.rows] == ids[:0:-1] and first.next_before == ids[1]
    rest = history.listing(before=first.next_before)
    assert [m.id for m in rest.rows] == ids[:1] and rest.next_before is None
    row = history.as_dict(first.rows[0])
    assert row["to_number"] == "+86138****8000" and [p["seq"] for p in row["parts"]] == [1, 2]
    assert history.as_dict(first.rows[0], mask=False)["to_number"] == "+8613800138000"


@pytest.mark.parametrize("filters, field", [({"state": "lost"}, "state"), ({"category": "spam"}, "category"),
                                            ({"to": "12345"}, "to"), ({"since": "11/20"}, "since"),
                                            ({"until": "2026-02-30"}, "until")])
def test_history_bad_filters_name_their_field(database, filters, field):
    with pytest.raises(InputError) as err:
        history.listing(**filters)
    assert err.value.field == field


def test_inbox_all_is_every_state_but_deleted(database):
    kept = inbox.store_inbound("+8613912345678", "查询")
    gone = InboundMessage.create(from_number="+8613912345679", text="广告", state="deleted")
    assert [m.id for m in inbox.listing().rows] == [gone.id, kept.id]
    assert [m.id for m in inbox.listing(state="all").rows] == [kept.id]
    row = inbox.as_dict(inbox.listing(state="new").rows[0])
    assert row["from_number"] == "+86139****5678" and row["handled_as"] is None
    with pytest.raises(InputError) as err:
        inbox.listing(state="unread")
    assert err.value.field == "state"
