"""One wall clock: every rule runs on the box's configured zone, never the OS's.

Each rule runs with the OS in UTC and the box in Asia/Shanghai, and the other way
round (so that an OS-clock read, or a UTC instant taken for a wall-clock time, is
eight hours off either way), across midnight, and in Europe/Berlin on the nights
its clocks change. Times a test passes in are instants (naive UTC), built from the
box's wall-clock time with at().
"""
import datetime
import sqlite3
import types

import pytest
from playhouse.migrations import Runner

from appliance import clock, db as dbmod
from appliance.errors import InputError

D = datetime.datetime
SWAPPED = [("UTC", "Asia/Shanghai"), ("Asia/Shanghai", "UTC")]


def at(text):
    """The instant of a wall-clock time on the box ('2026-11-30 09:34')."""
    return clock.instant(D.fromisoformat(text))


# --- the clock ----------------------------------------------------------------------------

@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_instants_are_utc_and_local_is_the_box_zone(zones, os_zone, box_zone):
    zones(os_zone, box_zone)
    assert abs(clock.now() - D.now(datetime.timezone.utc).replace(tzinfo=None)) < datetime.timedelta(seconds=5)
    shanghai = box_zone == "Asia/Shanghai"
    assert clock.local(D(2026, 11, 30, 1, 34)) == D(2026, 11, 30, 9 if shanghai else 1, 34)
    assert clock.instant(D(2026, 11, 30, 9, 34)) == D(2026, 11, 30, 1 if shanghai else 9, 34)
    assert clock.today(D(2026, 11, 30, 17, 0)) == (datetime.date(2026, 12, 1) if shanghai else datetime.date(2026, 11, 30))
    assert clock.format(D(2026, 11, 30, 1, 15)) == ("2026-11-30 09:15" if shanghai else "2026-11-30 01:15")
    assert clock.iso(D(2026, 11, 30, 1, 15)) == ("2026-11-30T09:15:00+08:00" if shanghai
                                                 else "2026-11-30T01:15:00+00:00")
    assert clock.parse("2026-11-30T09:15:00+08:00") == D(2026, 11, 30, 1, 15)


def test_dst_gap_moves_forward_and_repeated_hour_takes_the_first(zones):
    zones("UTC", "Europe/Berlin")
    # 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist, it reads as 03:30.
    assert clock.instant(D(2026, 3, 29, 2, 30)) == D(2026, 3, 29, 1, 30)
    assert clock.local(D(2026, 3, 29, 1, 30)) == D(2026, 3, 29, 3, 30)
    # 2026-10-25 03:00 CEST goes back to 02:00 CET: 02:30 happens twice; the first one.
    assert clock.instant(D(2026, 10, 25, 2, 30)) == D(2026, 10, 25, 0, 30)
    # Days are the box's: the spring day has 23 hours, the autumn day 25.
    start, end = clock.day_range(datetime.date(2026, 3, 29))
    assert (start, end - start) == (D(2026, 3, 28, 23, 0), datetime.timedelta(hours=23))
    start, end = clock.day_range(datetime.date(2026, 10, 25))
    assert (start, end - start) == (D(2026, 10, 24, 22, 0), datetime.timedelta(hours=25))


# --- send windows ---------------------------------------------------------------------------

@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_send_not_after_a_time_already_past_on_the_box_is_refused(zones, os_zone, box_zone):
    from modem.cli import _window_end
    zones(os_zone, box_zone)
    now = at("2026-11-30 09:34")
    with pytest.raises(InputError, match="already passed"):
        _window_end("09:00", now)
    assert _window_end("10:00", now) == at("2026-11-30 10:00")
    assert _window_end("2026-12-01 09:00", now) == at("2026-12-01 09:00")


@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_a_message_whose_box_time_window_ended_expires_unsent(zones, os_zone, box_zone, database):
    from appliance.sms import delivery, outbox
    from appliance.sms.models import Message
    zones(os_zone, box_zone)
    ended = outbox.queue_message("13800138000", "x", not_after=at("2026-11-30 09:00")).id
    assert delivery.ready_parts(10, now=at("2026-11-30 09:34")) == []
    assert delivery.expire_due(now=at("2026-11-30 09:34")) == 1
    assert Message.get_by_id(ended).state == "expired"


@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
@pytest.mark.parametrize("queued,opens,closes", [
    ("2026-11-30 07:00", "2026-11-30 08:00", "2026-11-30 21:00"),   # before it opens
    ("2026-11-30 12:00", None, "2026-11-30 21:00"),                 # open: goes at once
    ("2026-11-30 22:00", "2026-12-01 08:00", "2026-12-01 21:00"),   # evening: tomorrow
    ("2026-12-01 00:30", "2026-12-01 08:00", "2026-12-01 21:00"),   # after midnight
])
def test_the_marketing_window_is_box_time(zones, os_zone, box_zone, config, queued, opens, closes):
    from appliance.sms.window import next_opening, window_for
    zones(os_zone, box_zone)
    window = window_for("marketing", config)
    assert next_opening(at(queued), window) == (opens and at(opens), at(closes))


