"""Domain pieces the IVR relies on: menu nodes, lockout, the writer, call records."""
import datetime
import threading

import pytest

from agi.writer import Writer
from appliance.errors import InputError
from appliance.ivr import calls, verification
from appliance.ivr.menus import MenuSnapshot, ensure_default_menu, menu_tree
from appliance.ivr.models import Call, MenuNode
from appliance.tickets.models import Ticket
from appliance.models import Policy


def test_default_menu_tree_and_allowed_keys(ivr_db):
    ensure_default_menu()
    assert not ensure_default_menu()  # idempotent
    tree = menu_tree()
    assert sorted(c["digit"] for c in tree[0]["children"]) == ["1", "2", "3", "4", "5", "6", "8"]  # 6 ticket, 8 staff
    snapshot = MenuSnapshot()
    main = snapshot.root()
    assert main.allowed_keys(snapshot.children(main)) == "123458690"
    service = snapshot.by_name["service_request"]
    assert service.allowed_keys(snapshot.children(service)) == "1290*"


@pytest.mark.parametrize("changes,field", [
    ({"digit": "9"}, "digit"), ({"digit": "0"}, "digit"), ({"digit": "2"}, "digit"),
    ({"timeout_ms": 10}, "timeout_ms"), ({"action": "dance"}, "action"), ({"prompt": ""}, "prompt"),
    ({"name": "bad name"}, "name"), ({"fallback": "explode"}, "fallback"),
    ({"prompt": "no_such_prompt"}, "prompt"),  # refused when saved, not silent at call time
])
def test_menu_node_edits_are_checked(ivr_db, changes, field):
    ensure_default_menu()
    node = MenuNode.get(MenuNode.name == "claim")
    for key, value in changes.items():
        setattr(node, key, value)
    with pytest.raises(InputError) as err:
        node.save()
    assert err.value.field == field


def test_lockout_expires_and_success_clears_failures(ivr_db):
    policy = Policy.select().first()
    start = datetime.datetime(2026, 11, 22, 9, 0)
    for n in (1, 2):
        assert verification.record_failure(policy, "13912345678", now=start) == (False, n)
    verification.record_success(policy)
    assert verification.record_failure(policy, "13912345678", now=start) == (False, 1)
    verification.record_failure(policy, "13912345678", now=start)
    assert verification.record_failure(policy, "13912345678", now=start, lock_minutes=30) == (True, 3)
    assert verification.locked_until(policy, now=start + datetime.timedelta(minutes=29))
    assert verification.locked_until(policy, now=start + datetime.timedelta(minutes=31)) is None
    assert Ticket.select().where(Ticket.kind == "alert").count() == 1


def test_last6_with_x_check_character_keyed_as_star():
    assert verification.last6_matches("11010519491231002X", "31002*")
    assert verification.last6_matches("11010519491231002X", "310020")
    assert not verification.last6_matches("11010519491231002X", "310021")
    assert not verification.last6_matches("110105194912310021", "31002")


def test_writer_batch_isolates_a_failing_job(ivr_db):
    writer = Writer()
    gate = threading.Event()
    try:
        blocker = writer.submit(gate.wait)  # holds the writer so the next jobs form one batch
        good = writer.submit(calls.start_call, caller_id="13900000001")
        bad = writer.submit(calls.finish_call, calls.new_call(), "nonsense")
        also_good = writer.submit(calls.start_call, caller_id="13900000002")
        gate.set()
        assert blocker.result(5) is True
        assert good.result(5).id and also_good.result(5).id
        with pytest.raises(InputError):
            bad.result(5)
    finally:
        writer.stop()
    assert [c.caller_id for c in Call.select().order_by(Call.id)] == ["13900000001", "13900000002"]


def test_interrupted_calls_are_closed_at_server_start(ivr_db, ivr_config):
    from agi.server import prepare
    open_call = calls.start_call(caller_id="13900000001")
    prepare(ivr_config)
    assert calls.get_call(open_call.id).outcome == "interrupted"


def test_list_calls_filters(ivr_db):
    first = calls.start_call(caller_id="13900000001")
    calls.finish_call(first, "completed")
    second = calls.start_call(caller_id="13900000002")
    calls.finish_call(second, "caller_hung_up", "main")
    assert [c.id for c in calls.listing().rows] == [second.id, first.id]
    assert [c.id for c in calls.listing(outcome="completed").rows] == [first.id]
    assert [c.id for c in calls.listing(caller="13900000002").rows] == [second.id]
    assert calls.listing(limit=1) == ([second], second.id)  # keyset: the next page's cursor
    with pytest.raises(InputError):
        calls.listing(outcome="exploded")


@pytest.mark.parametrize("now,open_", [
    (datetime.datetime(2026, 11, 23, 8, 29), False),   # Monday, before 08:30
    (datetime.datetime(2026, 11, 23, 8, 30), True),
    (datetime.datetime(2026, 11, 23, 17, 29), True),
    (datetime.datetime(2026, 11, 23, 17, 30), False),
    (datetime.datetime(2026, 11, 22, 10, 0), False),   # Sunday
])
def test_operator_hours_from_config(now, open_):
    from types import SimpleNamespace

    from agi.session import Session
    from appliance.config import Config
    context = SimpleNamespace(config=Config(), finder=None, writer=None)
    channel = SimpleNamespace(env={})
    session = Session(channel, context, calls.new_call())
    assert session.operator_open(now=now) is open_


def test_bad_business_hours_stop_the_server_with_the_key_named(run_cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(f'data_dir = "{tmp_path / "d"}"\n[agi]\nbusiness_hours = "9-5"\n')
    result = run_cli("-q", "run", "agi", config_path=path, timeout=60)
    assert result.returncode == 2
    assert "agi.business_hours" in result.stderr and result.stderr.count("\n") == 1
