"""The IVR editor's own entries in whole calls through a real Asterisk 22 (tests/asterisk_support.py):
the transfer's Dial() string as Asterisk runs it, to a number nobody answers (Asterisk's
own status comes back: the caller hears operator_busy and stays in the menu)."""
from asterisk_support import asterisk, asterisk_install, ivr_asterisk  # noqa: F401  (fixtures)
from test_agi_real_asterisk import finished_call

from appliance.ivr.models import MenuNode


def add_entry(agi_server, **fields):
    agi_server.menus.ttl = 0
    main = MenuNode.get(MenuNode.name == "main")
    MenuNode(parent=main.id, digit="7", title="entry", **fields).save()


def test_transfer_dials_the_number_and_comes_back_when_nobody_is_there(ivr_asterisk, agi_server):
    # from-internal has no extension 8001 in the test dialplan: Local/ cannot be made.
    add_entry(agi_server, name="claims_line", prompt="after_hours", action="transfer", transfer_number="8001")
    result = ivr_asterisk.call(digits=[("menu_main", "7")], hang_up_at="operator_busy")
    assert result.heard[:4] == ["welcome", "menu_main", "after_hours", "operator_busy"]
    assert [c for c in result.commands if c.startswith("EXEC Dial")] == ['EXEC Dial "Local/8001@from-internal,60"']
    call = finished_call(result.uniqueid)
    assert "transfer to 8001" in call.detail and "number not reached (CHANUNAVAIL)" in call.detail

