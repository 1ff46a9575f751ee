"""Numbers, money, dates and digit strings as sequences of prompt names.

espeak-ng reads numbers of 10,000 and more wrongly in Mandarin, and Asterisk's
`zh` say rules need recordings we would have to make anyway and cover whole
numbers only; so numbers are composed here from digit and unit prompts
(n_0…n_9, n_10 十, n_100 百, n_1000 千, n_10000 万, n_1e8 亿, n_liang 两, yuan 元,
jiao 角, fen 分, year 年, month 月, day 日), and from English number words for
English callers. Every name used here is in appliance/ivr/prompts.toml.
"""
import datetime
import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

log = logging.getLogger(__name__)

ZH_UNITS = ("n_1000", "n_100", "n_10", None)
# The importer and the API keep amounts below this; anything else in the database is not spoken.
MAX_MONEY = Decimal(10) ** 12


def digits(text, language="zh"):
    """Each digit on its own (policy, badge and ticket numbers)."""
    return [f"n_{ch}" for ch in str(text) if ch.isdigit()]


def number(value, language="zh"):
    value = int(value)
    if value < 0:
        raise ValueError("negative numbers are not spoken")
    return _zh_int(value) if language == "zh" else _en_int(value)


def money(amount, language="zh"):
    """Yuan amounts: 一千二百三十四元五角 / one thousand … point five zero yuan.
    An amount that cannot be spoken (not a number, not finite, negative, 10^12 or
    more) gives no words, with a warning: the call goes on without it."""
    try:
        amount = Decimal(str(amount))
        speakable = amount.is_finite() and 0 <= amount < MAX_MONEY
        if speakable:
            amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        speakable = False
    if not speakable:
        log.warning("amount %.40r not spoken: not a yuan amount below %s", amount, MAX_MONEY)
        return []
    yuan = int(amount)
    cents = int((amount - yuan) * 100)
    if language != "zh":
        words = _en_int(yuan)
        if cents:
            words += ["point", f"n_{cents // 10}", *([f"n_{cents % 10}"] if cents % 10 else [])]
        return words + ["yuan"]
    jiao, fen = divmod(cents, 10)
    words = []
    if yuan or not cents:
        words += _zh_int(yuan) + ["yuan"]
    if jiao:
        words += [f"n_{jiao}", "jiao"]
    if fen:
        if yuan and not jiao:
            words.append("n_0")
        words += [f"n_{fen}", "fen"]
    return words


def date(day, language="zh"):
    """2026年12月1日 (the year read digit by digit) / December 1 2026."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    if language != "zh":
        return [f"month_{day.month}"] + _en_int(day.day) + _en_int(day.year)
    return digits(f"{day.year:04d}") + ["year"] + _zh_int(day.month) + ["month"] + _zh_int(day.day) + ["day"]


def time_of_day(moment, language="zh"):
    """15:30 -> 十五点三十分 / fifteen thirty; 15:00 -> 十五点 / fifteen o'clock;
    09:05 -> 九点五分 / nine zero five (a 24-hour clock: no am/pm to mishear)."""
    hour, minute = moment.hour, moment.minute
    if language != "zh":
        if not minute:
            return _en_int(hour) + ["oclock"]
        return _en_int(hour) + (["n_0"] if minute < 10 else []) + _en_int(minute)
    hours = ["n_liang"] if hour == 2 else _zh_int(hour)  # 两点, not 二点
    return hours + ["dian"] + (_zh_int(minute) + ["fen"] if minute else [])


# --- Mandarin ---------------------------------------------------------------------

def _zh_int(value):
    if value == 0:
        return ["n_0"]
    high, low = divmod(value, 10 ** 8)
    words = []
    if high:
        words += _zh_below_1e8(high) + ["n_1e8"]
    if low:
        if high and low < 10 ** 7:
            words.append("n_0")
        words += _zh_below_1e8(low, leading=not high)
    return words


def _zh_below_1e8(value, leading=True):
    wan, units = divmod(value, 10 ** 4)
    words = []
    if wan:
        words += ["n_liang"] if wan == 2 else _zh_group(wan, leading)
        words.append("n_10000")
    if units:
        if wan and units < 1000:
            words.append("n_0")
        words += _zh_group(units, leading=leading and not wan)
    elif not wan:
        words.append("n_0")
    return words


def _zh_group(value, leading=True):
    """1..9999 in Mandarin: 零 for inner gaps, 十 not 一十 at the start, 两千."""
    parts = [value // 1000, value // 100 % 10, value // 10 % 10, value % 10]
    words, started, gap = [], False, False
    for digit, unit in zip(parts, ZH_UNITS):
        if digit == 0:
            gap = started
            continue
        if gap:
            words.append("n_0")
            gap = False
        if unit == "n_10" and digit == 1 and not started and leading:
            words.append("n_10")
        elif unit == "n_1000" and digit == 2:
            words += ["n_liang", unit]
        else:
            words.append(f"n_{digit}")
            if unit:
                words.append(unit)
        started = True
    return words


# --- English ------------------------------------------------------------------------

def _en_int(value):
    if value < 20:
        return [f"n_{value}"]
    if value < 100:
        tens, ones = divmod(value, 10)
        return [f"n_{tens * 10}"] + ([f"n_{ones}"] if ones else [])
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return [f"n_{hundreds}", "n_100"] + (_en_int(rest) if rest else [])
    for size, name in ((10 ** 9, "n_1e9"), (10 ** 6, "n_1e6"), (1000, "n_1000")):
        if value >= size:
            high, rest = divmod(value, size)
            return _en_int(high) + [name] + (_en_int(rest) if rest else [])
    raise AssertionError(value)
