"""The staff line's domain: PINs (rules, hashing, lockout), the figures on a known book of
business (staff_support.make_book), the mobile-change ticket, migration 0016 and the CLI."""
import datetime
from decimal import Decimal

import peewee
import pytest
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models
from staff_support import PIN, make_book

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir
from appliance.errors import InputError
from appliance.ivr import staff_access
from appliance.ivr.models import MenuNode
from appliance.models import AuditLog, Customer, Staff
from appliance.tickets.models import Ticket

TODAY = datetime.date(2026, 11, 20)
NOON = datetime.datetime(2026, 11, 20, 4, 0)  # naive UTC


@pytest.fixture
def book(database):
    return make_book(TODAY)


# --- PINs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", "１２３４５６", "1111", "123456", "9876", " 2580"])
def test_weak_or_malformed_pins_are_refused_naming_the_field(pin):
    with pytest.raises(InputError) as err:
        staff_access.check_pin_rules(pin)
    assert err.value.field == "pin"


def test_a_refused_pin_changes_nothing(book):
    staff_access.set_pin(book.agent, PIN)
    with pytest.raises(InputError):
        staff_access.set_pin(book.agent, "1234")
    assert staff_access.pin_matches(Staff.get_by_id(book.agent.id), PIN)


def test_pin_is_stored_hashed_and_audited(book):
    staff_access.set_pin(book.agent, PIN)
    stored = Staff.get_by_id(book.agent.id)
    assert stored.pin_hash.startswith("scrypt$") and PIN not in stored.pin_hash
    assert staff_access.pin_matches(stored, PIN)
    assert not staff_access.pin_matches(stored, "258047")
    audit = AuditLog.get(AuditLog.action == "staff.pin")
    assert audit.target == "staff:90000001" and PIN not in audit.detail


def test_unknown_caller_and_staff_without_pin_are_refused(book):
    assert staff_access.caller_staff("13700000001").id == book.agent.id
    assert staff_access.caller_staff("13700009999") is None
    assert staff_access.caller_staff("unknown") is None
    assert not staff_access.pin_matches(None, PIN)
    assert not staff_access.pin_matches(book.agent, PIN)  # no PIN set yet: nothing matches
    book.agent.status = "left"
    book.agent.save()
    assert staff_access.caller_staff("13700000001") is None  # only active staff


def test_failures_lock_the_pin_and_even_the_right_one_is_refused_until_it_ends(book):
    staff_access.set_pin(book.agent, PIN)
    limits = dict(max_failures=3, lock_minutes=30, caller="13700000001", now=NOON)
    assert staff_access.record_failure(book.agent, **limits) is False
    staff_access.record_success(book.agent)  # a success in between starts the count again
    assert Staff.get_by_id(book.agent.id).pin_failures == 0
    assert [staff_access.record_failure(book.agent, **limits) for _ in range(3)] == [False, False, True]
    staff = Staff.get_by_id(book.agent.id)
    assert staff.pin_locked_until == NOON + datetime.timedelta(minutes=30) and staff.pin_failures == 0
    assert not staff_access.pin_matches(staff, PIN, now=NOON + datetime.timedelta(minutes=29))
    assert staff_access.pin_matches(staff, PIN, now=NOON + datetime.timedelta(minutes=31))
    lockout = AuditLog.get(AuditLog.action == "staff.pin_lockout")
    assert "3 wrong PINs" in lockout.detail and "13700000001" not in lockout.detail  # masked


# --- figures ---------------------------------------------------------------------------------

def test_month_and_quarter_performance_exact_to_the_cent(book):
    month, quarter = staff_access.period_starts(TODAY)
    assert (month, quarter) == (datetime.date(2026, 11, 1), datetime.date(2026, 10, 1))
    figures = staff_access.performance(book.agent, month, TODAY)
    assert (figures.collected_count, figures.collected, figures.renewals, figures.new_count,
            figures.new_premium) == (3, Decimal("2134.30"), Decimal("2034.10"), 1, Decimal("100.20"))
    figures = staff_access.performance(book.agent, quarter, TODAY)
    assert (figures.collected_count, figures.collected, figures.renewals, figures.new_count,
            figures.new_premium) == (4, Decimal("5784.65"), Decimal("2034.10"), 2, Decimal("3750.55"))
    nothing = staff_access.performance(book.agent, TODAY + datetime.timedelta(days=2), TODAY)
    assert (nothing.collected_count, nothing.collected, nothing.new_premium) == (0, Decimal("0.00"), Decimal("0.00"))


