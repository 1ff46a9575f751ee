"""The modem pool: one worker thread per modem, its health, resets and rejoining.

A worker owns one AtPort. It sets the modem up (PDU mode, notifications, PIN),
submits the parts the dispatcher hands it one at a time, turns unsolicited
codes and full reads of the SIM store into events, and keeps health figures.
It never touches the database: everything goes to the dispatcher as events
(pool.events), and stored SMS are deleted from the SIM only after the
dispatcher says it committed them.

A modem that stops answering is reset (port reopened, AT+CFUN=1,1) after
`modems.reset_after` failures in a row; after `modems.remove_after` failed
resets it leaves the pool with an alarm. Removed and unplugged modems are
tried again every `modems.rejoin_interval` seconds and rejoin by themselves.
"""
import logging
import os
import queue
import threading
import time
from pathlib import Path

from appliance import clock
from modem import pdu as pdumod
from modem.at import AtError, AtPort, AtTimeout, PortGone, number, value_of
from modem.errors import classify
from modem.events import HealthChanged, Inbound, Outcome, SubmitFinished

log = logging.getLogger(__name__)

# The SIM's carrier from its IMSI (MCC 460 + MNC), in phonenumbers' English names.
CARRIER_BY_MNC = {"00": "China Mobile", "02": "China Mobile", "04": "China Mobile", "07": "China Mobile",
                  "08": "China Mobile", "01": "China Unicom", "06": "China Unicom", "09": "China Unicom",
                  "03": "China Telecom", "05": "China Telecom", "11": "China Telecom"}
