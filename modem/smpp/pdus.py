"""SMPP 3.4 PDUs as the bearer and its simulator use them, on smpplib's PDU classes.

smpplib encodes and decodes the PDUs (smpplib.smpp.make_pdu / parse_pdu); this module
adds what it leaves to the caller: the text of an SMS part in the SMSC's alphabets
(GSM 7-bit unpacked, one septet per octet, data_coding 0; UCS2 big-endian,
data_coding 8), the concatenation UDH (esm_class 0x40) built from the part's own
concat_ref so a retry is byte-identical, framing a byte stream into PDUs, and the
delivery receipt (its text and its TLVs).
"""
import datetime
import re
import struct
from dataclasses import dataclass

from smpplib import consts, smpp

from appliance.sms.text import BASIC, EXTENSION
from modem.pdu import gsm7_codes

DATA_CODING = {"gsm7": 0, "ucs2": 8}
UDHI = 0x40             # esm_class: the short message starts with a user data header
RECEIPT = 0x04          # esm_class message type: SMSC delivery receipt
RECEIPT_TYPES = 0x3C    # the message-type bits of esm_class
HEADER = 16

# message_state TLV values (SMPP 3.4 section 5.2.28), by the receipt's stat word.
MESSAGE_STATES = {"ENROUTE": 1, "DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6,
                  "UNKNOWN": 7, "REJECTD": 8}
STATE_WORDS = {v: k for k, v in MESSAGE_STATES.items()}
FINAL_STATS = {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "UNKNOWN", "REJECTD"}
STAT_WORDS = {
    "DELIVRD": "delivered to the handset",
    "EXPIRED": "the SMSC gave up: the handset stayed unreachable until the message expired",
    "DELETED": "the SMSC deleted the message",
    "UNDELIV": "the SMSC could not deliver it (number unknown, barred or out of service)",
    "UNKNOWN": "the SMSC does not know what became of it",
    "REJECTD": "the SMSC rejected it",
}

_GSM_DECODE = {code: ch for ch, code in BASIC.items()}
_GSM_EXT_DECODE = {code: ch for ch, code in EXTENSION.items()}


class Sequence:
    """Sequence numbers for PDUs this side originates (smpplib asks its client for them)."""

    def __init__(self):
        self.sequence = 0

    def next_sequence(self):
        self.sequence = self.sequence % 0x7FFFFFFF + 1
        return self.sequence


def make(command, sequence_source, **fields):
    """A request PDU with the next sequence number."""
    return smpp.make_pdu(command, client=sequence_source, **fields)


def response(command, request, status=consts.SMPP_ESME_ROK, **fields):
    """The response to `request` (same sequence number)."""
    pdu = smpp.make_pdu(command, client=Sequence(), status=status, **fields)
    pdu.sequence = request.sequence
    return pdu


def take_pdus(buffer):
    """Complete PDUs at the front of `buffer` (a bytearray), removed from it, parsed."""
    pdus = []
    while len(buffer) >= 4:
        length = struct.unpack(">L", bytes(buffer[:4]))[0]
        if length < HEADER or length > 64 * 1024:
            raise ValueError(f"a PDU of {length} bytes is not SMPP")
        if len(buffer) < length:
            break
        raw = bytes(buffer[:length])
        del buffer[:length]
        # smpplib numbers every request it builds, parsed ones too: a throw-away counter (the
        # parsed sequence number replaces it)
        pdus.append(smpp.parse_pdu(raw, client=Sequence(), allow_unknown_opt_params=True))
    return pdus


# --- text ----------------------------------------------------------------------------

def encode_text(text, encoding):
    """The octets of one part's text: GSM 7-bit unpacked (extension characters as ESC
    + code) or UCS2."""
    if encoding == "ucs2":
        return text.encode("utf-16-be")
    return bytes(gsm7_codes(text))  # the modems' codes, before their septet packing


def decode_text(data, data_coding):
    """Text of a short message's octets by its data_coding (0/1 GSM, 3 Latin-1, 8 UCS2)."""
    if data_coding == 8:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == 3:
        return data.decode("latin-1")
    out, escape = [], False
    for code in data:
        if escape:
            out.append(_GSM_EXT_DECODE.get(code, "?"))
            escape = False
        elif code == 0x1B:
            escape = True
        else:
            out.append(_GSM_DECODE.get(code & 0x7F, "?"))
    return "".join(out)


