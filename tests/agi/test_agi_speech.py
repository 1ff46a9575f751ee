"""Mandarin and English numbers, money and dates as prompt sequences."""
import datetime

import pytest

from agi import speech
from appliance.ivr import prompt_files

ZH = {"n_0": "零", "n_1": "一", "n_2": "二", "n_3": "三", "n_4": "四", "n_5": "五", "n_6": "六", "n_7": "七",
      "n_8": "八", "n_9": "九", "n_10": "十", "n_100": "百", "n_1000": "千", "n_10000": "万", "n_1e8": "亿",
      "n_liang": "两", "yuan": "元", "jiao": "角", "fen": "分", "year": "年", "month": "月", "day": "日",
      "dian": "点"}


def zh(words):
    return "".join(ZH[w] for w in words)


@pytest.mark.parametrize("value,text", [
    (0, "零"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (105, "一百零五"), (110, "一百一十"),
    (1005, "一千零五"), (2000, "两千"), (3650, "三千六百五十"), (10000, "一万"), (12000, "一万两千"),
    (20000, "两万"), (36000, "三万六千"), (10050, "一万零五十"), (10010, "一万零一十"), (100000, "十万"),
    (105000, "十万五千"), (1000000, "一百万"), (20000000, "两千万"), (100000005, "一亿零五"),
    (110000000, "一亿一千万"), (101000000, "一亿零一百万"), (1000100000, "十亿零一十万"),
])
def test_mandarin_numbers(value, text):
    assert zh(speech.number(value)) == text


@pytest.mark.parametrize("amount,text", [
    ("1234.50", "一千二百三十四元五角"), ("36000", "三万六千元"), ("0.05", "五分"), ("12.05", "十二元零五分"),
    ("0", "零元"), ("8800.99", "八千八百元九角九分"),
])
def test_mandarin_money(amount, text):
    assert zh(speech.money(amount)) == text


def test_mandarin_date_and_digits():
    assert zh(speech.date(datetime.date(2026, 12, 1))) == "二零二六年十二月一日"
    assert zh(speech.digits("35019001")) == "三五零一九零零一"


@pytest.mark.parametrize("hhmm,text,english", [
    ("14:00", "十四点", ["n_14", "oclock"]), ("02:30", "两点三十分", ["n_2", "n_30"]),
    ("09:05", "九点五分", ["n_9", "n_0", "n_5"]), ("00:00", "零点", ["n_0", "oclock"]),
])
def test_time_of_day(hhmm, text, english):
    moment = datetime.datetime.strptime(hhmm, "%H:%M")
    assert zh(speech.time_of_day(moment)) == text and speech.time_of_day(moment, "en") == english


def test_english_numbers_money_dates():
    assert speech.number(2026, "en") == ["n_2", "n_1000", "n_20", "n_6"]
    assert speech.number(36015, "en") == ["n_30", "n_6", "n_1000", "n_15"]
    assert speech.money("1200.50", "en") == ["n_1", "n_1000", "n_2", "n_100", "point", "n_5", "yuan"]
    assert speech.date(datetime.date(2026, 3, 9), "en") == ["month_3", "n_9", "n_2", "n_1000", "n_20", "n_6"]


def test_every_composed_name_has_a_prompt_in_its_language():
    catalogue = prompt_files.catalogue()
    values = [0, 10, 11, 19, 99, 110, 2000, 12345, 20000, 10 ** 8 + 5, 1234567890]
    for language in ("zh", "en"):
        words = [w for v in values for w in speech.number(v, language)]
        words += speech.money("1234.56", language) + speech.date(datetime.date(2026, 12, 31), language)
        words += speech.time_of_day(datetime.datetime(2026, 12, 31, 23, 59), language)
        words += speech.time_of_day(datetime.datetime(2026, 12, 31, 2, 0), language)
        words += [f"month_{m}" for m in range(1, 13)] if language == "en" else []
        missing = {w for w in words if language not in catalogue.get(w, {})}
        assert not missing, (language, missing)


@pytest.mark.parametrize("amount", ["Infinity", "-Infinity", "NaN", "sNaN", "1e999999", "1000000000000", "-1",
                                    "abc", None, float("nan"), float("inf")])
def test_an_amount_that_cannot_be_spoken_gives_no_words_not_an_error(amount):
    assert speech.money(amount, "zh") == [] and speech.money(amount, "en") == []


def test_every_amount_below_the_limit_is_spoken_with_known_prompts():
    for amount in ("999999999999.99", "999999999999.995", "0.001", "1e-999999", "100000000.01"):
        for language in ("zh", "en"):
            words = speech.money(amount, language)
            assert words and words[-1] in ("yuan", "jiao", "fen")
            assert all(w in ("yuan", "jiao", "fen", "point") or w.startswith("n_") for w in words)
