"""`appliance report letters|collection|campaign-effect|rates` as a real process on the known
data set (tests/report_support.py): the figures as JSON and CSV, and bad input exits 2 with
one line naming the field; the SMS statements still answer in the same `report` group."""
import csv
import io
import json

import pytest
from report_support import build

from appliance import cli, db as dbmod
from appliance.config import Config, ensure_data_dir


@pytest.fixture
def known(tmp_path, config_file):
    config = Config({"data_dir": str(tmp_path / "data")})
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    build()
    db.close()
    return config_file


def test_reports_on_the_command_line(known, run_cli):
    out = run_cli("report", "letters", "--from", "2026-11-01", "--to", "2026-11-30", "--json", config_path=known)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["tables"]["letters"][-1] == {
        "channel": "total", "notices": 11, "units": 12, "cost": "0.70", "letter_cost": "13.20", "saving": "12.50"}
    out = run_cli("report", "collection", "--from", "2026-11-01", "--to", "2026-11-30", "--days", "30", "--csv",
                  config_path=known)
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[:3] == [["Premiums due and paid after a reminder, by channel"],
                        ["Channel", "Premiums due", "Amount due (CNY)", "Reminded",
                         "Paid within the days after a reminder", "Amount paid (CNY)", "Paid after a reminder"],
                        ["SMS", "5", "3800.00", "5", "4", "3300.00", "0.8000"]]


def test_rates_as_a_table_beside_the_sms_statement(known, capsys):
    """In-process (the two runs above are real processes): the table, and the SMS statement
    still answering in the `report` group it shares."""
    assert cli.main(["--config", str(known), "report", "rates", "--from", "2026-11-01", "--to", "2026-11-07",
                     "--step", "week"]) == 0
    assert capsys.readouterr().out.splitlines()[2:] == ["2026-W44\t1\t0\t0.0000\t0\t0\t\t0\t0\t",
                                                        "2026-W45\t7\t6\t0.8571\t4\t2\t0.5000\t2\t1\t0.5000"]
    assert cli.main(["--config", str(known), "report", "statement", "2026-11"]) == 0
    # November's parts in the box's zone: the six renewal steps (7 parts, 0.40), the agent's copy and the
    # birthday greeting (0.10), the survey's four (0.25, one to Hong Kong).
    assert capsys.readouterr().out.splitlines()[-1] == "total\t13 part(s)\t0.75"


def test_bad_input_exits_2_naming_the_field(known, run_cli):
    out = run_cli("report", "collection", "--from", "2026-11-31", "--days", "30", config_path=known)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "from" in out.stderr, out.stderr
