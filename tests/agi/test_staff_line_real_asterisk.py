"""The staff line through a real Asterisk 22 and our dialplan (tests/asterisk_support.py):
key 8, the PIN keyed as real DTMF into GET DATA, and the month's premiums collected heard
(the rest of what is said: tests/agi/test_staff_line.py).
Skipped, saying why, where there is no Asterisk build."""
from asterisk_support import asterisk, asterisk_install, ivr_asterisk  # noqa: F401  (fixtures)
from staff_support import AGENT_MOBILE, PIN, make_book
from test_agi_real_asterisk import finished_call

from agi import speech
from appliance import clock
from appliance.ivr import staff_access


def test_staff_member_keys_the_pin_and_hears_the_months_performance(ivr_asterisk):
    book = make_book(clock.today())
    staff_access.set_pin(book.agent, PIN)
    result = ivr_asterisk.call(
        digits=[("welcome", "8"),                       # typed ahead into the main menu
                ("staff_enter_pin", PIN + "#"),          # GET DATA collects the PIN
                ("staff_menu", "1"),
                ("staff_count_of", "*")],                # the month's premiums heard; back to the menu
        hang_up_at="staff_menu", caller_id=AGENT_MOBILE)
    today = clock.today()
    month = staff_access.performance(book.agent, staff_access.period_starts(today)[0], today)
    start = result.heard.index("staff_month")
    expected = ["staff_month", "staff_collected", *speech.money(month.collected), "staff_count_of"]
    assert month.collected > 0 and result.heard[start:start + len(expected)] == expected
    assert "staff_pin_refused" not in result.heard
    call = finished_call(result.uniqueid)
    assert call.path_list[2:6] == ["staff_line", "staff_pin", "staff_menu", "staff_performance"]
    assert ["staff_pin", "******"] in call.key_list and f"staff {book.agent.badge_no} signed in" in call.detail
    assert result.problems == []
