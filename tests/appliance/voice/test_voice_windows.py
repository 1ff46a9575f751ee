"""Calling windows (appliance/voice/windows.py) on China's calendar (appliance/voice/days.py):
public holidays and adjusted working days from chinesecalendar, the admin's declared days
first, a year the library does not know falling back to Monday–Friday and saying so; the
box's zone (Asia/Shanghai) whatever the OS's (UTC)."""
import datetime
import logging

import pytest

from appliance import clock
from appliance.errors import InputError
from appliance.voice import days, windows

DEFAULT = windows.DEFAULT  # workday 18:30-20:30; restday 09:00-12:00,15:00-21:00


@pytest.fixture
def shanghai(database, zones):
    zones("UTC", "Asia/Shanghai")


def at(text):
    """The instant of a wall-clock time in the box's zone."""
    return clock.instant(datetime.datetime.fromisoformat(text))


def test_the_default_window_is_the_setting_and_reads_as_the_issue_says():
    window = windows.parse(DEFAULT)
    assert window.workday == ((18 * 60 + 30, 20 * 60 + 30),)
    assert window.restday == ((9 * 60, 12 * 60), (15 * 60, 21 * 60))


def test_a_public_holiday_on_a_weekday_is_a_rest_day(shanghai):
    # National Day, Thursday 1 October 2026: the rest-day morning window, not the workday evening only
    assert windows.open_at(DEFAULT, at("2026-10-01 10:00"))
    assert not windows.open_at(DEFAULT, at("2026-10-15 10:00"))  # an ordinary Thursday
    assert windows.open_at(DEFAULT, at("2026-10-15 19:00"))


def test_an_adjusted_working_day_on_a_saturday_is_a_working_day(shanghai):
    # Saturday 14 February 2026 is worked (调休 for the Spring Festival); 7 March is a plain Saturday
    assert not windows.open_at(DEFAULT, at("2026-02-14 10:00"))
    assert windows.open_at(DEFAULT, at("2026-02-14 19:00"))
    assert windows.open_at(DEFAULT, at("2026-03-07 10:00"))


def test_a_declared_day_beats_the_library(shanghai):
    days.declare("2026-10-15", "holiday", note="branch anniversary", actor="admin")
    days.declare("2026-10-01", "workday", actor="admin")
    assert windows.open_at(DEFAULT, at("2026-10-15 10:00"))
    assert not windows.open_at(DEFAULT, at("2026-10-01 10:00"))
    days.undeclare("2026-10-15")
    assert not windows.open_at(DEFAULT, at("2026-10-15 10:00"))
    assert [(d.day, d.kind) for d in days.declared()] == [(datetime.date(2026, 10, 1), "workday")]


def test_window_edges_start_is_in_end_is_out(shanghai):
    assert not windows.open_at(DEFAULT, at("2026-10-15 18:29:59.999"))
    assert windows.open_at(DEFAULT, at("2026-10-15 18:30:00"))
    assert windows.open_at(DEFAULT, at("2026-10-15 20:29:59.999"))
    assert not windows.open_at(DEFAULT, at("2026-10-15 20:30:00"))
    assert windows.open_at("daily 00:00-24:00", at("2026-10-15 23:59:59.999"))


def test_the_box_zone_decides_not_the_os_zone(database, zones):
    instant = datetime.datetime(2026, 10, 15, 10, 45)  # UTC: 18:45 in Shanghai
    zones("UTC", "Asia/Shanghai")
    assert windows.open_at(DEFAULT, instant)
    assert windows.next_opening(DEFAULT, datetime.datetime(2026, 10, 15, 2, 0)) == datetime.datetime(2026, 10, 15, 10, 30)
    zones("UTC", "UTC")
    assert not windows.open_at(DEFAULT, instant)


