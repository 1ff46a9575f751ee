"""`appliance tickets …`: the lifecycle and the departments from the command line, with one
real process for the exit code and the one-line error; the rest through cli.main in-process."""
import datetime
import json

import pytest

from appliance import cli
from appliance import db as dbmod
from appliance.config import load_config
from appliance.ivr.tickets import open_ticket
from appliance.models import Staff
from appliance.sms.models import Message
from appliance.tickets.models import Department, Ticket


@pytest.fixture
def box(config_file):
    """The configured box's database, with a head of department and one complaint."""
    config = load_config(str(config_file))
    db = dbmod.open_and_migrate(config)
    Staff.create(badge_no="H001", name="李主任", mobile="+8613900000001")
    ticket = open_ticket("complaint", "sms", number="13800138000", text="理赔太慢",
                         now=datetime.datetime(2026, 11, 30, 2, 0))
    yield ticket
    db.close()


def run(config_file, capsys, *argv):
    code = cli.main(["--config", str(config_file), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_ticket_through_its_loop_from_the_command_line(box, config_file, capsys):
    number = box.number
    assert run(config_file, capsys, "tickets", "departments", "add", "客户服务部", "--head", "H001")[0] == 0
    assert run(config_file, capsys, "tickets", "assign", number, "--department", "客户服务部", "--by", "front") == (
        0, f"{number}\tassigned\n", "")
    assert run(config_file, capsys, "tickets", "start", number)[1] == f"{number}\tin_progress\n"
    assert run(config_file, capsys, "tickets", "answer", number, "已加急处理。")[1] == f"{number}\tanswered\n"
    assert run(config_file, capsys, "tickets", "return", number, "金额不对")[1] == f"{number}\treturned\n"
    assert run(config_file, capsys, "tickets", "answer", number, "已更正。")[1] == f"{number}\tanswered\n"
    assert run(config_file, capsys, "tickets", "close", number, "--text", "已确认")[1] == f"{number}\tclosed\n"
    assert run(config_file, capsys, "tickets", "reopen", number, "客户未收到")[1] == f"{number}\tassigned\n"
    assert run(config_file, capsys, "tickets", "note", number, "已催财务")[1] == f"{number}\tassigned\n"
    code, out, _ = run(config_file, capsys, "tickets", "show", number, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["department"] == "客户服务部" and shown["caller"] == "+86138****8000"
    assert [e["action"] for e in shown["history"]] == [
        "opened", "assigned", "started", "answered", "notified", "returned", "answered", "notified", "closed",
        "reopened", "noted"]
    assert shown["history"][1]["by"] == "front" and shown["history"][2]["by"] == "cli"
    assert Message.select().where(Message.to_number == "+8613800138000").count() == 2
    code, out, _ = run(config_file, capsys, "tickets", "list", "--status", "assigned")
    assert code == 0 and out.startswith(f"{number}\tassigned\tcomplaint\tsms\t+86138****8000\t客户服务部")
    listed = json.loads(run(config_file, capsys, "tickets", "departments", "list", "--json")[1])
    assert listed == [{"id": 1, "name": "客户服务部", "head": "李主任", "head_badge": "H001", "open": 1}]


def test_departments_from_the_command_line(box, config_file, capsys):
    assert run(config_file, capsys, "tickets", "departments", "add", "理赔部") == (0, "1\n", "")
    assert run(config_file, capsys, "tickets", "departments", "set-head", "理赔部", "H001")[0] == 0
    assert Department.get().head.badge_no == "H001"
    assert run(config_file, capsys, "tickets", "departments", "add", "理赔部") == (
        2, "", "appliance: error: name: department 理赔部 exists already\n")
    run(config_file, capsys, "tickets", "assign", box.number, "--department", "理赔部")
    assert run(config_file, capsys, "tickets", "departments", "remove", "理赔部")[0] == 2  # an open ticket
    assert run(config_file, capsys, "tickets", "departments", "set-head", "理赔部", "X9")[2] == (
        "appliance: error: head: no staff member with badge number X9\n")


def test_bad_input_exits_2_with_one_line_and_changes_nothing(box, run_cli, config_file):
    result = run_cli("tickets", "close", box.number, config_path=config_file)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"appliance: error: status: ticket {box.number} cannot be closed now; "
                             "only an answered ticket can\n")
    result = run_cli("tickets", "answer", box.number, " ", config_path=config_file)
    assert result.returncode == 2 and result.stderr.startswith("appliance: error: text: empty")
    result = run_cli("tickets", "note", "2611309999", "x", config_path=config_file)
    assert result.returncode == 2 and result.stderr == "appliance: error: ticket: no ticket 2611309999\n"
    assert Ticket.get_by_id(box.id).status == "new" and len(box.events) == 1
