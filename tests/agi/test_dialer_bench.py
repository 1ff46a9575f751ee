"""`appliance bench dialer` (agi/dialer_bench.py), tiny: 40 numbers over 8 channels through a
private Asterisk; every attempt gets a result and the report has its figures. Skipped,
saying why, where there is no Asterisk build (tests/asterisk_support.py)."""
import os
import subprocess
import sys

from asterisk_support import asterisk_install  # noqa: F401  (fixture)

from agi.dialer_bench import run_bench


def test_a_tiny_bench_reports_every_figure_and_every_call_got_a_result(asterisk_install, tmp_path):  # noqa: F811
    lines = []
    code, report = run_bench(numbers=40, channels=8, ring=0.2, hold=0.2, idle=1.0, prefix=str(asterisk_install),
                             keep_dir=tmp_path / "bench", out=lines.append)
    assert code == 0, lines
    assert report["results"] == {"answered": 40}, lines
    assert 0.5 < report["busy_share"] <= 1.0 and report["calls_per_second"] > 1, report
    assert report["gap_p50_ms"] is not None and report["gap_p99_ms"] >= report["gap_p50_ms"]
    assert 0 < report["cpu_ms_per_call"] < 100 and report["asterisk_cpu_ms_per_call"] > 0, report
    assert report["idle_cpu_ms_per_s"] < 50, report  # a busy wait would use ~1000 ms per second
    text = "\n".join(lines)
    assert "channels busy while numbers were left" in text and "ms per call" in text, text


def test_without_an_asterisk_build_the_command_exits_2_with_one_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "appliance.cli", "bench", "dialer", "--numbers", "5",
                          "--asterisk-prefix", str(tmp_path / "none")], capture_output=True, text=True,
                         timeout=60, env={k: v for k, v in os.environ.items() if k != "APPLIANCE_CONFIG"})
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().count("\n") == 0 and "--asterisk-prefix" in run.stderr, run.stderr
    assert "holds no sbin/asterisk" in run.stderr


def test_a_bad_figure_exits_2_naming_it(tmp_path):
    run = subprocess.run([sys.executable, "-m", "appliance.cli", "bench", "dialer", "--channels", "0"],
                         capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != "APPLIANCE_CONFIG"})
    assert run.returncode == 2 and run.stderr.strip() == "appliance: error: --channels: must be at least 1", run.stderr
