"""The AT layer and a modem worker on random and malformed modem answers: no
exception escapes (a malformed +CMGS answer or '+CMS ERROR: 5²00' used to leave
the part `sending` and the modem idle for good), and no line is lost because
another one in the same read was malformed. A bounded run on every test run;
HYPOTHESIS_LONG=1 for the long one (tests/fuzz_support.py)."""
import queue
import threading

from fuzz_support import fuzz
from hypothesis import example, given, strategies as st

from modem import pdu
from modem.at import AtError, AtPort, AtTimeout, PortGone
from modem.events import Inbound, PartJob, SubmitFinished
from modem.pool import ModemWorker

DELIVER = pdu.build_deliver("+8613912345678", "查询保单")
REPORT = pdu.build_status_report(42, "+8613800138000", 0x00)
ATOMS = [
    "OK", "ERROR", "+CMS ERROR: 500", "+CMS ERROR: 5²00", "+CMS ERROR: ٣٠٤", "+CMS ERROR:", "+CME ERROR: x",
    "+CMGS: 12", "+CMGS: x", "+CMGS:", "+CMGS: 999999999999", "+CMGS: 3,\"2026\"", "+CMGS: -1",
    '+CMTI: "SM",3', '+CMTI: "SM",', "+CMTI:", '+CMTI: "SM",x', '+CDSI: "SR",²', '+CDSI: "SM",4', "+CDSI",
    "+CDS: 25", "+CMT: ,24", "+CMT:", "+CSQ: 18,99", "+CSQ: ,", "+CSQ: 99", "+CSQ: 1²,9", "+CREG: 1",
    "+CREG: x,y", "+CREG: 0,", "+CREG:", "+COPS: 0,0,\"", "RDY", "+CFUN: 1", "+CPIN: READY", "> ", ">",
    DELIVER, REPORT, DELIVER[:20], "ZZ" + REPORT, "+CMGL: 1,0,,20", "+CMGL: x", "+CMGL:", "+CMGR: 0,,20",
]
LINES = st.one_of(st.sampled_from(ATOMS), st.text(max_size=30),
                  st.builds(lambda a, b: a + b, st.sampled_from(ATOMS), st.text(max_size=8)))
ENDS = st.sampled_from(["\r\n", "\r", "\n", "\r\n\r\n", ""])


@st.composite
def chatter(draw):
    """What a modem might say: lines (well-formed, malformed, random) and raw bytes."""
    out = b""
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 9)) == 0:
            out += draw(st.binary(max_size=12))
        else:
            out += (draw(ENDS) + draw(LINES) + draw(ENDS)).encode("utf-8")
    return out


@fuzz(500)
@given(st.sampled_from(["AT+CSQ", "AT+CREG?", "AT+CMGL=4", "AT+CMGR=3", "AT+CMGS=20", None]),
       st.lists(chatter(), max_size=4))
def test_fuzz_at_line_reader_survives_anything_and_still_answers(pending, chunks):
    port = AtPort("loop://", name="fuzz")
    if pending:
        port._start(pending)
    for chunk in chunks:
        port._feed(chunk)
    port._feed(b"\r\nOK\r\n")  # whatever came before, a final code still ends the command
    for line, pdu_line in port.drain_unsolicited():
        assert isinstance(line, str) and (pdu_line is None or isinstance(pdu_line, str))
    if pending:
        assert port._final is not None
        try:
            lines = port._finish(pending)
        except AtError as exc:
            assert exc.code is None or isinstance(exc.code, int)
        else:
            assert all(isinstance(line, str) for line in lines)


# --- a worker with a real AtPort on a scripted line --------------------------------

CONFIG = {"modems.min_interval": 0.0, "modems.submit_timeout": 0.01, "modems.command_timeout": 0.005,
          "modems.health_interval": 60.0, "modems.read_interval": 60.0, "modems.reset_after": 2,
          "modems.remove_after": 2,
          "modems.rejoin_interval": 1.0}


class Committing(queue.Queue):
    """The dispatcher's side, instantly: inbound is committed as soon as it is handed over."""

    def put(self, item, *args, **kwargs):
        if isinstance(item, Inbound):
            item.stored = True
            item.done.set()
        super().put(item, *args, **kwargs)


class StubPool:
    def __init__(self):
        self.config, self.events, self.stopping = CONFIG, Committing(), threading.Event()


class ScriptedLine:
    """A serial port whose modem answers AT+CMGS with a given script (fed back at once)."""

    def __init__(self, script, prompt=True):
        self.script, self.prompt, self.port = script, prompt, None

    def write(self, data):
        if data.startswith(b"AT+CMGS="):
            self.port._feed(b"\r\n> " if self.prompt else self.script)
        elif data.endswith(b"\x1a"):
            self.port._feed(self.script)

    def close(self):
        pass


def worker_with_port(port):
    worker = ModemWorker(StubPool(), "loop://fuzz")
    worker.port = port
    return worker


FINALS = st.sampled_from(["OK", "ERROR", "+CMS ERROR: 42", "+CMS ERROR: 5²00", "+CMS ERROR: ", "+CME ERROR: 3",
                          "+CMS ERROR: 99999999999999999999", ""])


