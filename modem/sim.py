"""A GSM modem simulator on pseudo-terminals, for the tests, the demo and benches.

`appliance sim --modems N --dir DIR` makes DIR/gsm0… links to ptys that speak
AT like a real USB modem (a Quectel EC20 here): echo until ATE0, OK / ERROR /
+CME ERROR / +CMS ERROR, the '> ' prompt of AT+CMGS, SIM storage with
CMGL/CMGR/CMGD, +CMTI/+CMT/+CDS/+CDSI unsolicited codes that may arrive in the
middle of a command, delivery reports, and a latency per submit. Every PDU given
to it for sending is appended to DIR/air.jsonl.

A control socket DIR/control.sock (one JSON object per line each way) takes
inbound messages and faults: CMS errors, silence, garbage bytes, unplug and
replug, failing delivery reports. SimControl is its client; `appliance sim
inject` and `appliance sim fault` use it.
"""
import datetime
import json
import logging
import os
import random
import select
import socket
import threading
import time
import tty
from pathlib import Path

from modem import pdu as pdumod

log = logging.getLogger(__name__)

CARRIERS = [  # (MCC+MNC, operator name as COPS shows it, ICCID issuer digits)
    ("46000", "CHINA MOBILE", "898600"),
    ("46001", "CHN-UNICOM", "898601"),
    ("46011", "CHN-CT", "898603"),
]
STORE_SIZE = 50
STATUS = {0: "REC UNREAD", 1: "REC READ", 2: "STO UNSENT", 3: "STO SENT"}
CLAC = ["+CGMI", "+CGMM", "+CGMR", "+CGSN", "+CIMI", "+CCID", "+QCCID", "+CSQ", "+CREG", "+CGREG",
        "+COPS", "+CPIN", "+CFUN", "+CMEE", "+CMGF", "+CSCA", "+CSMP", "+CSCS", "+CPMS", "+CNMI",
        "+CMGS", "+CMGL", "+CMGR", "+CMGD", "+CNMA", "+CSMS", "+CLIP", "+CRC", "+CVHU", "+VTS",
        "+CLCC", "D", "A", "H", "Z", "E", "I", "V", "Q", "&F"]


def _imei(i):
    return f"8612340{i:07d}" + "0"