def test_a_window_across_midnight_in_box_time(zones):
    from appliance.sms.window import next_opening, parse_window
    zones("UTC", "Asia/Shanghai")
    assert next_opening(at("2026-11-30 23:30"), parse_window("22:00-06:00")) == (None, at("2026-12-01 06:00"))
    assert next_opening(at("2026-12-01 07:00"), parse_window("22:00-06:00")) == (at("2026-12-01 22:00"),
                                                                                 at("2026-12-02 06:00"))


def test_the_marketing_window_on_the_night_berlin_springs_forward(zones, config):
    from appliance.sms.window import next_opening, window_for
    zones("Asia/Shanghai", "Europe/Berlin")
    window = window_for("marketing", config)
    assert next_opening(at("2026-03-29 07:30"), window) == (D(2026, 3, 29, 6, 0), D(2026, 3, 29, 19, 0))
    assert next_opening(at("2026-03-28 07:30"), window) == (D(2026, 3, 28, 7, 0), D(2026, 3, 28, 20, 0))


# --- schedules and cron ---------------------------------------------------------------------

@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_cron_fires_at_box_time(zones, os_zone, box_zone):
    from appliance.services.schedules import _next_run
    zones(os_zone, box_zone)
    assert _next_run("0 9 * * *", at("2026-11-30 08:00")) == at("2026-11-30 09:00")
    assert _next_run("0 9 * * *", at("2026-11-30 09:00")) == at("2026-12-01 09:00")
    assert _next_run("30 0 * * 2", at("2026-11-30 23:59")) == at("2026-12-01 00:30")  # Tuesday, after midnight


def test_cron_across_berlin_clock_changes(zones):
    from appliance.services.schedules import _next_run
    zones("UTC", "Europe/Berlin")
    # 02:30 does not exist on 2026-03-29: it runs at 03:30 CEST, once.
    assert _next_run("30 2 * * *", at("2026-03-29 01:00")) == D(2026, 3, 29, 1, 30)
    # 02:30 happens twice on 2026-10-25: it runs at the first, not again at the second.
    first = _next_run("30 2 * * *", at("2026-10-25 01:00"))
    assert first == D(2026, 10, 25, 0, 30)
    assert _next_run("30 2 * * *", first) == at("2026-10-26 02:30")
    assert _next_run("30 2 * * *", D(2026, 10, 25, 1, 10)) == at("2026-10-26 02:30")  # in the repeated hour


@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_a_schedule_fires_at_box_time(zones, os_zone, box_zone, database, config):
    from appliance.services import schedules
    zones(os_zone, box_zone)
    schedule = schedules.create(config, "morning", text="早上好 {name}", category="service",
                                numbers=["13800138000"], cron="0 9 * * *", now=at("2026-11-30 08:00"))
    assert schedule.next_run_at == at("2026-11-30 09:00")
    assert schedules.run_due(config, now=at("2026-11-30 08:59")) == []
    assert len(schedules.run_due(config, now=at("2026-11-30 09:00"))) == 1
    assert schedules.get("morning").next_run_at == at("2026-12-01 09:00")


# --- notices --------------------------------------------------------------------------------

@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_notices_run_at_box_time_for_the_box_day(zones, os_zone, box_zone, database, config):
    from appliance.services import notices
    from appliance.services.daemon import notices_due
    zones(os_zone, box_zone)
    assert not notices_due(config, at("2026-11-30 08:59"))
    assert notices_due(config, at("2026-11-30 09:01"))
    assert notices.run(config, at("2026-12-01 00:30"))["date"] == datetime.date(2026, 12, 1)
    assert not notices_due(config, at("2026-12-01 23:59"))  # that box day has had its run
    assert notices_due(config, at("2026-12-02 09:00"))


# --- tickets, recordings, business hours -----------------------------------------------------

@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_ticket_numbers_carry_the_box_date(zones, os_zone, box_zone, database):
    from appliance.ivr.tickets import open_ticket
    zones(os_zone, box_zone)
    ticket = open_ticket("callback", "ivr", number="13800138000", now=at("2026-12-01 00:30"))
    assert ticket.number.startswith("261201")


@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_recording_names_use_box_time(zones, os_zone, box_zone, config):
    from agi.flows import recording_path
    zones(os_zone, box_zone)
    session = types.SimpleNamespace(config=config, call_id=7)
    path = recording_path(session, now=at("2026-12-01 00:30:05"))
    assert (path.parent.name, path.name) == ("2026-12-01", "call7-003005")