@fuzz(300)
@given(st.lists(LINES, max_size=4), FINALS, st.booleans())
@example(["+CMGS: x"], "OK", True)
@example([], "+CMS ERROR: 5²00", True)
def test_fuzz_at_submit_answers_always_end_the_job(lines, final, prompt):
    script = "".join(f"\r\n{line}\r\n" for line in lines + [final]).encode("utf-8")
    port = AtPort("loop://", name="fuzz", timeout=0.005)
    port.serial = ScriptedLine(script, prompt)
    port.serial.port = port
    worker = worker_with_port(port)
    job = PartJob(1, 1, "+8613800138000", "0011", 1, 1, 1, 1)
    worker._send(job)
    events = [e for e in worker.pool.events.queue if isinstance(e, SubmitFinished)]
    assert len(events) == 1 and events[0].job is job
    outcome = events[0].outcome
    assert outcome.kind in ("sent", "transient", "permanent", "unknown")
    assert outcome.reference is None or 0 <= outcome.reference <= 255
    assert port._pending is None  # the port takes the next command


class ScriptedPort:
    """What a worker needs of a port, answering from a table (random in the tests)."""

    def __init__(self, answers, unsolicited=()):
        self.answers, self.commands, self.gone, self.garbage_count = answers, [], False, 0
        self.unsolicited = queue.Queue()
        for item in unsolicited:
            self.unsolicited.put(item)

    def command(self, command, timeout=None):
        self.commands.append(command)
        answer = self.answers.get(command.split("=")[0].rstrip("?"), [])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    def drain_unsolicited(self):
        items = []
        while not self.unsolicited.empty():
            items.append(self.unsolicited.get_nowait())
        return items

    def close(self):
        self.gone = True


ANSWER = st.one_of(st.lists(LINES, max_size=3),
                   st.sampled_from([AtError("AT", "CMS", 321), AtTimeout("no answer"), PortGone("gone")]))
URC = st.one_of(st.tuples(LINES, st.none()), st.tuples(st.sampled_from(["+CDS: 25", "+CMT: ,24"]),
                                                       st.sampled_from([DELIVER, REPORT, "00", "ZZ"])))


@fuzz(500)
@given(st.lists(URC, max_size=8), st.dictionaries(st.sampled_from(["AT+CMGR", "AT+CMGD", "AT+CNMA"]), ANSWER))
@example([('+CMTI: "SM",x', None), ('+CMTI: "SM",1', None)], {})
@example([("RDY", None), ('+CMTI: "SM",2', None)], {})
def test_fuzz_worker_unsolicited_lines_never_cost_the_others(urcs, answers):
    port = ScriptedPort(answers, urcs)
    worker = worker_with_port(port)
    worker._handle_unsolicited()
    # Every well-formed +CMTI was read (AT+CMGR), or waits for after the reboot that came before it.
    asked = [c for c in port.commands if c.startswith("AT+CMGR=")]
    rebooted = False
    for line, _ in urcs:
        if line == "RDY" or line.startswith("RDY:"):
            rebooted = True
        elif line.startswith("+CMTI: \"SM\",") and line[12:].isascii() and line[12:].isdigit():
            if rebooted:
                assert (line, None) in worker.carried
            elif not any(isinstance(answers.get(k), (AtTimeout, PortGone)) for k in answers):
                assert f"AT+CMGR={int(line[12:])}" in asked


@fuzz(500)
@given(st.dictionaries(st.sampled_from(["AT+CSQ", "AT+CREG", "AT+COPS", "AT+CMGL"]), ANSWER))
@example({"AT+CSQ": ["+CSQ: 1²,9"], "AT+CREG": ["+CREG: x,y"]})
def test_fuzz_worker_health_and_store_read_never_raise_but_at_errors(answers):
    port = ScriptedPort(answers)
    worker = worker_with_port(port)
    for action in (worker._health, worker._read_store):
        try:
            action()
        except (AtError, AtTimeout, PortGone):
            pass
    assert worker.info["signal_dbm"] is None or -113 <= worker.info["signal_dbm"] <= -51
    assert isinstance(worker.info["registration"], str)


@fuzz(300)
@given(st.lists(st.sampled_from([("1", DELIVER), ("x", DELIVER), ("2", "ZZ"), ("3", "00217BACC1FB2D950B"),
                                 ("4", REPORT), ("", DELIVER), ("5²", DELIVER)]), max_size=6))
def test_fuzz_worker_one_bad_stored_message_does_not_stop_the_others(entries):
    lines = []
    for index, hex_pdu in entries:
        lines += [f"+CMGL: {index},0,,20", hex_pdu]
    port = ScriptedPort({"AT+CMGL": lines})
    worker = worker_with_port(port)
    worker._read_store()
    deleted = {c for c in port.commands if c.startswith("AT+CMGD=")}
    readable_index = {index for index, _ in entries if index.isascii() and index.isdigit()}
    assert deleted == {f"AT+CMGD={int(i)}" for i in readable_index}
