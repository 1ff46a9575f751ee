"""How an SMS text is encoded and split into parts (pure; no modem needed).

GSM 7-bit with the extension table when every character fits, UCS2 otherwise.
A single SMS holds 160 septets (GSM) or 70 UTF-16 units (UCS2); the parts of a
concatenated SMS lose room to the UDH and hold 153 septets or 67 units.
Characters are never split: an extension character (ESC + code) and an emoji
(a UTF-16 surrogate pair) always stay whole inside one part.

The character tables come from python-gsmmodem-new (gsmmodem.pdu) rather than
being typed again here; two of its entries are wrong for us and are left out
(see _basic_table and _extension_table).
"""
import re
from dataclasses import dataclass

from gsmmodem.pdu import GSM7_BASIC, GSM7_EXTENDED

SINGLE = {"gsm7": 160, "ucs2": 70}
MULTI = {"gsm7": 153, "ucs2": 67}
MAX_PARTS = 255  # the 8-bit UDH counts parts in one octet


def _basic_table():
    # Index 27 is ESC itself, not a character a text may contain.
    return {ch: code for code, ch in enumerate(GSM7_BASIC) if code != 0x1B}


def _extension_table():
    # gsmmodem maps U+00FF to the page-break code 0x0A; 'ÿ' is not a GSM character.
    return {ch: ord(code) for ch, code in GSM7_EXTENDED.items() if ch != "\xff"}


BASIC = _basic_table()
EXTENSION = _extension_table()


@dataclass(frozen=True)
class Segmentation:
    encoding: str      # gsm7 | ucs2
    parts: tuple       # the text of each part, in order
    units: int         # septets (gsm7) or UTF-16 units (ucs2) of the whole text

    @property
    def part_count(self):
        return len(self.parts)


def char_units(ch, encoding):
    """Septets or UTF-16 units one character takes."""
    if encoding == "gsm7":
        return 1 if ch in BASIC else 2
    return 2 if ord(ch) > 0xFFFF else 1


_GSM7 = frozenset(BASIC) | frozenset(EXTENSION)
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")  # two UTF-16 units each (a surrogate pair)


def is_gsm7(text):
    # Set operations, not a loop per character: every notice of the daily run comes through here.
    return _GSM7.issuperset(text)


def encoding_of(text):
    return "gsm7" if is_gsm7(text) else "ucs2"


def text_units(text, encoding):
    if encoding == "gsm7":
        basic = BASIC
        return len(text) + sum(1 for ch in text if ch not in basic)
    return len(text) + len(_ASTRAL.findall(text))


def segments(text, encoding=None):
    """Split `text` into SMS parts; returns a Segmentation."""
    text = text or ""
    encoding = encoding or encoding_of(text)
    units = text_units(text, encoding)
    if units <= SINGLE[encoding]:
        return Segmentation(encoding, (text,), units)
    room = MULTI[encoding]
    if units == len(text):  # one unit a character: plain slices
        return Segmentation(encoding, tuple(text[i:i + room] for i in range(0, len(text), room)), units)
    parts, start, used = [], 0, 0
    for i, ch in enumerate(text):
        size = char_units(ch, encoding)
        if used + size > room:  # this character starts the next part, whole
            parts.append(text[start:i])
            start, used = i, 0
        used += size
    parts.append(text[start:])
    return Segmentation(encoding, tuple(parts), units)


def part_count(text):
    """How many SMS parts `text` needs (for previews and billing)."""
    encoding = encoding_of(text or "")
    units = text_units(text or "", encoding)
    if units <= SINGLE[encoding]:
        return 1
    return len(segments(text, encoding).parts)


def preview(text):
    """What an admin page shows under a text box: encoding, parts, room left in the last part."""
    seg = segments(text)
    room = SINGLE[seg.encoding] if seg.part_count == 1 else MULTI[seg.encoding]
    last = text_units(seg.parts[-1], seg.encoding)
    return {"encoding": seg.encoding, "parts": seg.part_count, "units": seg.units,
            "left_in_part": room - last}