@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_business_hours_are_box_time(zones, os_zone, box_zone):
    from agi.session import Session
    from appliance.config import Config
    zones(os_zone, box_zone)
    context = types.SimpleNamespace(config=Config(), finder=None, writer=None)
    session = Session(types.SimpleNamespace(env={}), context, types.SimpleNamespace(id=None))
    assert not session.operator_open(now=at("2026-11-30 08:29"))   # Monday
    assert session.operator_open(now=at("2026-11-30 08:30"))
    assert not session.operator_open(now=at("2026-11-30 17:30"))


# --- report days ----------------------------------------------------------------------------

@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_report_days_are_box_days(zones, os_zone, box_zone, database):
    from appliance.ivr import calls
    from appliance.sms import billing
    from appliance.sms.models import Message, MessagePart
    zones(os_zone, box_zone)
    for when in ("2026-11-30 23:30", "2026-12-01 00:30", "2026-12-01 23:59"):
        message = Message.create(to_number="+8613800138000", text="x", encoding="gsm7", part_count=1,
                                 state="sent", created_at=at(when), updated_at=at(when))
        MessagePart.create(message=message, seq=1, state="sent", sent_at=at(when))
        call = calls.new_call(caller_id="13800138000")
        call.started_at = at(when)
        call.save(force_insert=True)
    days = {row["day"]: row["messages"] for row in billing.daily_report(datetime.date(2026, 11, 30),
                                                                      datetime.date(2026, 12, 1))}
    assert days == {"2026-11-30": 1, "2026-12-01": 2}
    assert billing.sent_parts_per_day(datetime.date(2026, 12, 1), datetime.date(2026, 12, 1)) == {"2026-12-01": 2}
    assert calls.calls_per_day(datetime.date(2026, 11, 30), datetime.date(2026, 12, 1))[0] == \
        {"2026-11-30": 1, "2026-12-01": 2}


def test_report_days_on_the_berlin_autumn_day_have_25_hours(zones, database):
    from appliance.sms import billing
    from appliance.sms.models import Message
    zones("Asia/Shanghai", "Europe/Berlin")
    for instant in (D(2026, 10, 24, 22, 0), D(2026, 10, 25, 22, 59), D(2026, 10, 25, 23, 0)):
        Message.create(to_number="+8613800138000", text="x", encoding="gsm7", part_count=1, state="sent",
                       created_at=instant, updated_at=instant)
    days = {row["day"]: row["messages"] for row in billing.daily_report(datetime.date(2026, 10, 25),
                                                                      datetime.date(2026, 10, 26))}
    assert days == {"2026-10-25": 2, "2026-10-26": 1}


# --- inbound SMS-centre timestamps ------------------------------------------------------------

@pytest.mark.parametrize("os_zone,box_zone", SWAPPED)
def test_an_sms_centre_timestamp_is_stored_as_an_instant(zones, os_zone, box_zone):
    from modem import pdu
    from modem.dispatcher import _instant
    zones(os_zone, box_zone)
    hex_pdu = pdu.build_deliver("+8613912345678", "hi", now=D(2026, 12, 1, 0, 30, tzinfo=pdu.CHINA_TZ))
    info = pdu.decode(hex_pdu)
    assert _instant(info["time"]) == D(2026, 11, 30, 16, 30)


# --- the migration --------------------------------------------------------------------------

def test_the_migration_turns_os_local_stamps_into_utc(zones, config, tmp_path):
    from appliance.config import ensure_data_dir
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    dbmod.migrate(db)  # the OS in UTC (the test default): the new migration changes nothing
    name = next(m.name for m in Runner(db, str(dbmod.MIGRATIONS_DIR)).status() if m.name.endswith("utc_instants"))
    db.execute_sql("INSERT INTO message (to_number, text, encoding, part_count, state, category, priority, "
                   "delivery_report, created_at, updated_at, failure_reason, source, created_by, department) "
                   "VALUES ('+8613800138000', 'x', 'gsm7', 1, 'sent', 'service', 5, 1, "
                   "'2026-12-01 08:30:00', '2026-12-01 08:30:00.250000', '', '', '', '')")
    db.execute_sql("DELETE FROM schema_migration WHERE name = ?", (name,))
    zones("Asia/Shanghai", "Asia/Shanghai")  # stamps written by the old code on a Shanghai OS
    assert dbmod.migrate(db) == [name]
    assert db.execute_sql("SELECT created_at, updated_at FROM message").fetchone() == \
        ("2026-12-01 00:30:00", "2026-12-01 00:30:00.250000")
    assert dbmod.migrate(db) == []
    db.close()
    # Resumable: a second run over the same rows (as after a power cut) shifts nothing twice.
    raw = sqlite3.connect(config.database_url[len("sqlite:///"):])
    assert raw.execute("SELECT done FROM clock_migration WHERE table_name = 'message'").fetchone() == (1,)
    raw.close()
