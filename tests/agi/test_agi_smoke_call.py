from agi.asterisk_peer import hang_up
from appliance.ivr.models import Call


def test_unknown_caller_hangs_up_in_main_menu(dial):
    peer = dial([hang_up("menu_main")])
    assert peer.heard == ["welcome", "menu_main"]
    call = Call.get()
    assert call.outcome == "caller_hung_up" and call.ended_in == "main"
