"""Ticket figures (appliance.tickets.figures) on a known data set: tickets with exact times
and histories in the box's zone (Asia/Shanghai, where a UTC week would differ), every
number asserted, on SQLite and a real PostgreSQL; the CSV carries the same numbers."""
import csv
import datetime
import io
import json

import pytest
from ticket_figures_support import at, load_known, ticket

from appliance import clock, db as dbmod
from appliance.errors import InputError
from appliance.tickets import figures, figures_cli

KINDS0 = dict.fromkeys(figures.TICKET_KINDS, 0)
SOURCES0 = dict.fromkeys(figures.TICKET_SOURCES, 0)
SLA0 = dict.fromkeys(figures.SLA_OUTCOMES, 0)


@pytest.fixture
def known(any_database):
    return load_known()


def test_weekly_figures_of_a_known_data_set(known):
    data = figures.figures("week", datetime.date(2026, 11, 10), datetime.date(2026, 11, 25), now=known)
    assert (data["period"], data["from"], data["to"]) == ("week", "2026-11-09", "2026-11-29")
    w46, w47, w48 = data["periods"]
    assert [(p["label"], p["first"], p["last"]) for p in data["periods"]] == [
        ("2026-W46", "2026-11-09", "2026-11-15"), ("2026-W47", "2026-11-16", "2026-11-22"),
        ("2026-W48", "2026-11-23", "2026-11-29")]
    assert (w47["start"], w47["end"]) == (datetime.datetime(2026, 11, 15, 16), datetime.datetime(2026, 11, 22, 16))

    assert w46["opened"] == 4
    assert w46["by_kind"] == {**KINDS0, "complaint": 1, "callback": 1, "agent-report": 1, "alert": 1}
    assert w46["by_source"] == {**SOURCES0, "sms": 1, "web": 1, "ivr": 1, "system": 1}
    assert w46["by_department"] == {"客服部": 1, "": 3}
    assert w46["by_handler"] == {"alice": 1, "": 3}
    assert w46["answered_by"] == {"alice": 2}
    assert w46["sla"] == {**SLA0, "met": 1, "overdue": 1}
    assert w46["sla_by_department"] == {"客服部": {**SLA0, "met": 1}, "": {**SLA0, "overdue": 1}}
    assert w46["sla_by_handler"] == {"alice": {**SLA0, "met": 1}, "": {**SLA0, "overdue": 1}}
    assert (w46["complaints"], w46["complaints_by_department"]) == (1, {"客服部": 1})
    assert w46["complaints_by_agent"] == [
        {"staff_id": 1, "badge_no": "A001", "name": "张三", "department": "销售一部", "complaints": 1}]
    # At W46's end: the untouched callback (past due), the alert closed only later, the
    # ticket from before (assigned, past due); the closed ones are not there.
    assert w46["backlog"] == {"at": w46["end"], "open": 3, "past_due": 2,
                              "by_status": {"new": 2, "assigned": 1, "in_progress": 0, "answered": 0,
                                            "returned": 0},
                              "by_age": {"0-1d": 0, "1-3d": 1, "3-7d": 1, "7d+": 1}}

    assert w47["opened"] == 1
    assert w47["by_kind"] == {**KINDS0, "complaint": 1} and w47["by_source"] == {**SOURCES0, "ivr": 1}
    assert (w47["by_department"], w47["by_handler"]) == ({"理赔部": 1}, {"bob": 1})
    assert w47["answered_by"] == {"bob": 2, "carol": 1}
    assert w47["sla"] == {**SLA0, "missed": 1}  # the first answer counts: late
    assert w47["sla_by_handler"] == {"bob": {**SLA0, "missed": 1}}
    assert w47["complaints_by_department"] == {"理赔部": 1}
    assert [(a["badge_no"], a["complaints"]) for a in w47["complaints_by_agent"]] == [("A001", 1)]
    # At W47's end: the reopened complaint (assigned, 6 days 23 h old, past due), the callback,
    # the old one answered by carol (answered: not past due).
    assert w47["backlog"] == {"at": w47["end"], "open": 3, "past_due": 2,
                              "by_status": {"new": 1, "assigned": 1, "in_progress": 0, "answered": 1,
                                            "returned": 0},
                              "by_age": {"0-1d": 0, "1-3d": 0, "3-7d": 1, "7d+": 2}}

    assert w48["opened"] == 3
    assert w48["by_kind"] == {**KINDS0, "inquiry": 1, "complaint": 2}
    assert w48["by_source"] == {**SOURCES0, "api": 1, "sms": 1, "web": 1}
    assert w48["by_department"] == {"客服部": 1, "": 1, "理赔部": 1}
    assert w48["by_handler"] == {"alice": 1, "": 2}
    assert w48["answered_by"] == {}
    assert w48["sla"] == {**SLA0, "pending": 1}
    assert (w48["complaints"], w48["complaints_by_department"]) == (2, {"": 1, "理赔部": 1})
    assert w48["complaints_by_agent"] == [
        {"staff_id": 2, "badge_no": "A002", "name": "李四", "department": "销售二部", "complaints": 1},
        {"staff_id": None, "badge_no": "", "name": "", "department": "", "complaints": 1}]
    # The running week: its backlog now.
    assert w48["backlog"] == {"at": known, "open": 6, "past_due": 2,
                              "by_status": {"new": 3, "assigned": 2, "in_progress": 0, "answered": 1,
                                            "returned": 0},
                              "by_age": {"0-1d": 1, "1-3d": 2, "3-7d": 0, "7d+": 3}}

    totals = data["totals"]
    assert (totals["opened"], totals["complaints"]) == (8, 4)
    assert totals["sla"] == {**SLA0, "met": 1, "missed": 1, "overdue": 1, "pending": 1}
    assert totals["answered_by"] == {"alice": 2, "bob": 2, "carol": 1}
    assert totals["complaints_by_department"] == {"客服部": 1, "理赔部": 2, "": 1}
    assert [(a["badge_no"], a["complaints"]) for a in totals["complaints_by_agent"]] == [
        ("A001", 2), ("A002", 1), ("", 1)]


