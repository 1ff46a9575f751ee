"""PRC resident identity card numbers (居民身份证号码).

python-stdnum's cn.ric does the checksum (ISO 7064 MOD 11-2), the birth date
and the region; this module turns its exceptions into our one-line errors.
"""

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from appliance import clock
from appliance.errors import N_, InputError


def check_id_number(number, field="id_number"):
    """Return the compact, validated 18-character number or raise InputError.

    Checks length, digits, the MOD 11-2 check digit and the birth date with
    stdnum. The region code is deliberately not checked: stdnum's region table
    lacks the counties of whole provinces (Fujian, Guangdong…), so it would refuse
    real customers' numbers.
    """
    if number is None or str(number).strip() == "":
        raise InputError.of(N_("{field}: empty ID number"), field=field)
    text = ric.compact(str(number)).upper()
    if len(text) != 18 or not text[:17].isdigit():
        raise InputError.of(N_("{field}: not an 18-character PRC ID number"), field=field)
    expected = ric.calc_check_digit(text)
    if text[17] != expected:
        raise InputError.of(N_("{field}: ID number fails its checksum (last character should be {expected})"),
                            field=field, expected=expected)
    try:
        born = ric.get_birth_date(text)
    except stdnum_errors.ValidationError:
        born = None
    if born is None or born > clock.today():
        raise InputError.of(N_("{field}: ID number holds an impossible birth date ({text})"),
                            field=field, text=text[6:14])
    return text


def birth_date(number):
    """Birth date encoded in a valid ID number."""
    return ric.get_birth_date(check_id_number(number))


def gender(number):
    """'M' or 'F' from the 17th digit (odd: male)."""
    return "M" if int(check_id_number(number)[16]) % 2 else "F"


def make_id_number(region_code, born, sequence):
    """A valid number for region, birth date and a 3-digit sequence (demo data, tests)."""
    body = f"{region_code}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit
