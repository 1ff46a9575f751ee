"""`appliance bench agi` measures the server as deployed, and says where its tail is."""
import re
from pathlib import Path
from types import SimpleNamespace

from agi import bench

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "appliance-agi.service"


def test_the_bench_runs_the_server_at_the_units_niceness():
    nice = re.search(r"^Nice=(-?\d+)$", UNIT.read_text(), re.M)
    assert nice and int(nice.group(1)) == bench.UNIT_NICE


def test_the_tail_breakdown_names_the_commands_of_the_slowest_trips():
    fast = SimpleNamespace(round_trips=[0.0002] * 300, trip_commands=['STREAM FILE "menu_main" ""'] * 300)
    slow = SimpleNamespace(round_trips=[0.009] * 4, trip_commands=['GET DATA "agent_enter_badge" 5000 8'] * 4)
    lines = []
    bench.slow_kinds([fast, slow], lines.append)
    assert lines == ['slowest 1 % ended with: GET DATA "agent_enter_badge" (4)']


def test_the_machine_line_reports_busy_and_stolen_shares():
    assert bench.machine_line((100, 10, 1000), (150, 30, 1200)) == \
        "machine during the run: 25% busy, 10.0% stolen by the host"
    assert bench.machine_line(None, (1, 1, 1)) is None
    busy, stolen, total = bench.cpu_times()  # this machine's /proc/stat parses
    assert 0 <= stolen <= total and 0 <= busy <= total