def test_renewals_due_and_overdue_are_the_agents_unpaid_in_force_ones(book):
    due = staff_access.renewals_due(book.agent, TODAY)
    assert [(d.policy_no, d.customer, d.amount, d.due_date) for d in due] == [
        ("990000000001", "张先生", Decimal("1234.10"), datetime.date(2026, 12, 5))]
    late = staff_access.overdue(book.agent, TODAY)
    assert [(d.policy_no, d.customer, d.amount, d.due_date) for d in late] == [
        ("990000000004", "欧阳女士", Decimal("500.00"), datetime.date(2026, 11, 1))]
    assert staff_access.total(due + late) == Decimal("1734.10")
    # the colleague sees their own customer only, the name masked without a gender
    assert [(d.policy_no, d.customer) for d in staff_access.renewals_due(book.colleague, TODAY)] == [
        ("990000000006", "李客户")]


# --- a changed mobile --------------------------------------------------------------------------

def test_mobile_change_opens_a_ticket_and_leaves_the_customer_alone(book):
    assert staff_access.own_policy(book.agent, "990000000006") is None  # the colleague's
    policy = staff_access.own_policy(book.agent, "990000000004")
    ticket = staff_access.mobile_change_ticket(book.agent, policy, "13912345678", caller="13700000001")
    assert (ticket.kind, ticket.source, ticket.staff_id, ticket.customer_id, ticket.policy_id) == (
        "mobile-change", "ivr", book.agent.id, policy.holder_id, policy.id)
    assert "+8613912345678" in ticket.text and "欧阳娜娜" not in ticket.text
    assert Customer.get_by_id(policy.holder_id).mobile == "+8613600000002"
    with pytest.raises(InputError) as err:
        staff_access.mobile_change_ticket(book.agent, policy, "02088888888")
    assert err.value.field == "mobile" and Ticket.select().count() == 1


# --- migration 0016 ---------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request, tmp_path):
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_server")()
    config = Config({"data_dir": str(tmp_path / "data"), **({"database.url": url} if url else {})})
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    yield db
    db.close()


def insert_tree(db, digit8_taken=False):
    db.execute_sql("INSERT INTO menu_node (name, parent_id, digit, title, prompt, action, timeout_ms, retries, "
                   "fallback, position, enabled) VALUES ('main', NULL, '', '主菜单', 'menu_main', 'menu', 5000, 3, "
                   "'goodbye', 0, true)")
    main = db.execute_sql("SELECT id FROM menu_node WHERE name = 'main'").fetchone()[0]
    db.execute_sql("INSERT INTO menu_node (name, parent_id, digit, title, prompt, action, timeout_ms, retries, "
                   f"fallback, position, enabled) VALUES ('claim', {main}, '{8 if digit8_taken else 3}', '理赔', "
                   "'claim_intro', 'claim', 5000, 3, 'goodbye', 1, true)")


