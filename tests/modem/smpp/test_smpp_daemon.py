"""`appliance run smpp` as a process: its settings checked (at save and at start), its
crash rules with kill -9 mid-window against the fake SMSC, recovery at start."""
import json
import os
import signal
import subprocess
import sys

import pytest
from peer_support import wait_for
from smpp_support import queue_smpp, smpp_settings

from appliance import clock
from appliance.config import toml_value
from appliance.sms import delivery
from appliance.sms.models import Message, MessagePart
from modem.smpp.simulator import Smsc


def write_config(path, data_dir, values):
    sections = {}
    for name, value in values.items():
        head, _, key = name.rpartition(".")
        sections.setdefault(head, []).append(f"{key} = {toml_value(value)}")
    text = f'data_dir = "{data_dir}"\n'
    for head, lines in sections.items():
        text += f"\n[{head}]\n" + "\n".join(lines) + "\n"
    path.write_text(text)
    return path


@pytest.mark.parametrize("values, field", [
    ({"smpp.port": 0}, "smpp.port"),
    ({"smpp.system_id": ""}, "smpp.system_id"),
    ({"smpp.window": 0}, "smpp.window"),
])
def test_bad_settings_refused_at_start_and_at_save(tmp_path, run_cli, values, field):
    good = smpp_settings(2775, **{"smpp.window": 10})
    path = write_config(tmp_path / "bad.toml", tmp_path / "data", {**good, **values})
    done = run_cli("run", "smpp", config_path=path, timeout=60)
    assert done.returncode == 2
    [line] = [x for x in done.stderr.splitlines() if x.startswith("appliance: error:")]  # one line, no traceback
    assert line.startswith(f"appliance: error: {field}:") and "Traceback" not in done.stderr
    ok = write_config(tmp_path / "ok.toml", tmp_path / "data", good)
    name, value = next(iter(values.items()))
    done = run_cli("config", "set", name, str(value) if value != "" else "", config_path=ok)
    assert done.returncode == 2 and field in done.stderr
    assert f"{name.split('.')[1]} = {toml_value(good[name])}" in ok.read_text()  # unchanged


def test_recovery_at_start_takes_only_smpp_parts(start_sender, smsc, database):
    by_smpp = queue_smpp("+8613800138600", "in flight over SMPP")
    by_modem = queue_smpp("+8613800138601", "in flight on gsm0")
    from appliance.cluster.identity import box_name
    from appliance.config import Config
    me = box_name(Config({}))
    MessagePart.update(state="sending", modem="smpp", claimed_by=me).where(MessagePart.message == by_smpp.id).execute()
    MessagePart.update(state="sending", modem="gsm0", claimed_by=me).where(MessagePart.message == by_modem.id).execute()
    assert delivery.recover_interrupted(clock.now(), box=me, bearer="smpp") == 1
    assert MessagePart.get(MessagePart.message == by_smpp.id).state == "unknown"
    assert MessagePart.get(MessagePart.message == by_modem.id).state == "sending"  # smsd's own, maybe on the air


def test_kill_9_mid_window_leaves_exactly_the_in_flight_parts_unknown(tmp_path, database, config):
    smsc = Smsc(system_id="branch", password="pw", latency=30.0).start()  # answers nothing while we look
    try:
        path = write_config(tmp_path / "smpp.toml", config.data_dir, smpp_settings(smsc.port, **{"smpp.window": 4}))
        messages = [queue_smpp(f"+86138001387{i:02d}", f"notice {i}", delivery_report=False) for i in range(10)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        argv = [sys.executable, "-m", "appliance.cli", "--config", str(path), "run", "smpp"]
        daemon = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: len(smsc.submits) == 4, 30, "a full window at the SMSC")
            wait_for(lambda: MessagePart.select().where(MessagePart.state == "sending").count() == 4, 10, "claims")
        finally:
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(10)
        in_flight = {s.destination for s in smsc.submits}
        smsc.latency = 0.0
        daemon = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: all(Message.get_by_id(m.id).state in ("sent", "unknown") for m in messages), 30,
                     "every message sent or unknown")
        finally:
            daemon.terminate()
            daemon.wait(20)
        unknown = {m.to_number.lstrip("+") for m in messages if Message.get_by_id(m.id).state == "unknown"}
        assert unknown == in_flight
        submitted = [s.destination for s in smsc.submits]
        assert len(submitted) == len(set(submitted)) == 10  # the 4 were not sent again; the rest went once
    finally:
        smsc.stop()


def test_bench_reports_parts_per_second_and_cpu(run_cli):
    done = run_cli("-q", "bench", "sms", "--bearer", "smpp", "--parts", "40", "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout[done.stdout.index("{"):])
    assert result["parts"] == 40 and result["delivered"] == 40 and result["parts_per_second"] > 0
    assert result["cpu_ms_per_part"] >= 0
