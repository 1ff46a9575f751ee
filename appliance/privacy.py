"""Masking personal data for logs and pages (mobiles, ID numbers)."""


def mask_mobile(number):
    """+8613812345678 -> +86138****5678; short numbers keep only their last two digits."""
    if not number:
        return ""
    text = str(number)
    if len(text) <= 6:
        return "*" * (len(text) - 2) + text[-2:]
    return text[:-8] + "****" + text[-4:] if len(text) >= 11 else text[:2] + "*" * (len(text) - 4) + text[-2:]


def mask_id_number(number):
    """110105194912310021 -> 110105********0021 (region kept, birth date hidden)."""
    if not number:
        return ""
    text = str(number)
    if len(text) < 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_digits(keys):
    """Keys a caller typed that are secret (ID digits): every digit hidden."""
    return "*" * len(keys or "")
