"""A complaint by SMS through the whole loop with real processes: the modem simulator, smsd and
the services daemon. The SMS opens a ticket routed to its department; past its (short) due time
the services daemon reminds the head by SMS; answered from the command line, the customer gets
the answer by SMS. Every SMS is read back from the simulator's air.jsonl."""
import os
import signal
import subprocess
import sys

import pytest
from peer_support import wait_for

from appliance import db as dbmod
from appliance.config import load_config
from appliance.models import Staff
from appliance.tickets import departments, lifecycle
from appliance.tickets.models import Ticket

pytestmark = pytest.mark.slow

CUSTOMER, HEAD = "+8613800138000", "+8613900139000"


def texts_to(sim_dir, number):
    from modem.pdu import decode
    from modem.sim import read_air
    decoded = [decode(r["pdu"]) for r in read_air(sim_dir) if r.get("result") == "ok"]
    return [d["text"] for d in decoded if d["number"] == number]  # these texts fit one part each


def sms_containing(sim_dir, number, words, what):
    return wait_for(lambda: [t for t in texts_to(sim_dir, number) if words in t], 30, what, interval=0.2)[0]


@pytest.fixture
def box(tmp_path, run_cli):
    """Simulator + smsd + services; complaints go to 客户服务部, due 1.8 s after they come in."""
    sim_dir, config_path = tmp_path / "sim", tmp_path / "box.toml"
    config_path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[modems]\nports = ["{sim_dir}/gsm*"]\nread_interval = 5.0\n'
        '[notices]\nrun_at = "23:59"\nfestivals = []\nbirthday = false\n'
        '[services]\ninbound_poll = 0.3\n'
        '[tickets]\nsla = ["complaint=0.0005h"]\ndepartments = ["complaint=客户服务部"]\nescalation_hours = 0\n')
    assert run_cli("init", config_path=config_path).returncode == 0
    database = dbmod.open_database(load_config(str(config_path)))
    Staff.create(badge_no="H001", name="李主任", mobile=HEAD)
    departments.add("客户服务部", "H001")
    env = dict(os.environ, APPLIANCE_CONFIG=str(config_path))
    base = [sys.executable, "-m", "appliance.cli", "-q"]
    procs = [subprocess.Popen(base + ["sim", "--modems", "1", "--dir", str(sim_dir), "--latency", "0"],
                              env=env, start_new_session=True, stdout=subprocess.DEVNULL)]
    from modem.sim import wait_for_links
    assert wait_for_links(sim_dir, 1)
    procs += [subprocess.Popen(base + ["run", name], env=env, start_new_session=True) for name in ("smsd", "services")]
    try:
        yield config_path, sim_dir
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        database.close()


def test_an_sms_complaint_escalates_and_its_answer_reaches_the_customer(box, run_cli):
    config_path, sim_dir = box
    from modem.pdu import deliver_parts
    for pdu in deliver_parts(CUSTOMER, "理赔两周了还没有人联系我"):
        assert run_cli("sim", "inject", "--dir", sim_dir, "--modem", "gsm0", "--pdu", pdu,
                       config_path=config_path).returncode == 0
    ack = sms_containing(sim_dir, CUSTOMER, "工单号", "the ticket's acknowledgement")
    ticket = Ticket.get()
    assert ticket.number in ack and (ticket.status, ticket.department.name) == ("assigned", "客户服务部")

    reminder = sms_containing(sim_dir, HEAD, "催办", "the head's overdue SMS from the services daemon")
    assert ticket.number in reminder and "客户服务部的投诉工单" in reminder

    result = run_cli("tickets", "answer", ticket.number, "已为您加急处理，款项三日内到账。", config_path=config_path)
    assert result.returncode == 0, result.stderr
    told = sms_containing(sim_dir, CUSTOMER, "已答复", "the customer's answered SMS")
    assert f"您的工单{ticket.number}已答复：已为您加急处理，款项三日内到账。" in told
    assert [e.action for e in lifecycle.history(ticket)] == ["opened", "assigned", "escalated", "answered",
                                                            "notified"]
    assert len(texts_to(sim_dir, HEAD)) == 1  # escalation_hours 0: reminded once
