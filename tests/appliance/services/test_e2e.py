"""The SMS services end to end through the modem simulator: real processes
(`appliance sim`, `appliance run smsd`, `appliance run services`), inbound SMS
injected with `appliance sim inject`, outbound read back from the simulator's
air.jsonl and decoded."""
import datetime
import json
import os
import signal
import subprocess
import sys
from decimal import Decimal

import pytest
from peer_support import wait_for as poll

from appliance import db as dbmod
from appliance.config import load_config
from appliance.tickets.models import Ticket
from appliance.models import Customer, Policy, Product, Staff
from appliance.services.models import OptOut

pytestmark = pytest.mark.slow

HOLDER = "+8613800138000"
AGENT = "+8613900139000"


def decoded_air(directory):
    from modem.pdu import decode
    from modem.sim import read_air
    out = []
    for record in read_air(directory):
        if record.get("result") == "ok":
            info = decode(record["pdu"])
            out.append((info["number"], info["text"], info.get("concat")))
    return out


def texts_to(directory, number):
    """Whole texts sent to a number (parts of long messages joined in order)."""
    whole, pending = [], {}
    for to, text, concat in decoded_air(directory):
        if to != number:
            continue
        if not concat:
            whole.append(text)
            continue
        ref, total, seq = concat
        pending.setdefault(ref, {})[seq] = text
        if len(pending[ref]) == total:
            parts = pending.pop(ref)
            whole.append("".join(parts[i] for i in range(1, total + 1)))
    return whole


def wait_for(predicate, timeout=40.0, what="condition"):
    return poll(predicate, timeout, what, interval=0.2)


@pytest.fixture
def appliance_box(tmp_path, run_cli):
    """Simulator + smsd + services on a fresh data dir; yields (config_path, sim_dir)."""
    sim_dir = tmp_path / "sim"
    config_path = tmp_path / "box.toml"
    config_path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[modems]\nports = ["{sim_dir}/gsm*"]\nread_interval = 5.0\nhealth_interval = 30.0\n'
        '[notices]\nrun_at = "00:00"\nfestivals = []\nbirthday = false\n'
        '[services]\ninbound_poll = 0.5\nmarketing_window = "00:00-23:59"\n')
    assert run_cli("init", config_path=config_path).returncode == 0
    config = load_config(str(config_path))
    database = dbmod.open_database(config)
    today = datetime.date.today()
    product = Product.create(code="A101", name="安康终身寿险")
    agent = Staff.create(badge_no="35010001", name="王建国", gender="M", mobile=AGENT)
    holder = Customer.create(name="张伟", gender="M", mobile=HOLDER, customer_no="C1")
    Policy.create(policy_no="P100", product=product, holder=holder, agent=agent, premium=Decimal("1200"),
                  next_due_date=today + datetime.timedelta(days=3),
                  grace_end=today + datetime.timedelta(days=63), issue_date=today - datetime.timedelta(days=400))
    env = dict(os.environ, APPLIANCE_CONFIG=str(config_path))
    base = [sys.executable, "-m", "appliance.cli", "-q"]
    procs = [subprocess.Popen(base + ["sim", "--modems", "1", "--dir", str(sim_dir), "--latency", "0"],
                              env=env, start_new_session=True, stdout=subprocess.DEVNULL)]
    from modem.sim import wait_for_links
    assert wait_for_links(sim_dir, 1)
    for daemon in ("smsd", "services"):
        procs.append(subprocess.Popen(base + ["run", daemon], env=env, start_new_session=True))
    try:
        yield config_path, sim_dir
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        database.close()


def inject(run_cli, config_path, sim_dir, sender, text):
    from modem.pdu import deliver_parts
    for hex_pdu in deliver_parts(sender, text):
        result = run_cli("sim", "inject", "--dir", sim_dir, "--modem", "gsm0", "--pdu", hex_pdu,
                         config_path=config_path)
        assert result.returncode == 0, result.stderr


