"""Phone numbers: the one place they are parsed, checked and classified.

Validation and formatting come from phonenumbers (China by default). Chinese
mobiles are by far the most common numbers here (a campaign queues 100,000 of
them), and both their validity and their carrier depend only on the first 7
digits in phonenumbers' metadata, so those answers are cached per prefix.

Which customer or staff member a number belongs to is appliance/phonebook.py.
"""
import functools
import re

import phonenumbers
from phonenumbers import carrier

from appliance.errors import N_, InputError

DEFAULT_REGION = "CN"
CN_MOBILE = re.compile(r"(?:\+86|0086|86)?(1\d{10})")


def normalize(number, field="mobile", region=DEFAULT_REGION):
    """E.164 form (+8613800138000) of a valid number, else InputError naming the field."""
    text = str(number or "").strip()
    match = CN_MOBILE.fullmatch(text)
    if match and region == DEFAULT_REGION and _cn_mobile_prefix_valid(match.group(1)[:7]):
        return "+86" + match.group(1)
    if not text:
        raise InputError.of(N_("{field}: empty phone number"), field=field)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InputError.of(N_("{field}: '{text}' is not a phone number"), field=field, text=text) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InputError.of(N_("{field}: '{text}' is not a valid phone number"), field=field, text=text)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def _cn_mobile_prefix_valid(prefix7):
    parsed = phonenumbers.parse("+86" + prefix7 + "0000")
    return phonenumbers.is_valid_number(parsed)


def e164_or_none(text):
    """The E.164 form of a caller ID or sender, or None for 'unknown', withheld or junk."""
    text = str(text or "").strip()
    if not any(ch.isdigit() for ch in text):
        return None
    try:
        return normalize(text, "number")
    except InputError:
        return None


def as_received(text):
    """E.164 when the number parses; otherwise (a sender name, a short code such as
    10086, a caller ID of 'unknown') the text as it came, so nothing is lost."""
    text = str(text or "").strip()
    return e164_or_none(text) or text


def is_mobile(e164):
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def carrier_name(number):
    """The carrier that issued a mobile number, in English ('China Mobile'), or ''
    (a number phonenumbers cannot parse, or a fixed line, has no carrier)."""
    number = str(number or "")
    if number.startswith("+86") and len(number) == 14:
        return _carrier_of_prefix(number[:10])
    try:
        return carrier.name_for_number(phonenumbers.parse(number), "en")
    except phonenumbers.NumberParseException:
        return ""


@functools.lru_cache(maxsize=65536)
def _carrier_of_prefix(prefix):
    # Chinese carriers are decided by the first digits (number portability aside).
    return carrier.name_for_number(phonenumbers.parse(prefix + "0000"), "en")


def national(e164):
    """The number as dialled inside the country (13800138000)."""
    return str(phonenumbers.parse(e164).national_number)