@pytest.mark.parametrize("digit8_taken", [False, True])
def test_migration_adds_pin_columns_and_the_staff_line_keeping_rows(empty_db, digit8_taken):
    runner = Runner(empty_db, str(dbmod.MIGRATIONS_DIR))
    runner.up("0015_ticket_loop")
    insert_tree(empty_db, digit8_taken)
    empty_db.execute_sql("INSERT INTO staff (badge_no, name, gender, branch, department, status, licence_no, "
                         "created_at) VALUES ('35010001', '王五', 'M', '', '', 'active', '', '2026-11-30 01:00:00')")
    runner.up()
    assert empty_db.execute_sql("SELECT pin_hash, pin_failures, pin_locked_until FROM staff").fetchone() == ("", 0, None)
    nodes = {name: (parent, digit, action) for name, parent, digit, action in empty_db.execute_sql(
        "SELECT name, parent_id, digit, action FROM menu_node").fetchall()}
    main = empty_db.execute_sql("SELECT id FROM menu_node WHERE name = 'main'").fetchone()[0]
    assert nodes["claim"] == (main, "8" if digit8_taken else "3", "claim")
    if digit8_taken:  # an admin's own key 8 is left alone
        assert "staff_line" not in nodes
    else:
        assert nodes["staff_line"] == (main, "8", "staff_line")
    assert not diff_models(empty_db, [Staff, MenuNode])
    empty_db.execute_sql("UPDATE menu_node SET action = 'staff_line' WHERE name = 'claim'")
    with pytest.raises(peewee.IntegrityError):
        with empty_db.atomic():
            empty_db.execute_sql("UPDATE menu_node SET action = 'fax' WHERE name = 'claim'")
    empty_db.execute_sql("DELETE FROM menu_node WHERE name = 'main'")  # the parent reference still cascades
    assert empty_db.execute_sql("SELECT count(*) FROM menu_node").fetchone()[0] == 0


# --- the CLI ---------------------------------------------------------------------------------

def test_cli_sets_a_pin_from_stdin_and_refuses_bad_input_with_one_line(run_cli, config_file, monkeypatch, capsys):
    import io

    from appliance import cli
    from appliance.config import load_config
    db = dbmod.open_and_migrate(load_config(str(config_file)))
    Staff.create(badge_no="90000001", name="王小明", mobile="13700000001")
    result = run_cli("staff", "pin", "90000001", "--stdin", config_path=config_file, input=PIN + "\n")
    assert result.returncode == 0, result.stderr
    assert "90000001" in result.stdout and PIN not in result.stdout
    assert staff_access.pin_matches(Staff.get(Staff.badge_no == "90000001"), PIN)
    result = run_cli("staff", "pin", "90000001", "--stdin", config_path=config_file, input="1111\n")
    assert (result.returncode, result.stderr.count("\n")) == (2, 1) and "error: pin:" in result.stderr
    capsys.readouterr()
    for args, field in ((["99999999", "--stdin"], "badge"), (["90000001"], "pin")):  # no terminal, no --stdin
        monkeypatch.setattr("sys.stdin", io.StringIO("246813\n"))
        assert cli.main(["--config", str(config_file), "staff", "pin", *args]) == 2
        assert f"error: {field}:" in capsys.readouterr().err
    dbmod.database.initialize(db)
    assert staff_access.pin_matches(Staff.get(Staff.badge_no == "90000001"), PIN)  # unchanged
    db.close()


def test_cli_unlocks_a_locked_pin_and_names_an_unknown_badge(config_file, capsys):
    from appliance import cli
    from appliance.config import load_config
    db = dbmod.open_and_migrate(load_config(str(config_file)))
    staff = Staff.create(badge_no="90000001", name="王小明", mobile="13700000001")
    staff_access.set_pin(staff, PIN)
    Staff.update(pin_failures=2, pin_locked_until=datetime.datetime(2099, 1, 1)).where(Staff.id == staff.id).execute()
    assert not staff_access.pin_matches(Staff.get_by_id(staff.id), PIN)
    assert cli.main(["--config", str(config_file), "staff", "unlock", "90000001"]) == 0
    assert "90000001" in capsys.readouterr().out
    dbmod.database.initialize(db)
    unlocked = Staff.get_by_id(staff.id)
    assert (unlocked.pin_failures, unlocked.pin_locked_until) == (0, None) and staff_access.pin_matches(unlocked, PIN)
    assert AuditLog.select().where(AuditLog.action == "staff.pin_unlock").count() == 1
    assert cli.main(["--config", str(config_file), "staff", "unlock", "99999999"]) == 2
    assert "error: badge:" in capsys.readouterr().err
    db.close()
