"""SMS PDUs: building SMS-SUBMIT parts and reading SMS-DELIVER and status reports.

Built on python-gsmmodem-new's gsmmodem.pdu (address fields, septet packing,
timestamps, the decoder) with our own fixes for its known defects
(NOTES-libraries.md):
- its encoder raises ValueError for characters outside the BMP (emoji): we
  encode UCS2 as UTF-16-BE, surrogate pairs included;
- its splitters cut by Python characters, so they can break a surrogate pair's
  room count: we split with appliance.sms.text (never breaks a pair or an
  escape sequence) and build each part's PDU ourselves;
- its decoder turns UCS2 into one character per 16-bit unit (lone surrogates)
  and can drop a final '@' in GSM 7-bit: both are decoded again here.
"""
import datetime

from gsmmodem import pdu as gsmpdu

from appliance.sms.text import BASIC, EXTENSION, segments

# The simulated SMS centre's zone: a PDU timestamp carries its own offset, which
# the dispatcher turns into an instant (clock.instant), whatever the box's zone.
CHINA_TZ = datetime.timezone(datetime.timedelta(hours=8))

# TP-ST values of a status report (3GPP TS 23.040 9.2.3.15), in words.
STATUS_WORDS = {
    0x00: "delivered", 0x01: "forwarded, delivery not confirmed", 0x02: "replaced by the service centre",
    0x20: "congestion (still trying)", 0x21: "recipient busy (still trying)",
    0x22: "no response from recipient (still trying)", 0x23: "service rejected (still trying)",
    0x24: "quality of service not available (still trying)", 0x25: "error in recipient (still trying)",
    0x40: "remote procedure error", 0x41: "incompatible destination", 0x42: "connection rejected by recipient",
    0x43: "not obtainable", 0x44: "quality of service not available", 0x45: "no interworking available",
    0x46: "validity period expired", 0x47: "deleted by the sender", 0x48: "deleted by the service centre",
    0x49: "message does not exist",
    0x60: "congestion", 0x61: "recipient busy", 0x62: "no response from recipient", 0x63: "service rejected",
    0x64: "quality of service not available", 0x65: "error in recipient",
}


def status_words(code):
    if code in STATUS_WORDS:
        return STATUS_WORDS[code]
    if code < 0x20:
        return "delivered"
    if code < 0x40:
        return "temporary error (still trying)"
    return "permanent error" if code < 0x60 else "temporary error, service centre gave up"


def status_final(code):
    """(final, delivered): 0x00-0x1F delivered, 0x20-0x3F still trying, else failed."""
    if code < 0x20:
        return True, True
    if code < 0x40:
        return False, False
    return True, False


def gsm7_codes(text):
    """GSM default-alphabet codes of `text` (ESC + code for extension characters)."""
    out = bytearray()
    for ch in text:
        code = BASIC.get(ch)
        if code is None:
            out.append(0x1B)
            out.append(EXTENSION[ch])
        else:
            out.append(code)
    return out


def pack_after_udh(codes, udh_octets):
    """Pack GSM codes into septets after a UDH of udh_octets octets (fill bits so the
    text starts on a septet boundary). Returns (octets, UDL in septets).

    gsmmodem's packSeptets(padBits=N) takes N as the bit offset already used in the
    current septet (48 % 7 = 6 for a 6-octet UDH), not the number of fill bits.
    """
    if not udh_octets:
        return gsmpdu.packSeptets(codes), len(codes)
    used = (udh_octets * 8) % 7
    fill = (7 - used) % 7
    body = gsmpdu.packSeptets(codes, padBits=used) if used else gsmpdu.packSeptets(codes)
    return body, (udh_octets * 8 + fill) // 7 + len(codes)


def build_submit(number, text, encoding, concat=None, status_report=True, validity=None):
    """One SMS-SUBMIT PDU as hex (with the 00 'use the SIM's SMSC' prefix).

    concat: (reference, total, seq) for a part of a long message, else None.
    Returns (hex, tpdu_length) where tpdu_length is what AT+CMGS wants.
    """
    first = 0x01 | (0x20 if status_report else 0) | (0x40 if concat else 0)
    if validity is not None:
        first |= 0x10
    pdu = bytearray([0x00, first, 0x00])
    pdu += gsmpdu._encodeAddressField(number)
    pdu += bytes([0x00, 0x00 if encoding == "gsm7" else 0x08])
    if validity is not None:
        pdu.append(gsmpdu._encodeRelativeValidityPeriod(validity))
    udh = b""
    if concat:
        ref, total, seq = concat
        udh = bytes([0x05, 0x00, 0x03, ref & 0xFF, total, seq])
    if encoding == "gsm7":
        codes = gsm7_codes(text)
        body, udl = pack_after_udh(codes, len(udh))
    else:
        body = text.encode("utf-16-be")  # surrogate pairs for characters beyond the BMP
        udl = len(udh) + len(body)
    pdu.append(udl)
    pdu += udh + body
    return pdu.hex().upper(), len(pdu) - 1