class SimModem:
    """One simulated modem behind one pty."""

    def __init__(self, sim, index):
        self.sim = sim
        self.index = index
        self.name = f"gsm{index}"
        self.link = sim.dir / self.name
        mccmnc, self.operator, iccid_head = CARRIERS[index % len(CARRIERS)]
        sim_no = sim.first_sim + index  # several simulators (boxes) hold different SIMs
        self.imsi = f"{mccmnc}{1234500000 + sim_no:010d}"
        self.iccid = f"{iccid_head}{sim_no:013d}"
        self.imei = _imei(sim_no)
        self.lock = threading.RLock()   # serialises writes to the pty
        self.master = self.slave = None
        self.thread = None
        self.plugged = False
        self.store = {}                 # index -> (status, pdu hex)
        self.reports = []               # (due monotonic, pdu hex)
        self.faults = {"cms": [], "silent_until": 0.0, "report_status": [], "garbage_in_answer": 0,
                       "direct": False, "no_reports": False, "quiet": False,
                       "stored_reports": False, "answers": [], "mute_next_submit": False,
                       "mute_seconds": 0.0}
        self.reference = 0
        self.submits = 0
        self.reset_settings()

    def reset_settings(self):
        self.echo = True
        self.cmee = 0
        self.pdu_mode = True
        self.cnmi = (0, 0, 0, 0, 0)
        self.cfun = 1
        self.pin_ok = not self.sim.pin
        self.creg_urc = 0

    # --- plugging ------------------------------------------------------------

    def plug(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no line discipline between us and the client
        # Holding the slave open keeps the master readable when clients come and go.
        path = os.ttyname(self.slave)
        tmp = self.link.with_suffix(".tmp")
        if tmp.exists() or tmp.is_symlink():
            tmp.unlink()
        os.symlink(path, tmp)
        os.replace(tmp, self.link)
        self.plugged = True
        self.buffer = b""
        self.in_pdu = None
        self.reset_settings()
        self.thread = threading.Thread(target=self.run, name=f"sim-{self.name}", daemon=True)
        self.thread.start()

    def unplug(self):
        """As pulling the USB stick: the device node vanishes and the line dies."""
        with self.lock:
            if not self.plugged:
                return
            self.plugged = False
            try:
                self.link.unlink()
            except FileNotFoundError:
                pass
            for fd in (self.master, self.slave):
                try:
                    os.close(fd)
                except OSError:
                    pass
        if self.thread and self.thread is not threading.current_thread():
            self.thread.join(2.0)

    # --- the line ------------------------------------------------------------

    def write(self, text):
        data = text.encode("latin-1") if isinstance(text, str) else text
        with self.lock:
            if not self.plugged:
                return
            try:
                os.write(self.master, data)
            except OSError:
                pass

    def reply(self, *lines, final="OK"):
        out = "".join(f"\r\n{line}\r\n" for line in lines)
        garbage = b""
        if self.faults["garbage_in_answer"] > 0:
            self.faults["garbage_in_answer"] -= 1
            garbage = b"\xff\xfe\x80garbage\xc3\r\n"
        self.write(out.encode("latin-1") + garbage + (f"\r\n{final}\r\n".encode() if final else b""))

    def error(self, code=None, kind="CME"):
        if code is not None and self.cmee:
            self.reply(final=f"+{kind} ERROR: {code}")
        else:
            self.reply(final="ERROR")

    def unsolicited(self, line, pdu_line=None):
        text = f"\r\n{line}\r\n" + (f"{pdu_line}\r\n" if pdu_line else "")
        self.write(text)

    def run(self):
        master = self.master
        while self.plugged:
            timeout = 0.5
            if self.reports:
                timeout = max(0.0, min(timeout, self.reports[0][0] - time.monotonic()))
            try:
                ready, _, _ = select.select([master], [], [], timeout)
            except (OSError, ValueError):
                return
            self.flush_reports()
            if not ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                continue
            if time.monotonic() < self.faults["silent_until"]:
                continue  # a hung modem: reads everything, answers nothing
            self.feed(data)

    def feed(self, data):
        self.buffer += data
        while self.buffer:
            if self.in_pdu is not None:
                for i, byte in enumerate(self.buffer):
                    if byte in (0x1A, 0x1B):
                        hex_pdu = self.buffer[:i].decode("latin-1").strip()
                        self.buffer = self.buffer[i + 1:]
                        length, self.in_pdu = self.in_pdu, None
                        if byte == 0x1A:
                            self.submit(hex_pdu, length)
                        else:
                            self.reply()  # ESC cancels the send
                        break
                else:
                    return
                continue
            cut = self.buffer.find(b"\r")
            if cut < 0:
                cut = self.buffer.find(b"\n")
                if cut < 0:
                    return
            raw, self.buffer = self.buffer[:cut], self.buffer[cut + 1:]
            line = raw.decode("latin-1").strip()
            if self.echo and line:
                self.write(raw + b"\r")
            if line:
                try:
                    self.command(line)
                except Exception:  # a simulator bug must not kill the modem
                    log.exception("%s: failed on %r", self.name, line)
                    self.reply(final="ERROR")

    # --- commands ------------------------------------------------------------

    def command(self, line):
        upper = line.upper()
        if not upper.startswith("AT"):
            return  # real modems ignore what is not a command
        body = line[2:]
        if body == "":
            return self.reply()
        for part in self.split_commands(body):
            if not self.one(part):
                return
        self.reply()

    @staticmethod
    def split_commands(body):
        if body.startswith(("+", "^")) and ";" in body:
            return [p if p.startswith(("+", "^")) else "+" + p for p in body.split(";") if p]
        return [body]

    def one(self, cmd):
        """Run one command through the handler tables (COMMANDS for whole commands,
        PREFIXES for families such as +CMGF?/+CMGF=0). Returns False if it already
        answered with an error (or handles the final reply itself)."""
        upper = cmd.upper()
        if not self.pin_ok and upper.startswith(NEEDS_PIN):
            self.error(11)  # SIM PIN required
            return False
        handler = COMMANDS.get(upper) or _by_prefix(upper)
        if handler is None:
            self.error()
            return False
        return handler(self, upper, cmd)

    # --- handlers: (self, upper, cmd) -> True when the caller should answer OK -----

    def accept(self, upper, cmd):
        return True  # settings real modems take that change nothing here

    def reset(self, upper, cmd):
        self.reset_settings()
        return True

    def echo_on(self, upper, cmd):
        self.echo = True
        return True

    def echo_off(self, upper, cmd):
        self.echo = False
        return True

    def identify(self, upper, cmd):
        return self.lines("Quectel", "EC20F", "Revision: EC20EFAR06A03M4G")

    def manufacturer(self, upper, cmd):
        return self.lines("Quectel")

    def model(self, upper, cmd):
        return self.lines("EC20F")

    def revision(self, upper, cmd):
        return self.lines("Revision: EC20EFAR06A03M4G")

    def imei_command(self, upper, cmd):
        return self.lines(self.imei)

    def clac(self, upper, cmd):
        return self.lines(*CLAC)

    def imsi_command(self, upper, cmd):
        return self.lines(self.imsi)

    def iccid_command(self, upper, cmd):
        return self.lines(f"+CCID: {self.iccid}" if upper != "+QCCID" else f"+QCCID: {self.iccid}")

    def csq(self, upper, cmd):
        return self.lines("+CSQ: 99,99" if self.cfun != 1 else f"+CSQ: {18 + self.index % 10},99")

    def cmee_command(self, upper, cmd):
        if upper == "+CMEE?":
            return self.lines(f"+CMEE: {self.cmee}")
        self.cmee = int(upper.split("=")[1] or 0) if "=" in upper and upper[-1].isdigit() else self.cmee
        return True

    def cops_command(self, upper, cmd):
        if upper == "+COPS?":
            return self.lines(f'+COPS: 0,0,"{self.operator}",7' if self.cfun == 1 else "+COPS: 0")
        if upper == "+COPS=?":
            return self.lines(f'+COPS: (2,"{self.operator}","{self.operator}","{self.imsi[:5]}",7),,(0-4),(0-2)')
        return True

    def cmgf_command(self, upper, cmd):
        if upper == "+CMGF?":
            return self.lines(f"+CMGF: {0 if self.pdu_mode else 1}")
        if upper == "+CMGF=?":
            return self.lines("+CMGF: (0,1)")
        self.pdu_mode = upper.endswith("0")
        return True

    def csca_command(self, upper, cmd):
        if upper == "+CSCA?":
            return self.lines('+CSCA: "+8613800100500",145')
        return True

    def cscs_command(self, upper, cmd):
        if upper == "+CSCS?":
            return self.lines('+CSCS: "GSM"')
        if upper == "+CSCS=?":
            return self.lines('+CSCS: ("GSM","IRA","UCS2")')
        return True

    def csms_command(self, upper, cmd):
        return self.lines("+CSMS: 0,1,1,1")

    def cnmi_command(self, upper, cmd):
        if upper == "+CNMI?":
            return self.lines("+CNMI: " + ",".join(map(str, self.cnmi)))
        if upper == "+CNMI=?":
            return self.lines("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)")
        values = [int(v) if v.strip().isdigit() else 0 for v in upper.split("=", 1)[1].split(",")]
        self.cnmi = tuple((values + [0] * 5)[:5])
        return True

    def cmgs_command(self, upper, cmd):
        if not self.pdu_mode:
            self.error(302, "CMS")  # operation not allowed: text mode is not simulated
            return False
        self.in_pdu = int(upper.split("=")[1])
        self.write(b"\r\n> ")
        return False  # the final answer comes after the PDU

    def lines(self, *lines):
        out = "".join(f"\r\n{line}\r\n" for line in lines)
        self.write(out)
        return True

    def cfun_command(self, upper, cmd=None):
        if upper == "+CFUN?":
            return self.lines(f"+CFUN: {self.cfun}")
        if upper == "+CFUN=?":
            return self.lines("+CFUN: (0,1,4),(0,1)")
        args = upper.split("=", 1)[1].split(",")
        self.cfun = int(args[0] or 1)
        if len(args) > 1 and args[1].strip() == "1":
            # Reset: a real modem answers OK, reboots and comes back with echo on.
            self.reply()
            self.reset_settings()
            self.unsolicited("RDY")
            return False
        return True

    def cpin_command(self, upper, cmd):
        if upper == "+CPIN?":
            return self.lines("+CPIN: READY" if self.pin_ok else "+CPIN: SIM PIN")
        given = cmd.split("=", 1)[1].strip().strip('"') if "=" in cmd else ""
        if self.pin_ok:
            return True
        if given == self.sim.pin:
            self.pin_ok = True
            return True
        self.error(16)  # incorrect password
        return False

    def creg_command(self, upper, cmd=None):
        prefix = upper.split("?")[0].split("=")[0]
        if upper.endswith("?"):
            stat = 1 if self.cfun == 1 and self.pin_ok else 0
            return self.lines(f"{prefix}: {self.creg_urc},{stat}")
        if upper.endswith("=?"):
            return self.lines(f"{prefix}: (0-2)")
        if prefix == "+CREG":
            self.creg_urc = int(upper.split("=")[1] or 0)
        return True

    def cpms_command(self, upper, cmd=None):
        used = len(self.store)
        if upper == "+CPMS=?":
            return self.lines('+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")')
        if upper == "+CPMS?":
            return self.lines(f'+CPMS: "SM",{used},{STORE_SIZE},"SM",{used},{STORE_SIZE},"SM",{used},{STORE_SIZE}')
        return self.lines(f"+CPMS: {used},{STORE_SIZE},{used},{STORE_SIZE},{used},{STORE_SIZE}")

    def cmgl_command(self, upper, cmd=None):
        arg = upper.split("=", 1)[1].strip('"') if "=" in upper else "0"
        wanted = {"0": {0}, "1": {1}, "2": {2}, "3": {3}, "4": {0, 1, 2, 3}, "ALL": {0, 1, 2, 3},
                  "REC UNREAD": {0}, "REC READ": {1}}.get(arg, {0, 1, 2, 3})
        out = []
        for index in sorted(self.store):
            status, hex_pdu = self.store[index]
            if status in wanted:
                out += [f"+CMGL: {index},{status},,{len(hex_pdu) // 2 - 1 - int(hex_pdu[:2], 16)}", hex_pdu]
                if status == 0:
                    self.store[index] = (1, hex_pdu)
        return self.lines(*out) if out else True

    def cmgr_command(self, upper, cmd=None):
        index = int(upper.split("=")[1])
        if index not in self.store:
            self.error(321, "CMS")  # invalid memory index
            return False
        status, hex_pdu = self.store[index]
        if status == 0:
            self.store[index] = (1, hex_pdu)
        return self.lines(f"+CMGR: {status},,{len(hex_pdu) // 2 - 1 - int(hex_pdu[:2], 16)}", hex_pdu)

    def cmgd_command(self, upper, cmd=None):
        args = upper.split("=")[1].split(",")
        index = int(args[0])
        flag = int(args[1]) if len(args) > 1 and args[1].strip() else 0
        if flag == 0:
            self.store.pop(index, None)
        else:
            keep = {1: {0, 2, 3}, 2: {0, 2}, 3: {0}, 4: set()}[flag]
            self.store = {i: v for i, v in self.store.items() if v[0] in keep}
        self.sim.record("deleted", {"modem": self.name, "index": index, "flag": flag})
        return True

    # --- sending -------------------------------------------------------------

    def submit(self, hex_pdu, length):
        self.submits += 1
        record = {"modem": self.name, "pdu": hex_pdu,
                  "time": datetime.datetime.now().isoformat(timespec="milliseconds"), "length": length}
        try:
            info = pdumod.submit_info(hex_pdu)
            smsc_len = int(hex_pdu[:2], 16)
            if len(hex_pdu) // 2 - 1 - smsc_len != length:
                raise ValueError("length does not match the PDU")
        except (ValueError, IndexError) as exc:
            record["result"] = f"+CMS ERROR: 304 ({exc})"
            self.sim.air(record)
            return self.error(304, "CMS")  # invalid PDU mode parameter
        latency = self.sim.latency()
        if latency:
            time.sleep(latency)  # the radio: URCs still arrive meanwhile (other threads write)
        if self.faults["mute_next_submit"]:  # armed before the submit: no race with the test
            self.faults["mute_next_submit"] = False
            self.faults["silent_until"] = time.monotonic() + self.faults["mute_seconds"]
        if not self.plugged or time.monotonic() < self.faults["silent_until"]:
            record["result"] = "no answer"
            self.sim.air(record)
            return None
        if self.faults["answers"]:
            # A malformed answer, as seen from some firmware ('+CMGS: x', '+CMS ERROR: 5²00').
            answer = self.faults["answers"].pop(0)
            failed = answer.rstrip().endswith("ERROR") or "ERROR:" in answer
            record["result"] = answer if failed else "ok"
            self.sim.air(record)
            self.write(answer.replace("\n", "\r\n").encode("utf-8"))
            return None
        code = self.faults["cms"].pop(0) if self.faults["cms"] else None
        if code is not None:  # None: a submit let through before the errors (--after)
            record["result"] = f"+CMS ERROR: {code}"
            self.sim.air(record)
            return self.error(code, "CMS")
        self.reference = (self.reference + 1) % 256
        reference = self.reference
        record["reference"] = reference
        record["result"] = "ok"
        self.sim.air(record)
        self.reply(f"+CMGS: {reference}")
        if info["status_report"] and not self.faults["no_reports"]:
            status = self.faults["report_status"].pop(0) if self.faults["report_status"] else 0
            report = pdumod.build_status_report(reference, info["number"], status)
            self.reports.append((time.monotonic() + self.sim.report_delay, report))

    def flush_reports(self):
        now = time.monotonic()
        while self.reports and self.reports[0][0] <= now:
            _, report = self.reports.pop(0)
            length = len(report) // 2 - 1 - int(report[:2], 16)
            ds = 2 if self.faults["stored_reports"] else self.cnmi[3]
            if ds == 1:
                self.unsolicited(f"+CDS: {length}", report)
            else:
                index = self.store_pdu(report, status=0)
                if index is not None and ds == 2:
                    self.unsolicited(f'+CDSI: "SM",{index}')

    # --- receiving -------------------------------------------------------------

    def store_pdu(self, hex_pdu, status=0):
        for index in range(STORE_SIZE):
            if index not in self.store:
                self.store[index] = (status, hex_pdu)
                return index
        return None  # SIM full: the network keeps it (we drop it, and say so)

    def deliver(self, hex_pdu):
        """The network delivers an SMS-DELIVER PDU to this modem."""
        with self.lock:
            length = len(hex_pdu) // 2 - 1 - int(hex_pdu[:2], 16)
            if self.faults["direct"] or self.cnmi[1] == 2:
                self.unsolicited(f"+CMT: ,{length}", hex_pdu)
                return {"delivered": "direct"}
            index = self.store_pdu(hex_pdu)
            if index is None:
                return {"error": "SIM storage full"}
            if self.cnmi[1] in (1, 3) and not self.faults["quiet"]:
                self.unsolicited(f'+CMTI: "SM",{index}')
            return {"index": index}



# Commands refused with +CME ERROR: 11 until the SIM's PIN is given.
NEEDS_PIN = ("+CIMI", "+CCID", "+QCCID", "+CMG", "+CPMS", "+CNMI", "+CSCA")

# Whole commands. Variants not listed (e.g. AT+CSQ=?) answer ERROR, as on the EC20.
COMMANDS = {
    "Z": SimModem.reset, "&F": SimModem.reset, "E0": SimModem.echo_off, "E": SimModem.echo_off,
    "E1": SimModem.echo_on, **dict.fromkeys(("V1", "Q0", "&W", "X4", "&C1", "&D2", "S0=0"), SimModem.accept),
    "I": SimModem.identify, "I0": SimModem.identify, "+GMI": SimModem.manufacturer, "+CGMI": SimModem.manufacturer,
    "+CGMM": SimModem.model, "+GMM": SimModem.model, "+CGMR": SimModem.revision, "+GMR": SimModem.revision,
    "+CGSN": SimModem.imei_command, "+GSN": SimModem.imei_command, "+CGSN=1": SimModem.imei_command,
    "+CLAC": SimModem.clac, "+CIMI": SimModem.imsi_command, "+CCID": SimModem.iccid_command,
    "+QCCID": SimModem.iccid_command, "+ICCID": SimModem.iccid_command, "^ICCID?": SimModem.iccid_command,
    "+CSQ": SimModem.csq,
}

# Families of commands by their beginning (read ?, test =?, set =…). No prefix is
# the beginning of another, so the first match is the only one.
PREFIXES = {
    "+CMEE": SimModem.cmee_command, "+CFUN": SimModem.cfun_command, "+CPIN": SimModem.cpin_command,
    "+CREG": SimModem.creg_command, "+CGREG": SimModem.creg_command, "+CEREG": SimModem.creg_command,
    "+COPS": SimModem.cops_command, "+CMGF": SimModem.cmgf_command, "+CSCA": SimModem.csca_command,
    "+CSCS": SimModem.cscs_command, "+CSMS": SimModem.csms_command, "+CPMS": SimModem.cpms_command,
    "+CNMI": SimModem.cnmi_command, "+CMGS=": SimModem.cmgs_command, "+CMGL": SimModem.cmgl_command,
    "+CMGR=": SimModem.cmgr_command, "+CMGD=": SimModem.cmgd_command,
    # Taken and ignored: accepted so that other SMS software's set-up goes through.
    **dict.fromkeys(("+CSMP", "+CLIP", "+CRC", "+CVHU", "+CNMA", "+CMMS", "+CSCB", "+CGSMS", "+CSDH", "+CLCC",
                     "+CBST", "+CRSM", "H", "+CHUP"), SimModem.accept),
}
LONGEST_PREFIX = max(map(len, PREFIXES))


def _by_prefix(upper):
    for length in range(1, min(len(upper), LONGEST_PREFIX) + 1):
        handler = PREFIXES.get(upper[:length])
        if handler is not None:
            return handler
    return None

class Simulator:
    """N simulated modems in a directory, with air.jsonl and the control socket."""

    def __init__(self, directory, modems=1, latency=None, report_delay=None, pin="", first_sim=0):
        self.dir = Path(directory)
        self.first_sim = first_sim
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fixed_latency = latency
        self.report_delay = report_delay if report_delay is not None else (0.0 if latency == 0 else 1.0)
        self.pin = pin
        self.modems = {}
        self.air_path = self.dir / "air.jsonl"
        self._air_lock = threading.Lock()
        self._air = open(self.air_path, "a", encoding="utf-8")
        self.events = []
        for i in range(modems):
            self.modems[f"gsm{i}"] = SimModem(self, i)
        self.server = None
        self.stopped = threading.Event()

    def latency(self):
        if self.fixed_latency is not None:
            return self.fixed_latency
        return random.uniform(2.0, 4.0)

    def air(self, record):
        line = json.dumps(record, ensure_ascii=False)
        with self._air_lock:
            self._air.write(line + "\n")
            self._air.flush()

    def record(self, kind, data):
        self.events.append((kind, data))
        del self.events[:-1000]

    def start(self):
        for modem in self.modems.values():
            modem.plug()
        self.server = ControlServer(self)
        self.server.start()
        return self

    def stop(self):
        self.stopped.set()
        if self.server:
            self.server.stop()
        for modem in self.modems.values():
            modem.unplug()
        with self._air_lock:
            self._air.close()

    # --- what the control socket can ask -----------------------------------------

    def handle(self, request):
        action = request.get("action")
        if action == "status":
            return {"modems": {name: {"plugged": m.plugged, "stored": len(m.store), "submits": m.submits,
                                      "imsi": m.imsi, "operator": m.operator, "echo": m.echo,
                                      "cnmi": list(m.cnmi)}
                               for name, m in self.modems.items()}}
        modem = self.modems.get(request.get("modem", ""))
        if modem is None:
            return {"error": f"no modem {request.get('modem')!r} (have {', '.join(self.modems)})"}
        if action == "inject":
            hex_pdu = request.get("pdu", "").strip().upper()
            try:
                info = pdumod.decode(hex_pdu)
            except ValueError as exc:
                return {"error": f"pdu: {exc}"}
            if info["type"] != "SMS-DELIVER":
                return {"error": f"pdu: an SMS-DELIVER is needed, this is an {info['type']}"}
            if not modem.plugged:
                return {"error": f"{modem.name} is unplugged"}
            return modem.deliver(hex_pdu)
        if action == "store":
            return {"store": {str(k): v for k, v in modem.store.items()}}
        if action == "fault":
            return self.fault(modem, request)
        return {"error": f"unknown action {action!r}"}

    def fault(self, modem, request):
        kind = request.get("kind")
        faults = modem.faults
        if kind == "cms":
            faults["cms"] += [None] * int(request.get("after", 0))  # submits that go through first
            faults["cms"] += [int(request.get("code", 500))] * int(request.get("count", 1))
        elif kind == "silence":
            seconds = float(request.get("seconds", 3600))
            faults["silent_until"] = time.monotonic() + seconds
        elif kind == "silence_after_pdu":  # the next submit takes the PDU, then the modem hangs
            faults["mute_next_submit"] = True
            faults["mute_seconds"] = float(request.get("seconds", 3600))
        elif kind == "answer":  # the next submits are answered with this text (lines, final included)
            faults["answers"] += [request.get("text", "\n+CMGS: x\n\nOK\n")] * int(request.get("count", 1))
        elif kind == "say":  # the modem says this text (lines of its own, well-formed or not)
            modem.write(request.get("text", "").replace("\n", "\r\n").encode("utf-8"))
        elif kind == "garbage":
            if request.get("in_answer"):
                faults["garbage_in_answer"] += int(request.get("count", 1))
            else:
                modem.write(bytes.fromhex(request.get("hex") or "FF00FE80C3A8DEADBEEF0D0A"))
        elif kind == "unplug":
            modem.unplug()
        elif kind == "replug":
            if not modem.plugged:
                modem.plug()
        elif kind == "report":
            faults["report_status"] += [int(request.get("status", 0x41))] * int(request.get("count", 1))
        elif kind == "no_reports":
            faults["no_reports"] = bool(request.get("on", True))
        elif kind == "direct":
            faults["direct"] = bool(request.get("on", True))
        elif kind == "quiet":  # store inbound SMS without +CMTI (a lost notification)
            faults["quiet"] = bool(request.get("on", True))
        elif kind == "stored_reports":  # status reports stored on the SIM, announced by +CDSI
            faults["stored_reports"] = bool(request.get("on", True))
        elif kind == "clear":
            faults.update({"cms": [], "silent_until": 0.0, "report_status": [], "garbage_in_answer": 0,
                           "direct": False, "no_reports": False, "quiet": False, "stored_reports": False,
                           "answers": [], "mute_next_submit": False})
        else:
            return {"error": f"unknown fault {kind!r}"}
        return {"ok": True, "modem": modem.name, "fault": kind}


class ControlServer:
    """DIR/control.sock: one JSON request per line, one JSON answer per line."""

    def __init__(self, sim):
        self.sim = sim
        self.path = sim.dir / "control.sock"
        self.sock = None
        self.thread = None

    def start(self):
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, name="sim-control", daemon=True)
        self.thread.start()

    def stop(self):
        try:
            self.sock.close()
            self.path.unlink()
        except OSError:
            pass

    def serve(self):
        while not self.sim.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.client, args=(conn,), daemon=True).start()

    def client(self, conn):
        with conn, conn.makefile("rwb") as stream:
            for line in stream:
                try:
                    answer = self.sim.handle(json.loads(line))
                except (ValueError, TypeError, KeyError) as exc:
                    answer = {"error": f"bad request: {exc}"}
                stream.write(json.dumps(answer).encode() + b"\n")
                stream.flush()


class SimControl:
    """Client of a running simulator's control socket."""

    def __init__(self, directory, timeout=10.0):
        self.path = Path(directory) / "control.sock"
        self.timeout = timeout

    def request(self, **request):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            try:
                sock.connect(str(self.path))
            except OSError as exc:
                raise ConnectionError(f"no simulator at {self.path.parent} ({exc.strerror})") from None
            with sock.makefile("rwb") as stream:
                stream.write(json.dumps(request).encode() + b"\n")
                stream.flush()
                return json.loads(stream.readline())

    def inject(self, modem, pdu):
        return self.request(action="inject", modem=modem, pdu=pdu)

    def fault(self, modem, kind, **options):
        return self.request(action="fault", modem=modem, kind=kind, **options)

    def status(self):
        return self.request(action="status")

    def store(self, modem):
        return self.request(action="store", modem=modem)["store"]


def read_air(directory):
    """Every record of DIR/air.jsonl."""
    path = Path(directory) / "air.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for_links(directory, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all((Path(directory) / f"gsm{i}").exists() for i in range(count)) and \
                (Path(directory) / "control.sock").exists():
            return True
        time.sleep(0.05)
    return False