def concat_udh(ref, total, seq):
    """The 8-bit-reference concatenation header of part `seq` of `total`."""
    return bytes((0x05, 0x00, 0x03, ref & 0xFF, total, seq))


def split_udh(short_message, esm_class):
    """(concat, payload): concat = (reference, total, seq) from a concatenation UDH
    (8- or 16-bit reference), None without one."""
    if not esm_class & UDHI or not short_message:
        return None, short_message
    size = short_message[0] + 1
    header, payload = short_message[1:size], short_message[size:]
    pos, concat = 0, None
    while pos + 2 <= len(header):
        iei, length = header[pos], header[pos + 1]
        value = header[pos + 2:pos + 2 + length]
        if iei == 0x00 and length == 3:
            concat = (value[0], value[1], value[2])
        elif iei == 0x08 and length == 4:
            concat = ((value[0] << 8) | value[1], value[2], value[3])
        pos += 2 + length
    return concat, payload


def submit_fields(to_number, text, encoding, concat=None, source_addr="", report=False):
    """submit_sm fields for one part; concat = (reference, total, seq) for a part of a
    long message."""
    body = encode_text(text, encoding)
    esm_class = 0
    if concat is not None:
        body = concat_udh(*concat) + body
        esm_class = UDHI
    destination = to_number.lstrip("+")
    return {"service_type": "", "source_addr_ton": 5 if source_addr and not source_addr.isdigit() else 0,
            "source_addr_npi": 0, "source_addr": source_addr,
            "dest_addr_ton": 1 if to_number.startswith("+") else 0, "dest_addr_npi": 1,
            "destination_addr": destination, "esm_class": esm_class, "registered_delivery": 1 if report else 0,
            "data_coding": DATA_CODING[encoding], "short_message": body}


def text_field(pdu, name):
    """A C-string field of a parsed PDU as text ('' when absent)."""
    value = getattr(pdu, name, None)
    if value is None:
        return ""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


# --- delivery receipts ---------------------------------------------------------------

@dataclass
class Receipt:
    message_id: str
    stat: str           # DELIVRD, UNDELIV, …
    error: str = "000"  # the SMSC's err: field
    done_at: datetime.datetime = None
    number: str = ""    # the handset's (the receipt's source_addr)

    @property
    def final(self):
        return self.stat in FINAL_STATS

    @property
    def delivered(self):
        return self.stat == "DELIVRD"

    def words(self):
        said = STAT_WORDS.get(self.stat, f"the SMSC reported {self.stat}")
        return said if self.delivered or self.error in ("", "000") else f"{said} (SMSC error {self.error})"


def is_receipt(pdu):
    return (pdu.esm_class or 0) & RECEIPT_TYPES == RECEIPT


def receipt_text(message_id, stat, error, submitted, done, text=""):
    """The receipt's short message in the de-facto format of SMPP 3.4 Appendix B."""
    sample = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text[:20])
    delivered = 1 if stat == "DELIVRD" else 0
    return (f"id:{message_id} sub:001 dlvrd:{delivered:03d} submit date:{submitted:%y%m%d%H%M} "
            f"done date:{done:%y%m%d%H%M} stat:{stat} err:{error} text:{sample}")


_RECEIPT_RE = re.compile(r"id:(?P<id>\S+).*?(?:done date:(?P<done>\d{10,12}))?\s+stat:(?P<stat>\w+)"
                         r"(?:\s+err:(?P<err>\w+))?", re.IGNORECASE | re.DOTALL)


def parse_receipt(pdu):
    """The Receipt a deliver_sm carries, from its TLVs where present, else its text."""
    text = decode_text(pdu.short_message or b"", 0)
    match = _RECEIPT_RE.search(text)
    message_id = text_field(pdu, "receipted_message_id") or (match.group("id") if match else "")
    state = getattr(pdu, "message_state", None)
    stat = (match.group("stat").upper() if match else "") or STATE_WORDS.get(state, "UNKNOWN")
    if state in STATE_WORDS and not match:
        stat = STATE_WORDS[state]
    error = (match.group("err") if match and match.group("err") else "000")
    done = None
    if match and match.group("done"):
        stamp = match.group("done")
        try:
            done = datetime.datetime.strptime(stamp, "%y%m%d%H%M%S" if len(stamp) == 12 else "%y%m%d%H%M")
        except ValueError:
            done = None
    return Receipt(message_id, stat, error, done, text_field(pdu, "source_addr"))
