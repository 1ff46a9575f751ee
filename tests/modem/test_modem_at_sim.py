"""The AT layer and the simulator over real ptys: echo, final codes, the '> '
prompt, unsolicited codes during a command, garbage bytes; python-gsmmodem-new's
connect() probe and Gammu against a simulated modem; air.jsonl; the CLI."""
import json
import shutil
import subprocess
import sys
import threading
import time

import pytest

from modem import pdu
from modem.at import AtError, AtPort, AtTimeout
from modem.sim import wait_for_links

NUMBER = "+8613800138000"


@pytest.fixture
def port(make_sims):
    sims = make_sims(1)
    at = AtPort(str(sims.dir / "gsm0"), name="gsm0", timeout=2.0).open()
    yield sims, at
    at.close()


def test_echo_until_ate0_and_final_codes(port):
    sims, at = port
    assert at.command("AT") == []            # the echo is recognised, not taken as an answer
    at.command("ATE0")
    assert at.command("AT+CPIN?") == ["+CPIN: READY"]
    with pytest.raises(AtError) as plain:
        at.command("AT+NOSUCH")
    assert plain.value.kind == "ERROR"
    at.command("AT+CMEE=1")
    with pytest.raises(AtError) as cms:
        at.command("AT+CMGR=33")
    assert (cms.value.kind, cms.value.code) == ("CMS", 321)


def test_submit_with_prompt_records_on_air(port):
    sims, at = port
    at.command("ATE0")
    hex_pdu, length = pdu.build_submit(NUMBER, "hello", "gsm7")
    assert at.submit_pdu(hex_pdu, length) == 1
    assert at.submit_pdu(hex_pdu, length) == 2
    air = sims.air()
    assert [(r["modem"], r["pdu"], r["reference"]) for r in air] == [("gsm0", hex_pdu, 1), ("gsm0", hex_pdu, 2)]
    assert all("time" in r for r in air)


def test_unsolicited_code_during_a_command_goes_to_its_queue(make_sims):
    sims = make_sims(1, latency=0.6)
    at = AtPort(str(sims.dir / "gsm0"), name="gsm0", timeout=3.0).open()
    try:
        at.command("ATE0")
        at.command("AT+CNMI=2,1,0,1,0")
        hex_pdu, length = pdu.build_submit(NUMBER, "hi", "gsm7", status_report=False)
        result = {}
        sender = threading.Thread(target=lambda: result.setdefault("ref", at.submit_pdu(hex_pdu, length)))
        sender.start()
        time.sleep(0.2)  # the modem is on the air now
        sims.control.inject("gsm0", pdu.deliver_parts("+8613912345678", "来了")[0])
        sender.join(5)
        assert result["ref"] == 1
        assert at.unsolicited.get(timeout=2) == ('+CMTI: "SM",0', None)
    finally:
        at.close()


def test_garbage_bytes_are_survived(port):
    sims, at = port
    at.command("ATE0")
    sims.control.fault("gsm0", "garbage", hex="FF00FE80C3A8DEADBEEF0D0AFFFF")
    time.sleep(0.2)
    assert at.command("AT+CPIN?") == ["+CPIN: READY"]
    sims.control.fault("gsm0", "garbage", in_answer=True, count=1)
    assert at.command("AT+CSQ") == ["+CSQ: 18,99"]     # garbage inside the answer is dropped
    assert at.garbage_count >= 2
    assert at.command("AT") == []


def test_silence_times_out(port):
    sims, at = port
    sims.control.fault("gsm0", "silence", seconds=2)
    with pytest.raises(AtTimeout):
        at.command("AT", timeout=0.5)


def test_python_gsmmodem_connect_probe_and_send(make_sims):
    from gsmmodem.modem import GsmModem
    sims = make_sims(1)
    modem = GsmModem(str(sims.dir / "gsm0"), 115200)
    modem.connect()
    try:
        assert modem.manufacturer == "Quectel"
        assert modem.imei == "861234000000000"
        assert modem.networkName == "CHINA MOBILE"
        # Wait for the simulator's status report: gsmmodem's notification thread reads and deletes
        # it from the SIM, and closing the port under that thread broke its write (a thread
        # exception pytest reported against a later test).
        sent = modem.sendSms(NUMBER, "hello 你好", waitForDeliveryReport=True, deliveryTimeout=30)
        assert sent.reference == 1 and sent.report is not None and sent.report.reference == 1
    finally:
        modem.close()
    assert pdu.decode(sims.air()[0]["pdu"])["text"] == "hello 你好"


