"""Masking personal data for logs and pages (mobiles, e-mail addresses, ID numbers, birth dates)."""


def mask_mobile(number):
    """+8613812345678 -> +86138****5678; short numbers keep only their last two digits."""
    if not number:
        return ""
    text = str(number)
    if len(text) <= 6:
        return "*" * (len(text) - 2) + text[-2:]
    return text[:-8] + "****" + text[-4:] if len(text) >= 11 else text[:2] + "*" * (len(text) - 4) + text[-2:]


def mask_id_number(number):
    """110105194912310021 -> 110105************ (only the region kept).

    The IVR takes the last six characters as a caller's secret: the day of birth,
    the sequence and the check digit. Showing the last four beside a birth date
    would give them away, so neither the birth-date digits nor the tail are shown
    (and mask_birth_date keeps only the year)."""
    if not number:
        return ""
    text = str(number)
    if len(text) < 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 6)


def mask_birth_date(day):
    """1949-12-31 -> '1949-**-**': the year only (with the masked ID number, no
    digit of the IVR secret can be read off the page)."""
    if not day:
        return ""
    return f"{day.year}-**-**"


def mask_digits(keys):
    """Keys a caller typed that are secret (ID digits): every digit hidden."""
    return "*" * len(keys or "")


def mask_email(address):
    """zhang.san@example.com -> z***@example.com: the first letter and the domain."""
    if not address:
        return ""
    local, at, domain = str(address).rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
