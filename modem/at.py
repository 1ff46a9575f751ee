"""The AT command layer: one modem's serial line, commands and unsolicited lines.

Shaped like pyserial's examples/at_protocol.py: a reader thread splits the
line into lines; a command holds one lock while it waits for its final result
code; unsolicited result codes (+CMTI, +CMT, +CDS…) go to their own queue even
when they arrive in the middle of a command's answer. Bytes that are not text
are logged and dropped, never fatal (python-gsmmodem-new's reader dies of one
invalid UTF-8 byte).
"""
import logging
import queue
import re
import threading
import time

import serial

from appliance import clock

log = logging.getLogger(__name__)

FINAL_OK = ("OK",)
FINAL_ERRORS = ("ERROR", "NO CARRIER", "NO DIALTONE", "BUSY", "NO ANSWER", "COMMAND NOT SUPPORT")
ERROR_RE = re.compile(r"^\+(CME|CMS) ERROR:\s*(.*)$")
# Unsolicited result codes; the second set is followed by a PDU line that belongs to them.
URC_PREFIXES = ("+CMTI:", "+CMT:", "+CDS:", "+CDSI:", "+CBM:", "RING", "+CRING:", "+CLIP:",
                "+CREG:", "+CGREG:", "+CUSD:", "^RSSI:", "^BOOT:", "^MODE:", "+CPIN:", "RDY",
                "+CFUN:", "SMS Ready", "Call Ready", "+QIND:", "^SIMST:", "^SRVST:")
URC_WITH_PDU = ("+CMT:", "+CDS:", "+CBM:")
PROMPT = b"> "
HEX_LINE = re.compile(r"^[0-9A-Fa-f]{8,}$")


class AtError(Exception):
    """A command ended in ERROR, +CME ERROR or +CMS ERROR."""

    def __init__(self, command, kind, code=None, text=""):
        self.command, self.kind, self.code, self.text = command, kind, code, text
        detail = f"{kind} {code}" if code is not None else (f"{kind}: {text}" if text else kind)
        super().__init__(f"{command}: {detail}")


class AtTimeout(Exception):
    """No final result code in time. `submitted` is True when a PDU had already
    been handed to the modem (it may have gone out)."""

    def __init__(self, message, submitted=False):
        super().__init__(message)
        self.submitted = submitted


class PortGone(Exception):
    """The serial port disappeared (unplugged) or could not be opened. `submitted`
    as for AtTimeout."""

    def __init__(self, message, submitted=False):
        super().__init__(message)
        self.submitted = submitted


