"""Encoding and splitting: GSM 7-bit with the extension table, UCS2, emoji,
the 160/153 and 70/67 boundaries, long messages; PDUs round-trip."""
import pytest
from gsmmodem import pdu as gsmpdu

from appliance.sms.text import part_count, preview, segments
from modem import pdu

NUMBER = "+8613800138000"


def decoded(text):
    """Build every part's PDU, decode them back, join the texts."""
    parts = pdu.build_message(NUMBER, text, reference=77)
    infos = [pdu.decode(hex_pdu) for hex_pdu, _ in parts]
    return infos, "".join(i["text"] for i in infos)


@pytest.mark.parametrize("text, encoding, sizes", [
    ("a" * 160, "gsm7", [160]),
    ("a" * 161, "gsm7", [153, 8]),
    ("a" * 306, "gsm7", [153, 153]),
    ("a" * 307, "gsm7", [153, 153, 1]),
    ("€" * 80, "gsm7", [80]),          # 160 septets: extension characters count two
    ("€" * 81, "gsm7", [76, 5]),       # 152 septets, then the 77th would be 154
    ("中" * 70, "ucs2", [70]),
    ("中" * 71, "ucs2", [67, 4]),
    ("中" * 134, "ucs2", [67, 67]),
    ("😀" * 35, "ucs2", [35]),         # 70 UTF-16 units
    ("😀" * 36, "ucs2", [33, 3]),      # 33 pairs = 66 units; the 34th pair would not fit
])
def test_boundaries(text, encoding, sizes):
    seg = segments(text)
    assert seg.encoding == encoding
    assert [len(p) for p in seg.parts] == sizes
    assert part_count(text) == len(sizes)
    infos, back = decoded(text)
    assert back == text
    assert len(infos) == len(sizes)


def test_seven_bit_and_extension_characters_round_trip():
    text = "Policy 886010 due: 1,234.50 @home_€[]{}^~|\\ ok"
    assert segments(text).encoding == "gsm7"
    infos, back = decoded(text)
    assert back == text
    dcs_offset = 13  # SMSC(1) first(1) MR(1) length(1) TOA(1) 13 digits(7) PID(1)
    assert bytes.fromhex(pdu.build_message(NUMBER, text)[0][0])[dcs_offset] == 0x00
    assert bytes.fromhex(pdu.build_message(NUMBER, "中文")[0][0])[dcs_offset] == 0x08
    assert infos[0]["number"] == NUMBER


def test_escape_sequence_never_split():
    text = "a" * 152 + "€" + "b" * 10   # the euro would straddle the 153-septet boundary
    seg = segments(text)
    assert seg.parts[0] == "a" * 152
    assert seg.parts[1].startswith("€")
    assert decoded(text)[1] == text


def test_surrogate_pair_never_split():
    text = "中" * 66 + "😀" + "文" * 10   # the emoji would straddle the 67-unit boundary
    seg = segments(text)
    assert seg.parts[0] == "中" * 66
    assert seg.parts[1].startswith("😀")
    for hex_pdu, _ in pdu.build_message(NUMBER, text):
        body = pdu.decode(hex_pdu)["text"]
        assert "\ufffd" not in body   # each part decodes alone: no half pair
    assert decoded(text)[1] == text


def test_ten_part_message_has_one_reference_and_counts():
    text = "".join(f"第{i}段保单条款说明。" for i in range(95))[:670]
    assert part_count(text) == 10
    infos, back = decoded(text)
    assert back == text
    assert [i["concat"] for i in infos] == [(77, 10, n) for n in range(1, 11)]


def test_gsm7_final_at_sign_kept():
    # gsmmodem's own decoder drops a final '@' (code 0) in this spot; ours keeps it.
    text = "a" * 152 + "@" * 9
    assert decoded(text)[1] == text


def test_library_encoder_fails_on_emoji_where_ours_works():
    with pytest.raises(ValueError):
        gsmpdu.encodeSmsSubmitPdu(NUMBER, "hi 😀")
    assert decoded("hi 😀")[1] == "hi 😀"


def test_submit_pdu_fields():
    hex_pdu, length = pdu.build_submit(NUMBER, "hello", "gsm7", status_report=True)
    assert hex_pdu == "0021000D91683108108300F0000005E8329BFD06"  # as gsmmodem encodes it
    assert length == len(hex_pdu) // 2 - 1
    info = pdu.submit_info(hex_pdu)
    assert info["status_report"] is True
    assert info["number"] == NUMBER


def test_deliver_and_status_report_decode():
    parts = pdu.deliver_parts("+8613912345678", "您好，我想查询保单" * 10, reference=9)
    infos = [pdu.decode(p) for p in parts]
    assert {i["type"] for i in infos} == {"SMS-DELIVER"}
    assert "".join(i["text"] for i in infos) == "您好，我想查询保单" * 10
    assert infos[0]["number"] == "+8613912345678"
    report = pdu.decode(pdu.build_status_report(42, NUMBER, 0x41))
    assert report["type"] == "SMS-STATUS-REPORT"
    assert (report["reference"], report["delivered"], report["final"]) == (42, False, True)
    assert report["status_words"] == "incompatible destination"


def test_preview_counts_room_left():
    assert preview("a" * 150) == {"encoding": "gsm7", "parts": 1, "units": 150, "left_in_part": 10}
    assert preview("中" * 71)["left_in_part"] == 63


def test_unreadable_pdu_is_a_value_error():
    with pytest.raises(ValueError):
        pdu.decode("0791FF")
