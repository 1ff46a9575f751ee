"""Phone numbers, normalised and validated with phonenumbers (China by default)."""
import phonenumbers
from phonenumbers import carrier

from appliance.errors import InputError

DEFAULT_REGION = "CN"


def normalize(number, field="mobile", region=DEFAULT_REGION):
    """E.164 form (+8613800138000) of a valid number, else InputError naming the field."""
    text = str(number or "").strip()
    if not text:
        raise InputError(f"{field}: empty phone number", field=field)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InputError(f"{field}: '{text}' is not a phone number", field=field) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InputError(f"{field}: '{text}' is not a valid phone number", field=field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164):
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def carrier_name(e164):
    """The carrier that issued a mobile number, in English ('China Mobile'), or ''."""
    return carrier.name_for_number(phonenumbers.parse(e164), "en")


def national(e164):
    """The number as dialled inside the country (13800138000)."""
    return str(phonenumbers.parse(e164).national_number)