class AtPort:
    """One modem line. Thread-safe: one command at a time."""

    def __init__(self, url, baudrate=115200, name=None, timeout=10.0):
        self.url = url
        self.name = name or url
        self.baudrate = baudrate
        self.timeout = timeout
        self.unsolicited = queue.Queue()  # (line, pdu_line_or_None)
        self.on_unsolicited = None        # called (from the reader thread) after each is queued
        self.garbage_count = 0
        self.last_activity = None
        self.serial = None
        self._lock = threading.Lock()
        self._state = threading.Condition()
        self._pending = None    # the command waiting for its answer
        self._lines = []
        self._final = None
        self._prompt = False
        self._buffer = b""
        self._want_pdu_for = None  # an unsolicited header waiting for its PDU line
        self._reader = None
        self.gone = False

    # --- opening and closing ---------------------------------------------------

    def open(self):
        try:
            self.serial = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.2,
                                                exclusive=True, rtscts=False, do_not_open=False)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortGone(f"{self.name}: cannot open {self.url}: {exc}") from None
        self.gone = False
        self._reader = threading.Thread(target=self._read_loop, name=f"at-{self.name}", daemon=True)
        self._reader.start()
        return self

    def close(self):
        self.gone = True
        ser, self.serial = self.serial, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # closing a port that vanished
                pass
        if self._reader and self._reader is not threading.current_thread():
            self._reader.join(1.0)
        with self._state:
            self._state.notify_all()

    # --- reading ---------------------------------------------------------------

    def _read_loop(self):
        ser = self.serial
        while not self.gone:
            try:
                data = ser.read(ser.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if not self.gone:
                    log.warning("%s: port lost: %s", self.name, exc)
                self.gone = True
                with self._state:
                    self._state.notify_all()
                if self.on_unsolicited:
                    self.on_unsolicited()  # wake the owner: the line is gone
                return
            if data:
                try:
                    self._feed(data)
                except Exception:  # the reader must outlive any line: log it, drop what is buffered
                    log.exception("%s: could not handle what the modem said; dropped", self.name)
                    self._buffer, self._want_pdu_for = b"", None

    def _feed(self, data):
        self._buffer += data
        while True:
            if self._buffer.startswith(PROMPT) or self._buffer == b">":
                # The '> ' prompt of AT+CMGS has no line end.
                if self._pending is not None:
                    with self._state:
                        self._prompt = True
                        self._state.notify_all()
                self._buffer = self._buffer[2:] if self._buffer.startswith(PROMPT) else b""
                continue
            match = re.search(rb"\r\n|\r|\n", self._buffer)
            if not match:
                if len(self._buffer) > 4096:  # a line that never ends: garbage
                    self._garbage(self._buffer)
                    self._buffer = b""
                return
            raw, self._buffer = self._buffer[:match.start()], self._buffer[match.end():]
            if raw:
                self._line(self._clean(raw))

    def _clean(self, raw):
        """A line as text; garbage bytes are dropped (and logged). What a modem says
        is ASCII, bar operator names, so a line with garbage keeps only a
        recognisable answer that may follow it ('...OK', '...+CMTI: "SM",3')."""
        if raw.startswith(b"\x1b"):
            raw = raw.lstrip(b"\x1b")  # the echo of our own cancel_input()
        text = raw.decode("utf-8", errors="replace")
        if "\ufffd" not in text and text.isprintable():
            return text.strip()
        self._garbage(raw)
        ascii_part = "".join(ch for ch in text if " " <= ch <= "~")
        match = re.search(r"(\+[A-Z]+:.*|\^[A-Z]+:.*|OK|ERROR|RING|[0-9A-F]{16,})$", ascii_part)
        return match.group(1).strip() if match else ""

    def _garbage(self, raw):
        self.garbage_count += 1
        log.warning("%s: garbage on the line, dropped: %s", self.name, raw[:64].hex())

    def _line(self, line):
        if not line:
            return
        self.last_activity = clock.now()
        if self._want_pdu_for is not None:
            header, self._want_pdu_for = self._want_pdu_for, None
            if HEX_LINE.match(line):
                self._unsolicited(header, line)
                return
            log.warning("%s: %s without its PDU line; dropped", self.name, header)
        pending = self._pending
        if pending is not None and line == pending:
            return  # echo
        if self._is_unsolicited(line, pending):
            if line.startswith(URC_WITH_PDU):
                self._want_pdu_for = line
            else:
                self._unsolicited(line, None)
            return
        if pending is None:
            log.debug("%s: stray line ignored: %s", self.name, line)
            return
        with self._state:
            if line in FINAL_OK or line in FINAL_ERRORS or ERROR_RE.match(line):
                self._final = line
                self._state.notify_all()
            else:
                self._lines.append(line)

    def _unsolicited(self, line, pdu_line):
        self.unsolicited.put((line, pdu_line))
        if self.on_unsolicited:
            self.on_unsolicited()

    @staticmethod
    def _is_unsolicited(line, pending):
        if not line.startswith(URC_PREFIXES):
            return False
        if pending:
            # "+CREG: 0,1" answers AT+CREG?; it is unsolicited only outside that command.
            prefix = line.split(":", 1)[0]
            if prefix and pending.upper()[2:].startswith(prefix.upper()):
                return False
        return True

    # --- commands --------------------------------------------------------------

    def _write(self, data):
        if self.gone or self.serial is None:
            raise PortGone(f"{self.name}: port is gone")
        try:
            self.serial.write(data)
        except (serial.SerialException, OSError) as exc:
            self.gone = True
            raise PortGone(f"{self.name}: write failed: {exc}") from None

    def _wait(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self._state:
            while not predicate():
                if self.gone:
                    raise PortGone(f"{self.name}: port is gone")
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._state.wait(min(left, 0.5))
        return True

    def _start(self, command):
        with self._state:
            self._pending = command
            self._lines, self._final, self._prompt = [], None, False

    def _finish(self, command):
        with self._state:
            lines, final = self._lines, self._final
            self._pending = None
        if final in FINAL_OK:
            return lines
        match = ERROR_RE.match(final)
        if match:
            kind, detail = match.groups()
            raise AtError(command, kind, error_code(detail), detail.strip())
        raise AtError(command, final)

    def command(self, command, timeout=None):
        """Send one command; returns its answer lines (without the final OK).
        Raises AtError, AtTimeout or PortGone."""
        with self._lock:
            self._start(command)
            try:
                self._write(command.encode("ascii") + b"\r")
                if not self._wait(lambda: self._final is not None, timeout or self.timeout):
                    raise AtTimeout(f"{self.name}: no answer to {command}")
                return self._finish(command)
            finally:
                self._pending = None

    def submit_pdu(self, hex_pdu, tpdu_length, timeout=60.0, slow_after=None, on_slow=None):
        """AT+CMGS in PDU mode; returns the message reference (TP-MR), or None when
        the modem said OK without a readable one (the part went out all the same).

        AtTimeout.submitted tells whether the PDU had been handed over: if the
        prompt never came, nothing was sent and a retry is safe. on_slow() is called
        once when the answer after the PDU takes longer than slow_after seconds."""
        command = f"AT+CMGS={tpdu_length}"
        with self._lock:
            self._start(command)
            try:
                self._write(command.encode("ascii") + b"\r")
                if not self._wait(lambda: self._prompt or self._final is not None, min(self.timeout, 10.0)):
                    self._write(b"\x1b")  # cancel, so the modem does not take our next command as PDU
                    raise AtTimeout(f"{self.name}: no '> ' prompt for AT+CMGS", submitted=False)
                if self._final is not None:  # refused before the prompt
                    self._finish(command)
                self._write(hex_pdu.encode("ascii") + b"\x1a")
                try:
                    answered = self._wait(lambda: self._final is not None,
                                          min(slow_after, timeout) if on_slow and slow_after else timeout)
                    if not answered and on_slow and slow_after and slow_after < timeout:
                        on_slow()
                        answered = self._wait(lambda: self._final is not None, timeout - slow_after)
                except PortGone as exc:
                    raise PortGone(str(exc), submitted=True) from None
                if not answered:
                    raise AtTimeout(f"{self.name}: no answer after the PDU was submitted", submitted=True)
                lines = self._finish(command)
            finally:
                self._pending = None
        reference = cmgs_reference(lines)
        if reference is None:
            log.warning("%s: AT+CMGS answered OK without a readable reference: %r", self.name, lines[:3])
        return reference

    def cancel_input(self):
        """ESC: a modem left waiting for a PDU after the '> ' prompt (our process died
        mid-submit) would otherwise swallow the next commands as PDU text."""
        self._write(b"\x1b")
        time.sleep(0.05)

    def drain_unsolicited(self):
        items = []
        while True:
            try:
                items.append(self.unsolicited.get_nowait())
            except queue.Empty:
                return items


NUMBER_RE = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() takes '²' and '٣'


def number(text):
    """A non-negative whole number written in ASCII digits (spaces around allowed), else None."""
    text = text.strip() if isinstance(text, str) else ""
    return int(text) if NUMBER_RE.fullmatch(text) else None


def error_code(detail):
    """The code of '+CMS ERROR: 500' (None for '+CMS ERROR: 5²00' or words)."""
    return number(detail)


def cmgs_reference(lines):
    """TP-MR from AT+CMGS's answer ('+CMGS: 12' or '+CMGS: 12,"…"'), 0..255, else None."""
    for line in lines:
        if line.startswith("+CMGS:"):
            reference = number(line[6:].split(",")[0])
            return reference if reference is not None and reference <= 255 else None
    return None


def value_of(lines, prefix):
    """The text after 'PREFIX:' in the first answer line that has it, else None."""
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix):].lstrip(": ").strip()
    return None