@pytest.mark.skipif(not shutil.which("gammu"), reason="gammu is not installed (./dev setup installs it)")
def test_gammu_identifies_and_sends_through_the_simulator(make_sims, tmp_path):
    sims = make_sims(1)
    rc = tmp_path / "gammurc"
    rc.write_text(f"[gammu]\ndevice = {sims.dir / 'gsm0'}\nconnection = at\n")
    ident = subprocess.run(["gammu", "-c", str(rc), "identify"], capture_output=True, text=True, timeout=90)
    assert ident.returncode == 0, ident.stderr
    assert "Quectel" in ident.stdout and "460001234500000" in ident.stdout
    send = subprocess.run(["gammu", "-c", str(rc), "sendsms", "TEXT", NUMBER, "-text", "hello from gammu"],
                          capture_output=True, text=True, timeout=90)
    assert send.returncode == 0, send.stderr + send.stdout
    air = sims.air()
    assert len(air) == 1
    info = pdu.decode(air[0]["pdu"])
    assert (info["number"], info["text"]) == (NUMBER, "hello from gammu")
    assert air[0]["pdu"][:2] != "00"  # Gammu puts the SMSC (from AT+CSCA?) into the PDU; kept as received


def test_sim_commands_from_the_command_line(tmp_path, run_cli, wait_for):
    directory = tmp_path / "modems"
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "sim", "--modems", "2", "--dir",
                             str(directory), "--latency", "0"], stdout=subprocess.DEVNULL)
    try:
        assert wait_for_links(directory, 2)
        deliver = pdu.deliver_parts("+8613912345678", "查询")[0]
        ok = run_cli("sim", "inject", "--dir", directory, "--modem", "gsm1", "--pdu", deliver)
        assert ok.returncode == 0 and "index 0" in ok.stdout
        bad = run_cli("sim", "inject", "--dir", directory, "--modem", "gsm1", "--pdu", "ZZ")
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "pdu" in bad.stderr
        submit = pdu.build_submit(NUMBER, "x", "gsm7")[0]
        wrong = run_cli("sim", "inject", "--dir", directory, "--modem", "gsm1", "--pdu", submit)
        assert wrong.returncode == 2 and "SMS-DELIVER" in wrong.stderr
        fault = run_cli("sim", "fault", "--dir", directory, "--modem", "gsm0", "cms", "--code", "42")
        assert fault.returncode == 0
        at = AtPort(str(directory / "gsm0"), name="gsm0").open()
        try:
            at.command("ATE0")
            at.command("AT+CMEE=1")
            with pytest.raises(AtError) as exc:
                at.submit_pdu(*pdu.build_submit(NUMBER, "x", "gsm7"))
            assert exc.value.code == 42
            store = at.command("AT+CMGL=4")
            assert store == []  # gsm0 got nothing; the inject went to gsm1
        finally:
            at.close()
        lines = (directory / "air.jsonl").read_text().splitlines()
        assert json.loads(lines[-1])["result"] == "+CMS ERROR: 42"
        unplug = run_cli("sim", "fault", "--dir", directory, "--modem", "gsm1", "unplug")
        assert unplug.returncode == 0
        wait_for(lambda: not (directory / "gsm1").exists(), 5, "gsm1 link gone")
        run_cli("sim", "fault", "--dir", directory, "--modem", "gsm1", "replug")
        wait_for(lambda: (directory / "gsm1").exists(), 5, "gsm1 link back")
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0


def test_unsolicited_header_without_its_pdu_does_not_eat_the_answer(port):
    sims, at = port
    at.command("ATE0")
    sims.sim.modems["gsm0"].write(b"\r\n+CMT: ,24\r\n")  # the PDU line was lost on the way
    time.sleep(0.1)
    assert at.command("AT+CPIN?") == ["+CPIN: READY"]