def build_message(number, text, reference=0, status_report=True):
    """Every part's PDU of a whole message: a list of (hex, tpdu_length)."""
    seg = segments(text)
    total = seg.part_count
    return [build_submit(number, part, seg.encoding,
                         concat=(reference, total, i) if total > 1 else None,
                         status_report=status_report)
            for i, part in enumerate(seg.parts, start=1)]


def _user_data(data, offset, udl, dcs, udhi, gsm7):
    """Decode the user data ourselves: (text, concat or None)."""
    concat = None
    udh_len = 0
    if udhi:
        if offset >= len(data):
            raise ValueError("unreadable PDU: user data header missing")
        udh_len = data[offset] + 1
        end = offset + udh_len
        if end > len(data) or udh_len > (udl * 7 // 8 if gsm7 else udl):
            raise ValueError("unreadable PDU: user data header longer than the user data")
        pos = offset + 1
        while pos + 1 < end:
            iei, length = data[pos], data[pos + 1]
            ie = data[pos + 2:pos + 2 + length]
            if pos + 2 + length > end:
                raise ValueError("unreadable PDU: information element beyond its header")
            if iei == 0x00 and length == 3 and 1 <= ie[2] <= ie[1]:
                concat = (ie[0], ie[1], ie[2])
            elif iei == 0x08 and length == 4 and 1 <= ie[3] <= ie[2]:
                concat = ((ie[0] << 8) | ie[1], ie[2], ie[3])
            pos += 2 + length
    if gsm7:
        septets = _unpack(data[offset:], udl)
        skip = (udh_len * 8 + 6) // 7
        return _gsm7_text(septets[skip:]), concat
    body = bytes(data[offset + udh_len:offset + udl])
    if dcs == 0x08:
        if len(body) % 2:
            body = body[:-1]
        return body.decode("utf-16-be", errors="replace"), concat
    return body.decode("latin-1"), concat


def _unpack(data, count):
    """Septets from packed octets (count septets, fill bits included in the count)."""
    value, bits, out = 0, 0, []
    for octet in data:
        value |= octet << bits
        bits += 8
        while bits >= 7 and len(out) < count:
            out.append(value & 0x7F)
            value >>= 7
            bits -= 7
        if len(out) >= count:
            break
    return out


REVERSE_BASIC = {code: ch for ch, code in BASIC.items()}
REVERSE_EXTENSION = {code: ch for ch, code in EXTENSION.items()}


def _gsm7_text(septets):
    out, escape = [], False
    for code in septets:
        if escape:
            out.append(REVERSE_EXTENSION.get(code, " "))
            escape = False
        elif code == 0x1B:
            escape = True
        else:
            out.append(REVERSE_BASIC.get(code, "?"))
    return "".join(out)


def decode(hex_pdu):
    """Read a PDU as a modem shows it (SMSC part included).

    Returns a dict: type (SMS-DELIVER, SMS-SUBMIT, SMS-STATUS-REPORT), number,
    text and concat (reference, total, seq) or None for messages, time; for a
    status report reference, status, status_words, delivered, final.
    Raises ValueError for a PDU that cannot be read, and nothing else: one
    unreadable PDU on a SIM must not stop the others being read.
    """
    if not isinstance(hex_pdu, str):
        raise ValueError("unreadable PDU: not text")
    hex_pdu = hex_pdu.strip()
    if not hex_pdu or len(hex_pdu) % 2 or not all(c in HEX_DIGITS for c in hex_pdu):
        raise ValueError("unreadable PDU: not an even number of hex digits")
    data = bytes.fromhex(hex_pdu)
    try:
        info = gsmpdu.decodeSmsPdu(hex_pdu)
    except Exception as exc:  # the library's own defects: IndexError, KeyError, StopIteration…
        raise ValueError(f"unreadable PDU: {type(exc).__name__}: {exc}") from None
    try:
        return _complete(info, data)
    except (IndexError, KeyError, TypeError, OverflowError) as exc:
        raise ValueError(f"unreadable PDU: {type(exc).__name__}: {exc}") from None


HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
TYPES = ("SMS-DELIVER", "SMS-SUBMIT", "SMS-STATUS-REPORT")


def _complete(info, data):
    """Check what the library read and read the user data again ourselves."""
    if not isinstance(info, dict) or info.get("type") not in TYPES:
        raise ValueError("unreadable PDU: unknown message type")
    if info.get("time") is not None and not isinstance(info["time"], datetime.datetime):
        raise ValueError("unreadable PDU: bad timestamp")
    if not isinstance(info.get("number"), str):
        info["number"] = ""  # an empty address field
    pos = 1 + data[0]
    first = data[pos]
    mti = first & 0x03
    if TYPES.index(info["type"]) != {0x00: 0, 0x01: 1, 0x02: 2}.get(mti):
        raise ValueError("unreadable PDU: message type unclear")
    if mti == 0x02:
        status, reference = info.get("status"), info.get("reference")
        if not isinstance(status, int) or not isinstance(reference, int) or not 0 <= status <= 0xFF:
            raise ValueError("unreadable PDU: status report without status or reference")
        final, delivered = status_final(status)
        info.update(status_words=status_words(status), delivered=delivered, final=final)
        return info
    # Re-decode the user data: the library's text is wrong for emoji and a final '@'.
    pos += 1
    if mti == 0x01:
        pos += 1  # TP-MR
    addr_digits = data[pos]
    pos += 2 + (addr_digits + 1) // 2
    pos += 1  # PID
    dcs = data[pos]
    pos += 1
    if mti == 0x00:
        pos += 7  # SCTS
    else:
        vpf = (first >> 3) & 0x03
        pos += {0: 0, 2: 1, 1: 7, 3: 7}[vpf]
    udl = data[pos]
    pos += 1
    alphabet = gsmpdu._decodeDataCoding(dcs)
    gsm7 = alphabet == 0x00
    # The user data must be there: UDL counts septets (7-bit) or octets.
    if len(data) - pos < ((udl * 7 + 7) // 8 if gsm7 else udl):
        raise ValueError("unreadable PDU: user data shorter than its length")
    text, concat = _user_data(data, pos, udl, 0x08 if alphabet == 0x02 else dcs, bool(first & 0x40), gsm7)
    info["text"] = text
    info["concat"] = concat
    info.pop("udh", None)
    return info


def build_deliver(sender, text, now=None, concat=None, encoding=None, smsc="+8613800100500"):
    """An SMS-DELIVER PDU as hex, as a network would deliver it (for the simulator and tests)."""
    encoding = encoding or segments(text).encoding
    when = now or datetime.datetime.now(CHINA_TZ)  # the (simulated) SMS centre's clock
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA_TZ)  # +08:00
    pdu = bytearray(gsmpdu._encodeAddressField(smsc, smscField=True))
    pdu.append(0x04 | (0x40 if concat else 0))  # SMS-DELIVER, no more messages to send
    pdu += gsmpdu._encodeAddressField(sender)
    pdu += bytes([0x00, 0x00 if encoding == "gsm7" else 0x08])
    pdu += gsmpdu._encodeTimestamp(when)
    udh = bytes([0x05, 0x00, 0x03, concat[0] & 0xFF, concat[1], concat[2]]) if concat else b""
    if encoding == "gsm7":
        codes = gsm7_codes(text)
        body, udl = pack_after_udh(codes, len(udh))
    else:
        body = text.encode("utf-16-be")
        udl = len(udh) + len(body)
    pdu.append(udl)
    pdu += udh + body
    return pdu.hex().upper()


def build_status_report(reference, recipient, status=0x00, now=None, smsc="+8613800100500"):
    """An SMS-STATUS-REPORT PDU as hex (the simulator's delivery reports)."""
    when = now or datetime.datetime.now(CHINA_TZ)  # the (simulated) SMS centre's clock
    pdu = bytearray(gsmpdu._encodeAddressField(smsc, smscField=True))
    pdu += bytes([0x06, reference & 0xFF])
    pdu += gsmpdu._encodeAddressField(recipient)
    pdu += gsmpdu._encodeTimestamp(when) + gsmpdu._encodeTimestamp(when)
    pdu.append(status)
    return pdu.hex().upper()


def submit_info(hex_pdu):
    """What the simulator needs from a submitted PDU: number, reference, status_report flag, concat."""
    info = decode(hex_pdu)
    data = bytes.fromhex(hex_pdu)
    first = data[1 + data[0]]
    info["status_report"] = bool(first & 0x20)
    return info


def deliver_parts(sender, text, reference=7):
    """SMS-DELIVER PDUs of a whole (possibly long) text, for tests and `sim inject`."""
    seg = segments(text)
    total = seg.part_count
    return [build_deliver(sender, part, concat=(reference, total, i) if total > 1 else None,
                          encoding=seg.encoding)
            for i, part in enumerate(seg.parts, start=1)]
