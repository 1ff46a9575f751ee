"""The PDU decoder on random and mutated PDUs: it reads them or raises ValueError,
never anything else (an IndexError on one stored PDU used to stop the whole SIM
read). A bounded run on every test run; HYPOTHESIS_LONG=1 for the long one
(tests/fuzz_support.py)."""
import datetime

from fuzz_support import fuzz
from hypothesis import example, given, strategies as st

from modem import pdu

TYPES = {"SMS-DELIVER", "SMS-SUBMIT", "SMS-STATUS-REPORT"}
SEEDS = [  # valid PDUs of every kind we meet, to mutate
    pdu.build_deliver("+8613912345678", "查询保单"),
    pdu.build_deliver("10086", "hello @€[]", encoding="gsm7"),
    pdu.build_deliver("+8613912345678", "x" * 153, concat=(7, 2, 1), encoding="gsm7"),
    pdu.build_deliver("+8613912345678", "😀中", concat=(200, 3, 3)),
    pdu.build_status_report(42, "+8613800138000", 0x41),
    pdu.build_status_report(1, "13800138000", 0x00),
    pdu.build_submit("+8613800138000", "您好", "ucs2", concat=(9, 2, 2))[0],
    pdu.build_submit("13800138000", "a{}", "gsm7", validity=datetime.timedelta(days=1))[0],
]


@st.composite
def mutated(draw):
    data = bytearray(bytes.fromhex(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x05, 0x08, 0x40, 0x7F, 0x80, 0xFF]))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete" and data:
            del data[at]
    text = data.hex()
    return text.upper() if draw(st.booleans()) else text


ANY_TEXT = st.one_of(st.binary(max_size=80).map(lambda b: b.hex().upper()),  # random bytes
                     st.text(alphabet="0123456789ABCDEFabcdef \r\nG", max_size=60),
                     st.text(max_size=20))


def check(info):
    assert info["type"] in TYPES
    assert isinstance(info.get("number", ""), str)
    assert info.get("time") is None or isinstance(info["time"], datetime.datetime)
    if info["type"] == "SMS-STATUS-REPORT":
        assert isinstance(info["reference"], int) and isinstance(info["status"], int)
        assert isinstance(info["status_words"], str) and isinstance(info["final"], bool)
    else:
        assert isinstance(info["text"], str)
        concat = info["concat"]
        assert concat is None or (len(concat) == 3 and all(isinstance(v, int) for v in concat))


@fuzz(500)
@given(st.one_of(mutated(), ANY_TEXT))
@example("00217BACC1FB2D950B")
@example("00210000F02D70")
@example("0891FE3108100005F0060305A10180F66211")
def test_fuzz_pdu_decoder_reads_or_raises_value_error(hex_pdu):
    try:
        info = pdu.decode(hex_pdu)
    except ValueError:
        return
    check(info)


@fuzz(200)
@given(st.text(max_size=400), st.integers(0, 255), st.booleans())
def test_fuzz_pdu_round_trip_of_any_text(text, reference, long_number):
    """Whatever a user types comes back out of the parts it is split into."""
    number = "+8613800138000" if long_number else "10086"
    text = text.replace("\x00", "")  # NUL is not sendable
    infos = [pdu.decode(p) for p, _ in pdu.build_message(number, text, reference=reference)]
    assert "".join(i["text"] for i in infos) == text