def test_next_opening(shanghai):
    def opening(text):
        return clock.local(windows.next_opening(DEFAULT, at(text)))
    assert opening("2026-10-15 19:00") == datetime.datetime(2026, 10, 15, 19, 0)       # open: now
    assert opening("2026-10-15 10:00") == datetime.datetime(2026, 10, 15, 18, 30)      # later today
    assert opening("2026-10-15 21:00") == datetime.datetime(2026, 10, 16, 18, 30)      # Friday evening
    assert opening("2026-10-16 21:00") == datetime.datetime(2026, 10, 17, 9, 0)        # Saturday morning
    assert opening("2026-10-17 12:00") == datetime.datetime(2026, 10, 17, 15, 0)       # the afternoon range
    assert opening("2026-09-30 21:00") == datetime.datetime(2026, 10, 1, 9, 0)         # National Day morning
    days.declare("2026-10-16", "holiday")
    assert opening("2026-10-15 21:00") == datetime.datetime(2026, 10, 16, 9, 0)
    # working days only: past the National Day week (1-7 October) to Thursday 8 October
    assert clock.local(windows.next_opening("workday 09:00-10:00", at("2026-10-01 11:00"))) == \
        datetime.datetime(2026, 10, 8, 9, 0)


def test_a_window_that_does_not_open_within_the_horizon_gives_none(shanghai, monkeypatch):
    monkeypatch.setattr(windows, "HORIZON_DAYS", 5)
    assert windows.next_opening("workday 09:00-10:00", at("2026-10-01 11:00")) is None


def test_a_year_the_library_does_not_know_falls_back_to_monday_to_friday_and_says_so(shanghai, caplog):
    assert 2027 not in days.KNOWN  # chinesecalendar 1.11 (if a newer one knows 2027, pick a later year)
    days._warned.discard(2027)
    with caplog.at_level(logging.WARNING, logger="appliance.voice.days"):
        assert not windows.open_at(DEFAULT, at("2027-01-01 10:00"))   # a Friday: a working day by fallback
        assert windows.open_at(DEFAULT, at("2027-01-02 10:00"))       # a Saturday
        assert windows.open_at(DEFAULT, at("2027-01-04 19:00"))
    warnings = [r.getMessage() for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1 and "Monday-Friday" in warnings[0]  # once, however many days
    days.declare("2027-01-01", "holiday", note="元旦")
    assert windows.open_at(DEFAULT, at("2027-01-01 10:00"))
    status, what, detail = days.calendar_check(datetime.date(2026, 11, 30))
    assert (status, what) == ("warn", "holiday calendar") and "2027" in detail and "days add" in detail
    assert days.calendar_check(datetime.date(2025, 3, 1))[0] == "ok"


def test_a_search_that_opens_soon_does_not_warn_of_a_year_it_never_reached(shanghai, caplog):
    days._warned.discard(2027)
    with caplog.at_level(logging.WARNING, logger="appliance.voice.days"):
        windows.next_opening(DEFAULT, at("2026-11-30 10:00"))
    assert not [r for r in caplog.records if "2027" in r.getMessage()]


@pytest.mark.parametrize("text, says", [
    ("", "empty"),
    ("weekend 09:00-12:00", "'weekend' is not workday, restday or daily"),
    ("workday 18:30", "not a time range"),
    ("workday 21:00-02:00", "ends before it starts"),
    ("workday 18:30-24:30", "not a time of day"),
    ("restday 09:00-12:00,11:00-13:00", "overlap"),
    ("workday 18:30-20:30; restday", "not a time range"),
])
def test_a_bad_window_is_refused_naming_the_field(text, says):
    with pytest.raises(InputError, match=says) as caught:
        windows.check(text, "window")
    assert caught.value.field == "window" and "\n" not in str(caught.value)
    assert str(caught.value).startswith("window: ")


def test_window_spellings():
    assert windows.check("  workday 18:30-20:30 ;  restday 9:00-12:00 ") == "workday 18:30-20:30 ; restday 9:00-12:00"
    assert windows.parse("always") == windows.parse("daily 00:00-24:00")
    assert windows.parse("workday 18:30-20:30；restday 09:00-12:00").restday == ((540, 720),)
    assert windows.parse("workday 09:00-10:00").restday == ()  # no calls on rest days


def test_declaring_a_day_refuses_a_bad_date_or_kind(database):
    with pytest.raises(InputError, match="date: must be a date YYYY-MM-DD") as caught:
        days.declare("2026-02-30", "holiday")
    assert caught.value.field == "date"
    with pytest.raises(InputError, match="kind: must be workday or holiday"):
        days.declare("2026-02-28", "weekend")
    with pytest.raises(InputError, match="date: 2026-02-28 is not declared"):
        days.undeclare("2026-02-28")
    assert days.declared() == []