def test_monthly_figures_and_a_future_period(known):
    data = figures.figures("month", datetime.date(2026, 10, 5), datetime.date(2026, 12, 1), now=known)
    october, november, december = data["periods"]
    assert [p["label"] for p in data["periods"]] == ["2026-10", "2026-11", "2026-12"]
    assert (data["from"], data["to"]) == ("2026-10-01", "2026-12-31")
    assert october["opened"] == 0 and october["backlog"]["open"] == 0
    assert november["opened"] == 9
    assert november["sla"] == {**SLA0, "met": 1, "missed": 2, "overdue": 1, "pending": 1}  # carol: late
    assert november["answered_by"] == {"alice": 2, "bob": 2, "carol": 1}
    assert november["backlog"]["open"] == 6  # the month is still running: now
    assert december["opened"] == 0 and december["backlog"] is None  # not begun


def test_csv_has_every_number_once_per_row(known):
    data = figures.figures("week", datetime.date(2026, 11, 16), datetime.date(2026, 11, 22), now=known)
    out = io.StringIO()
    figures.write_csv(data, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == list(figures.CSV_HEADER)
    by_key = {tuple(r[3:6]): int(r[6]) for r in rows[1:]}
    assert all(r[:3] == ["2026-W47", "2026-11-16", "2026-11-22"] for r in rows[1:])
    assert len(by_key) == len(rows) - 1  # no figure twice
    assert by_key[("opened", "", "")] == 1
    assert by_key[("kind", "complaint", "")] == 1 and by_key[("kind", "inquiry", "")] == 0
    assert by_key[("answered_by", "bob", "")] == 2 and by_key[("answered_by", "carol", "")] == 1
    assert by_key[("sla", "missed", "")] == 1
    assert by_key[("sla_handler", "bob", "missed")] == 1 and by_key[("sla_department", "理赔部", "met")] == 0
    assert by_key[("complaints_agent", "A001", "张三")] == 1
    assert by_key[("backlog", "open", "")] == 3 and by_key[("backlog", "past_due", "")] == 2
    assert by_key[("backlog_age", "7d+", "")] == 2 and by_key[("backlog_status", "answered", "")] == 1


def test_figures_are_group_by_queries_not_a_query_per_ticket(known):
    """The number of queries does not grow with the tickets: 5 for the periods' counts (the
    departments' names one of them) and one backlog query per period begun."""
    def count_queries():
        db, executed = dbmod.database.obj, []
        original = db.execute_sql

        def counting(sql, *args, **kwargs):
            executed.append(sql)
            return original(sql, *args, **kwargs)
        db.execute_sql = counting
        try:
            figures.figures("week", datetime.date(2026, 11, 9), datetime.date(2026, 11, 25), now=known)
        finally:
            del db.execute_sql
        return len([s for s in executed if s.lstrip().upper().startswith("SELECT")])
    before = count_queries()
    for i in range(20):
        ticket("complaint", "sms", at(17, 9) + datetime.timedelta(minutes=i), due=at(18, 9))
    assert count_queries() == before == 5 + 3


@pytest.mark.parametrize("args, field", [
    (("day", None, None), "period"),
    (("week", datetime.date(2026, 11, 20), datetime.date(2026, 11, 10)), "from"),
    (("week", datetime.date(2024, 1, 1), datetime.date(2026, 11, 10)), "from"),
])
def test_bad_input_names_the_field(database, args, field):
    with pytest.raises(InputError) as refused:
        figures.figures(*args)
    assert refused.value.field == field and str(refused.value).startswith(f"{field}: ")


def test_default_range_ends_today(database):
    now = datetime.datetime(2026, 11, 25, 12)
    weeks = figures.figures("week", now=now)["periods"]
    assert len(weeks) == figures.DEFAULT_COUNT["week"] and weeks[-1]["label"] == "2026-W48"
    months = figures.figures("month", now=now)["periods"]
    assert [m["label"] for m in months] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


def test_command_line_figures_as_table_json_and_csv(database, run_cli, config_file):
    load_known()  # in the SQLite database of config_file
    args = ("tickets", "figures", "--period", "week", "--from", "2026-11-16", "--to", "2026-11-22")
    table = run_cli(*args, config_path=config_file)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines() == ["\t".join(figures_cli.TABLE),
                                         "2026-W47\t2026-11-16\t2026-11-22\t1\t0\t1\t0\t0\t1\t3\t2"]
    as_json = json.loads(run_cli(*args, "--json", config_path=config_file).stdout)
    assert as_json["periods"][0]["answered_by"] == {"bob": 2, "carol": 1}
    assert as_json["periods"][0]["end"] == "2026-11-23T00:00:00+08:00"  # the box's offset, as the API
    as_csv = run_cli(*args, "--csv", config_path=config_file).stdout
    rows = list(csv.reader(io.StringIO(as_csv)))
    assert rows[0] == list(figures.CSV_HEADER)
    assert ["2026-W47", "2026-11-16", "2026-11-22", "complaints_agent", "A001", "张三", "1"] in rows


@pytest.mark.parametrize("args, field", [  # a process each: the domain's tests cover the other refusals
    (("--to", "yesterday"), "to"), (("--from", "2026-11-20", "--to", "2026-11-10"), "from"),
])
def test_command_line_refuses_bad_input_naming_the_field(run_cli, config_file, args, field):
    result = run_cli("-q", "tickets", "figures", *args, config_path=config_file)
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"appliance: error: {field}: "), line


def test_periods_follow_the_box_calendar_across_a_dst_change():
    clock.set_zone("Europe/Berlin")  # summer time ends on Sunday 2026-10-25
    week, following = figures.periods("week", datetime.date(2026, 10, 19), datetime.date(2026, 10, 26))
    assert (week.start, week.end) == (datetime.datetime(2026, 10, 18, 22), datetime.datetime(2026, 10, 25, 23))
    assert following.start == week.end and following.label == "2026-W44"
    [october] = figures.periods("month", datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    assert (october.start, october.end) == (datetime.datetime(2026, 9, 30, 22), datetime.datetime(2026, 10, 31, 23))
