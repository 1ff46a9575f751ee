"""Demo data and the `appliance demo` command."""
import contextlib
import datetime
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from peer_support import free_port

from appliance import demo_data
from appliance.models import CLAIM_STATUSES, POLICY_STATUSES, STAFF_STATUSES, Claim, Customer, Policy, Staff


def test_seed_covers_every_state(database):
    counts = demo_data.seed(customers=300, now=datetime.datetime(2026, 11, 22, 10, 0))
    assert counts["Customer"] == 300 and counts["Policy"] >= 300
    assert {p.status for p in Policy.select()} == set(POLICY_STATUSES)
    assert {s.status for s in Staff.select()} == set(STAFF_STATUSES)
    assert {c.status for c in Claim.select()} == set(CLAIM_STATUSES)
    for badge, name, _, status, _ in demo_data.KNOWN_AGENTS:
        assert Staff.get(Staff.badge_no == badge).status == status
    assert not Staff.select().where(Staff.badge_no == demo_data.UNKNOWN_BADGE).exists()


def test_seed_people_are_plausible(database):
    demo_data.seed(customers=120, now=datetime.datetime(2026, 11, 22, 10, 0))
    customers = list(Customer.select())
    assert all("\u4e00" <= c.name[0] <= "\u9fff" for c in customers)
    assert len({c.mobile for c in customers}) == len(customers)
    assert all(c.birth_date and c.gender in ("M", "F") and c.mobile.startswith("+861") for c in customers)
    # birth date and gender were derived from valid ID numbers by the model itself
    assert all(c.id_number[6:14] == c.birth_date.strftime("%Y%m%d") for c in customers)


def people_after_seed(tmp_path, name):
    from appliance import db as dbmod
    from appliance.config import Config, ensure_data_dir
    config = Config({"data_dir": str(tmp_path / name)})
    ensure_data_dir(config)
    dbmod.migrate(dbmod.open_database(config))
    demo_data.seed(customers=40, now=datetime.datetime(2026, 11, 22, 10, 0))
    people = [(c.name, c.mobile, c.id_number) for c in Customer.select().order_by(Customer.id)]
    policies = [(p.policy_no, p.status, p.next_due_date) for p in Policy.select().order_by(Policy.id)]
    dbmod.database.obj.close()
    return people, policies


def test_seed_is_deterministic(tmp_path):
    """README and tests name demo records, so the same seed must give the same data."""
    first = people_after_seed(tmp_path, "a")
    second = people_after_seed(tmp_path, "b")
    assert first == second and len(first[0]) == 40


@contextlib.contextmanager
def start_demo(data, *options):
    """`appliance demo` on data, stopped however the test ends: a failing assertion never
    leaves demo processes behind (Ctrl-C, then kill -9 of it and of each daemon it started:
    they run in sessions of their own, found by the demo's config file on their command line)."""
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "demo", "--dir", str(data),
                             "--customers", "60", *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate(timeout=30)
        config = str(data / "demo.toml").encode()
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if config in cmdline.read_bytes().split(b"\0"):
                    os.kill(int(cmdline.parent.name), signal.SIGKILL)
            except (OSError, ValueError):
                pass  # gone meanwhile


def test_demo_runs_seeds_and_stops_cleanly_on_ctrl_c(tmp_path):
    data = tmp_path / "demo"
    web_port, agi_port = free_port(), free_port()
    with start_demo(data, "--web-listen", f"127.0.0.1:{web_port}", "--agi-listen",
                    f"127.0.0.1:{agi_port}") as proc:
        output = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            output.append(line)
            if "Press Ctrl-C to stop." in line or not line:
                break
        text = "".join(output)
        assert "Appliance demo is running." in text, text
        assert str(data) in text and "35019001 (suspended)" in text
        assert f"{data / 'mail'} as a .eml file" in text  # the mailer runs, with the sink as its relay
        assert f"http://127.0.0.1:{web_port}/" in text and f"agi://127.0.0.1:{agi_port}/ivr" in text
        for port in (web_port, agi_port):  # "running" means serving: both answer already
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        os.killpg(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, text + rest
        assert "demo stopped" in rest
        assert (data / "appliance.db").exists() and (data / "demo.toml").exists()


def test_demo_fails_loudly_when_a_daemon_cannot_start(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with start_demo(tmp_path / "demo", "--web-listen", f"127.0.0.1:{port}", "--agi-listen",
                        f"127.0.0.1:{free_port()}") as proc:
            out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, out
    assert "Appliance demo is running." not in out
    assert (f"appliance: error: demo: web did not start (exit code 2: appliance: error: web.listen: "
            f"cannot listen on 127.0.0.1:{port}") in out