BOOT_LINES = ("RDY", "+CFUN:", "+CPIN:", "SMS Ready", "Call Ready", "^BOOT", "+QIND:", "^SIMST:")
SLOW_SUBMIT = "no answer to AT+CMGS"
REGISTRATION = {0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming"}


def sim_carrier(imsi):
    if imsi and imsi.startswith("460"):
        return CARRIER_BY_MNC.get(imsi[3:5], "")
    return ""


def csq_dbm(rssi):
    """AT+CSQ's 0..31 as dBm (-113 + 2n); 99 (unknown) and nonsense as None."""
    return None if rssi is None or not 0 <= rssi <= 31 else -113 + 2 * rssi


# What modems say, read leniently: a malformed answer gives None, never an exception
# (one used to end the worker's pass and drop the other lines read with it).

def signal_of(csq):
    """dBm from the text after '+CSQ:' ('18,99'), else None."""
    return csq_dbm(number(csq.split(",")[0])) if csq else None


def registration_of(creg):
    """Words for the text after '+CREG:' ('0,1', or '1' as a notification), else None."""
    if not creg:
        return None
    fields = creg.split(",")
    stat = number(fields[1] if len(fields) > 1 else fields[0])
    return None if stat is None else REGISTRATION.get(stat, str(stat))


def store_index(rest):
    """The index of '+CMTI: "SM",3' / '+CDSI: "SR",3' (the text after the colon), else None."""
    return number(rest.split(",")[-1]) if rest else None


def listed(lines):
    """(index, PDU line) of each entry in AT+CMGL's answer; malformed entries are skipped."""
    entries = []
    for i, line in enumerate(lines):
        if line.startswith("+CMGL:") and i + 1 < len(lines):
            index = number(line[6:].split(",")[0])
            if index is None:
                log.warning("unreadable +CMGL entry skipped: %r", line[:80])
                continue
            entries.append((index, lines[i + 1]))
    return entries


class ModemWorker:
    def __init__(self, pool, device):
        self.pool = pool
        self.config = pool.config
        self.device = device
        self.name = device if "://" in device else Path(device).name
        self.port = None
        self.state = "starting"
        self.alarm = ""
        self.info = {"imei": "", "imsi": "", "iccid": "", "operator": "", "carrier": "", "sim_state": "",
                     "registration": "", "signal_dbm": None}
        self.jobs = queue.Queue()
        self.wake = threading.Event()
        self.errors = 0
        self.failures = 0        # failed commands in a row
        self.failed_resets = 0   # failed (re)connects in a row
        self.received = 0
        self.submit_started = 0.0
        self.last_activity = None  # wall-clock time of the modem's last sign of life
        self.busy = False          # a job is queued or being submitted (for the status row)
        self.next_connect = 0.0
        self.next_health = 0.0
        self.next_read = 0.0
        self.carried = []          # unsolicited lines read after the modem rebooted (RDY), for after set-up
        self.thread = threading.Thread(target=self.run, name=f"modem-{self.name}", daemon=True)

    # --- the loop --------------------------------------------------------------

    def run(self):
        while not self.pool.stopping.is_set():
            try:
                if self.port is None or self.port.gone:
                    if self.port is not None:
                        self._lost("the serial line went away")
                    self._return_jobs("modem not available")
                    if time.monotonic() >= self.next_connect:
                        self._connect()
                    else:
                        self.pool.stopping.wait(0.2)
                    continue
                self._work_once()
            except Exception:
                log.exception("%s: worker step failed; carrying on", self.name)
                self.pool.stopping.wait(0.5)
        self._close()

    def _work_once(self):
        now = time.monotonic()
        wait = max(0.0, min(self.next_health, self.next_read) - now)
        try:
            job = self.jobs.get(timeout=min(wait, 1.0)) if self.port.unsolicited.empty() else self.jobs.get_nowait()
        except queue.Empty:
            job = None
        if job is not None:
            self._send(job)
        self._handle_unsolicited()
        now = time.monotonic()
        if now >= self.next_health:
            self.next_health = now + self.config["modems.health_interval"]
            self._command_safely(self._health)
        if now >= self.next_read:
            self.next_read = now + self.config["modems.read_interval"]
            self._command_safely(self._read_store)

    def _return_jobs(self, why):
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                self._finished(job, Outcome("transient", error=why, modem_trouble=True))

    # --- connecting, resetting, removing ---------------------------------------

    def _connect(self):
        interval = self.config["modems.rejoin_interval"]
        if "://" not in self.device and not os.path.exists(self.device):
            if self.state != "absent":
                self._set_state("absent", "unplugged: the port is missing")
            self.next_connect = time.monotonic() + min(interval, 2.0)
            return False
        reset = self.state in ("resetting", "removed")
        port = AtPort(self.device, self.config["modems.baudrate"], self.name,
                      timeout=self.config["modems.command_timeout"])
        try:
            port.open()
            port.on_unsolicited = self.wake_up
            self._setup(port, reset)
        except (AtError, AtTimeout, PortGone) as exc:
            port.close()
            self.errors += 1
            self.failed_resets += 1
            if self.failed_resets >= self.config["modems.remove_after"] and self.state != "removed":
                self._set_state("removed", f"taken out of the pool after {self.failed_resets} failed "
                                           f"resets: {exc}")
            elif self.state not in ("removed",):
                self._set_state("resetting", "")
            delay = interval if self.state == "removed" else min(interval, 1.0)
            self.next_connect = time.monotonic() + delay
            log.warning("%s: setup failed: %s", self.name, exc)
            return False
        self.port = port
        for item in self.carried:  # what followed a reboot's RDY, handled now that the modem is set up
            port.unsolicited.put(item)
        self.carried = []
        self.failures = self.failed_resets = 0
        self.next_health = time.monotonic() + self.config["modems.health_interval"]
        self.next_read = 0.0  # read the SIM store at once
        was = self.state
        self._set_state("ok", "")
        if was in ("removed", "absent"):
            log.warning("%s: back in the pool", self.name)
        return True

    def _setup(self, port, reset=False):
        """The set-up sequence; raises on a modem that cannot send."""
        self._first_answer(port)
        if reset:
            try:
                port.command("AT+CFUN=1,1", timeout=5)
            except (AtError, AtTimeout):
                pass
            time.sleep(0.2)
            self._first_answer(port)
        port.command("ATE0")
        port.command("AT+CMEE=1")
        pin_state = value_of(port.command("AT+CPIN?"), "+CPIN") or ""
        self.info["sim_state"] = pin_state
        if pin_state == "SIM PIN":
            if not self.config["modems.pin"]:
                raise AtError("AT+CPIN", "the SIM asks for a PIN and modems.pin is empty")
            port.command(f'AT+CPIN="{self.config["modems.pin"]}"')
            self.info["sim_state"] = "READY"
        elif pin_state not in ("READY", ""):
            raise AtError("AT+CPIN?", f"SIM not ready: {pin_state}")
        port.command("AT+CMGF=0")
        self.info["imei"] = self._first_line(port, "AT+CGSN")
        self.info["imsi"] = self._first_line(port, "AT+CIMI")
        self.info["carrier"] = sim_carrier(self.info["imsi"])
        for command in ("AT+CCID", "AT+QCCID", "AT^ICCID?"):
            iccid = self._first_line(port, command)
            if iccid:
                self.info["iccid"] = iccid.split(":")[-1].strip().strip('"')
                break
        self._optional(port, 'AT+CPMS="SM","SM","SM"')
        # mt=1: new SMS stored and announced (+CMTI), so nothing is lost before it is
        # committed; ds=2: status reports stored too (+CDSI), so those that come while
        # smsd is down wait on the SIM for the full read at start. Modems that cannot
        # store them send them on the line (ds=1, +CDS).
        if not self._optional(port, "AT+CNMI=2,1,0,2,0"):
            self._optional(port, "AT+CNMI=2,1,0,1,0")
        self._health(port)
        # Boot announcements of the reset we asked for are not news; anything else is kept.
        for line, pdu_line in port.drain_unsolicited():
            if not line.startswith(BOOT_LINES):
                port.unsolicited.put((line, pdu_line))

    @staticmethod
    def _first_answer(port):
        port.cancel_input()
        for attempt in range(3):
            try:
                port.command("AT", timeout=min(port.timeout, 2.0))
                return
            except AtError:
                continue  # leftovers of an earlier session: try again
            except AtTimeout:
                if attempt >= 1:
                    raise
        raise AtTimeout(f"{port.name}: no answer to AT")

    @staticmethod
    def _first_line(port, command):
        try:
            lines = port.command(command)
        except AtError:
            return ""
        return lines[0].strip() if lines else ""

    @staticmethod
    def _optional(port, command):
        try:
            port.command(command)
            return True
        except AtError:
            return False

    def _set_state(self, state, alarm):
        if state in ("removed", "absent") and alarm:
            log.error("ALARM %s: %s", self.name, alarm)
        self.state, self.alarm = state, alarm
        self.pool.events.put(HealthChanged(self))

    def _lost(self, why):
        self._close()
        self.errors += 1
        self.next_connect = time.monotonic()
        if "://" not in self.device and not os.path.exists(self.device):
            self._set_state("absent", f"unplugged: {why}")
        else:
            self._set_state("resetting", "")

    def _failure(self):
        """A command failed (no answer): reset after too many in a row."""
        self.errors += 1
        self.failures += 1
        self.next_health = time.monotonic() + 0.5  # check again soon rather than in a minute
        if self.failures >= self.config["modems.reset_after"]:
            log.warning("%s: %d failures in a row: resetting", self.name, self.failures)
            self._close()
            self.failures = 0
            self.next_connect = time.monotonic()
            self._set_state("resetting", "")

    def _close(self):
        port, self.port = self.port, None
        if port is not None:
            port.close()

    def wake_up(self):
        self.jobs.put(None)  # the worker blocks on its job queue

    # --- sending ---------------------------------------------------------------

    def _send(self, job):
        # The dispatcher already spaces jobs by modems.min_interval; this makes the
        # spacing exact at the modem whatever the dispatch delays were.
        wait = self.submit_started + self.config["modems.min_interval"] - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.submit_started = time.monotonic()
        try:
            outcome = self._submit(job)
        except Exception as exc:  # whatever it was, the dispatcher hears of the part
            log.exception("%s: submitting part %s failed", self.name, job.part_id)
            outcome = Outcome("unknown", error=f"submit failed unexpectedly ({type(exc).__name__}); not re-sent",
                              modem_trouble=True)
        if self.alarm.startswith(SLOW_SUBMIT):
            self.alarm = ""
            self.pool.events.put(HealthChanged(self))
        self.last_activity = clock.now()
        self._finished(job, outcome)

    def _slow_submit(self):
        """No answer to AT+CMGS within command_timeout of the PDU. The part stays with
        this modem until submit_timeout (it may have gone out: handing it to another
        modem could send it twice), but the modem is shown in trouble at once."""
        self.alarm = f"{SLOW_SUBMIT} for {self.config['modems.command_timeout']:g} s"
        log.error("ALARM %s: %s", self.name, self.alarm)
        self.pool.events.put(HealthChanged(self))

    def _submit(self, job):
        """One AT+CMGS: the Outcome."""
        try:
            reference = self.port.submit_pdu(job.pdu, job.length, timeout=self.config["modems.submit_timeout"],
                                             slow_after=self.config["modems.command_timeout"],
                                             on_slow=self._slow_submit)
            outcome = Outcome("sent", reference=reference)
            self.failures = 0
        except AtError as exc:
            if exc.kind == "CMS":
                error = classify(exc.code if exc.code is not None else exc.text)
                outcome = Outcome("transient" if error.transient else "permanent",
                                  error=f"{error.words} (+CMS ERROR: {error.code})" if error.code >= 0 else error.words,
                                  modem_trouble=error.modem_trouble)
                if error.modem_trouble:
                    self.errors += 1
            else:
                outcome = Outcome("transient", error=f"modem refused the submit ({exc.kind})", modem_trouble=True)
                self.errors += 1
        except (AtTimeout, PortGone) as exc:
            if exc.submitted:
                outcome = Outcome("unknown", error=f"submit interrupted: {exc}; not re-sent", modem_trouble=True)
            else:
                outcome = Outcome("transient", error=f"not submitted: {exc}", modem_trouble=True)
            if isinstance(exc, AtTimeout):
                self._failure()
        return outcome

    def _finished(self, job, outcome):
        self.busy = not self.jobs.empty()
        self.pool.events.put(SubmitFinished(self, job, outcome))

    # --- receiving -------------------------------------------------------------

    def _handle_unsolicited(self):
        if self.port is None:
            return
        items = self.port.drain_unsolicited()
        for i, (line, pdu_line) in enumerate(items):
            self.last_activity = clock.now()
            try:
                self._unsolicited(line, pdu_line)
            except (AtError, AtTimeout, PortGone) as exc:
                log.warning("%s: handling %s failed: %s", self.name, line, exc)
                if isinstance(exc, AtTimeout):
                    self._failure()
            except Exception:  # one odd line must not cost the others
                log.exception("%s: handling %r failed", self.name, line[:80])
            if self.port is None:
                # Reset or rebooted (RDY): the rest waits for the modem to be set up again.
                self.carried += [item for item in items[i + 1:] if not item[0].startswith(BOOT_LINES)]
                return

    def _unsolicited(self, line, pdu_line):
        head, _, rest = line.partition(":")
        if head in ("+CMTI", "+CDSI"):
            index = store_index(rest)
            if index is None:
                log.warning("%s: unreadable %s ignored (the full read finds the message)", self.name, line[:80])
                self.next_read = min(self.next_read, time.monotonic())
                return
            lines = self.port.command(f"AT+CMGR={index}")
            if len(lines) >= 2:
                self._deliver(lines[1], index)
        elif head == "+CMT" and pdu_line:
            if self._deliver(pdu_line, None):
                self._optional(self.port, "AT+CNMA")
        elif head == "+CDS" and pdu_line:
            self._deliver(pdu_line, None, wait=False)  # nothing to delete or acknowledge
        elif head == "RDY" or line == "RDY":
            # The modem restarted by itself: set it up again.
            self._close()
            self.next_connect = time.monotonic()
            self._set_state("resetting", "")

    def _read_store(self, port=None):
        """Full read of the SIM store (+CMTI notifications get lost)."""
        port = port or self.port
        for index, hex_pdu in listed(port.command("AT+CMGL=4")):
            try:
                self._deliver(hex_pdu, index)
            except AtError as exc:  # e.g. AT+CMGD refused: the others are still read
                log.warning("%s: message at index %s: %s", self.name, index, exc)

    def _deliver(self, hex_pdu, index, wait=True):
        """Hand a stored or pushed PDU to the dispatcher; delete it from the SIM
        only once it is committed. Returns True if committed."""
        try:
            info = pdumod.decode(hex_pdu)
        except ValueError as exc:
            log.error("%s: unreadable PDU at index %s kept as raw text: %s", self.name, index, exc)
            info = {"type": "SMS-DELIVER", "number": "", "text": f"(unreadable SMS, PDU {hex_pdu})",
                    "time": None, "concat": None}
        item = Inbound(self.name, info, hex_pdu)
        self.pool.events.put(item)
        if not wait:
            return True
        if not item.done.wait(60.0) or not item.stored:
            log.warning("%s: message at index %s not committed; left on the SIM", self.name, index)
            return False
        if info["type"] == "SMS-DELIVER":
            self.received += 1
        if index is not None:
            self.port.command(f"AT+CMGD={index}")
        return True

    # --- health ----------------------------------------------------------------

    def _health(self, port=None):
        port = port or self.port
        csq = value_of(port.command("AT+CSQ"), "+CSQ")
        if csq:
            self.info["signal_dbm"] = signal_of(csq)
        registration = registration_of(value_of(port.command("AT+CREG?"), "+CREG"))
        if registration is not None:
            self.info["registration"] = registration
        cops = value_of(port.command("AT+COPS?"), "+COPS")
        if cops and '"' in cops:
            self.info["operator"] = cops.split('"')[1]
        self.last_activity = clock.now()
        self.pool.events.put(HealthChanged(self))

    def _command_safely(self, action):
        if self.port is None:
            return  # reset meanwhile: the loop reconnects first
        try:
            action()
        except AtTimeout as exc:
            log.warning("%s: %s", self.name, exc)
            self._failure()
        except AtError as exc:
            log.warning("%s: %s", self.name, exc)
            self.errors += 1
        except PortGone:
            pass  # the loop notices and reconnects
        except Exception:  # an answer nobody foresaw: logged, and the worker goes on
            log.exception("%s: %s failed", self.name, getattr(action, "__name__", action))
            self.errors += 1

    def snapshot(self):
        return {"port": self.name, "device": self.device, "state": self.state, "alarm": self.alarm,
                "errors": self.errors + (self.port.garbage_count if self.port else 0),
                "received": self.received, "busy": self.busy, "last_activity": self.last_activity, **self.info}


class Pool:
    """Every configured modem, each with its worker thread."""

    def __init__(self, config):
        self.config = config
        self.workers = {}  # device -> ModemWorker
        self.events = queue.Queue()
        self.stopping = threading.Event()
        self.next_scan = 0.0

    def scan(self):
        """Start workers for configured ports not yet known (new modems plugged in)."""
        for device in self.config.modem_ports():
            if device not in self.workers:
                worker = ModemWorker(self, device)
                self.workers[device] = worker
                worker.thread.start()
                log.info("modem %s found at %s", worker.name, device)
        self.next_scan = time.monotonic() + self.config["modems.rejoin_interval"]

    def start(self):
        self.scan()
        return self

    def rescan(self):
        """Look for newly plugged modems, at most every modems.rejoin_interval."""
        if time.monotonic() >= self.next_scan:
            self.scan()

    # --- what the dispatcher uses -------------------------------------------------

    def ready(self):
        """Modems that are set up and answering (busy or not)."""
        return [w for w in self.workers.values() if w.state == "ok" and w.port is not None]

    def hand(self, worker, job):
        """Give a worker a claimed part; it answers with SubmitFinished on `events`."""
        worker.busy = True
        worker.jobs.put(job)

    def stop(self, timeout=3.0):
        self.stopping.set()
        for worker in self.workers.values():
            worker.wake_up()
        for worker in self.workers.values():
            worker.thread.join(timeout)