def test_services_through_the_simulator(appliance_box, run_cli):
    config_path, sim_dir = appliance_box

    # The daily rule run (notices.run_at 00:00) reminds the holder of the premium due in 3 days.
    reminder = wait_for(lambda: [t for t in texts_to(sim_dir, HOLDER) if "续期保费" in t], what="renewal notice")
    assert "张先生" in reminder[0] and "P100" in reminder[0]
    assert run_cli("notices", "run", "--json", config_path=config_path).returncode == 0
    assert json.loads(run_cli("notices", "run", "--json", config_path=config_path).stdout)["queued"] == 0

    # CX: the holder's policies, to the registered mobile.
    inject(run_cli, config_path, sim_dir, HOLDER, "CX")
    answer = wait_for(lambda: [t for t in texts_to(sim_dir, HOLDER) if "您名下保单" in t], what="CX answer")
    assert "P100" in answer[0] and "安康终身寿险" in answer[0]
    # YJ from the agent.
    inject(run_cli, config_path, sim_dir, AGENT, "yj")
    wait_for(lambda: [t for t in texts_to(sim_dir, AGENT) if "本季度新单" in t], what="YJ answer")

    # A survey to a group; the answer '五' is tallied.
    assert run_cli("group", "create", "回访", "--kind", "customer", "--rule", "region", "--value", "",
                   config_path=config_path).returncode == 2  # a rule needs a value
    run_cli("group", "create", "回访", "--kind", "customer", config_path=config_path)
    assert run_cli("group", "add", "回访", "C1", config_path=config_path).stdout.strip() == "1"
    sent = run_cli("survey", "send", "回访12月", "--group", "回访", "--question", "您对我们的服务满意吗？",
                   config_path=config_path)
    assert sent.returncode == 0, sent.stderr
    survey_id = int(sent.stdout.split()[1].rstrip(":"))
    wait_for(lambda: [t for t in texts_to(sim_dir, HOLDER) if "满意吗" in t], what="survey question")
    inject(run_cli, config_path, sim_dir, HOLDER, "五")
    wait_for(lambda: [t for t in texts_to(sim_dir, HOLDER) if "感谢您的评价" in t], what="survey thanks")
    tally = json.loads(run_cli("survey", "results", survey_id, "--json", config_path=config_path).stdout)
    assert tally["scores"]["5"] == 1 and tally["answers"] == 1

    # A complaint becomes a ticket, acknowledged with its number.
    inject(run_cli, config_path, sim_dir, HOLDER, "上周的理赔到现在还没有人联系我")
    ack = wait_for(lambda: [t for t in texts_to(sim_dir, HOLDER) if "工单号" in t], what="ticket ack")
    ticket = Ticket.get(Ticket.source == "sms")
    assert ticket.number in ack[0] and "理赔" in ticket.text
    # GD + its number: its state, to the holder; the agent asking the same hears nothing of it.
    inject(run_cli, config_path, sim_dir, HOLDER, f"GD {ticket.number}")
    state = wait_for(lambda: [t for t in texts_to(sim_dir, HOLDER) if "已受理，待处理" in t], what="GD answer")
    assert ticket.number in state[0]
    inject(run_cli, config_path, sim_dir, AGENT, f"gd{ticket.number}")
    refused = wait_for(lambda: [t for t in texts_to(sim_dir, AGENT) if "没有这个工单号" in t], what="GD refusal")
    assert "已受理" not in refused[0]

    # 退订: opted out; a marketing campaign then skips the holder; service still goes.
    inject(run_cli, config_path, sim_dir, HOLDER, "退订")
    wait_for(lambda: [t for t in texts_to(sim_dir, HOLDER) if "已退订" in t], what="opt-out confirmation")
    assert OptOut.select().where(OptOut.number == HOLDER).exists()
    result = run_cli("campaign", "send", "--group", "回访", "--name", "新春", "--text", "{salutation}新春快乐",
                     "--category", "marketing", config_path=config_path)
    assert "0 queued, 1 skipped" in result.stdout, result.stderr

    # A one-off schedule to the agent fires and goes out.
    at = (datetime.datetime.now() + datetime.timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S")
    result = run_cli("schedule", "add", "晨会", "--numbers", AGENT, "--template", "meeting", "--category", "internal",
                     "--var", "subject=晨会", "--var", "date=明早8点", "--var", "place=三楼",
                     "--at", at, config_path=config_path)
    assert result.returncode != 0 and "--var" in result.stderr  # schedules take no --var: template must be whole
    result = run_cli("schedule", "add", "晨会", "--numbers", AGENT, "--text", "明早8点三楼晨会，请准时参加。",
                     "--category", "internal", "--at", at, config_path=config_path)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: [t for t in texts_to(sim_dir, AGENT) if "晨会" in t], what="scheduled send")

    # Billing: what went out is charged; the statement counts it.
    wait_for(lambda: json.loads(run_cli("report", "statement", datetime.date.today().strftime("%Y-%m"), "--json",
                                        config_path=config_path).stdout)["total_parts"] >= 8, what="statement")
