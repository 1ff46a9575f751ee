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
