"""The IVR editor's own menu entries in calls (fake Asterisk peer): an announcement,
then back to the menu or goodbye; a transfer that dials the node's number."""
import pytest

from agi.asterisk_peer import Step, hang_up, press
from appliance.ivr.models import Call, MenuNode


def add_entry(agi_server, **fields):
    agi_server.menus.ttl = 0  # the edit reaches the next call at once
    main = MenuNode.get(MenuNode.name == "main")
    node = MenuNode(parent=main.id, digit="7", title="entry", **fields)
    node.save()
    return node


def last_call():
    return Call.select().order_by(Call.id.desc()).get()


def test_announcement_then_back_to_the_menu(dial, agi_server):
    add_entry(agi_server, name="notice", prompt="after_hours", action="announce", after_play="menu")
    peer = dial([press("menu_main", "7"), hang_up("menu_main")])
    assert peer.heard == ["welcome", "menu_main", "after_hours", "menu_main"]
    assert last_call().path_list[-2:] == ["notice", "main"]


def test_announcement_then_goodbye(dial, agi_server):
    add_entry(agi_server, name="notice", prompt="after_hours", action="announce", after_play="hangup")
    peer = dial([press("menu_main", "7")])
    assert peer.heard == ["welcome", "menu_main", "after_hours", "goodbye"]
    assert (last_call().outcome, last_call().ended_in) == ("completed", "notice")


def test_transfer_dials_the_number_through_the_operator_line(dial, agi_server):
    add_entry(agi_server, name="claims_line", prompt="operator_transfer", action="transfer",
              transfer_number="059187654321")
    peer = dial([press("menu_main", "7"), Step("dial", dial_status="ANSWER")])
    assert peer.heard == ["welcome", "menu_main", "operator_transfer"]
    assert any(c.startswith('EXEC Dial "Local/059187654321@from-internal,60"') for c in peer.commands)
    call = last_call()
    assert (call.outcome, call.ended_in) == ("transferred", "claims_line")
    assert "transfer to 059187654321" in call.detail


def test_transfer_not_answered_comes_back_to_the_menu(dial, agi_server):
    add_entry(agi_server, name="claims_line", prompt="operator_transfer", action="transfer",
              transfer_number="8001")
    peer = dial([press("menu_main", "7"), Step("dial", dial_status="BUSY"), hang_up("menu_main")])
    assert peer.heard == ["welcome", "menu_main", "operator_transfer", "operator_busy", "menu_main"]
    assert "number not reached (BUSY)" in last_call().detail


@pytest.mark.parametrize("number", ["", "12", "8001,t", "Local/x", "1" * 21])
def test_transfer_number_is_checked_when_saved(agi_server, number):
    from appliance.errors import InputError
    with pytest.raises(InputError, match="transfer_number"):
        add_entry(agi_server, name="bad_line", prompt="operator_transfer", action="transfer",
                  transfer_number=number)
    assert not MenuNode.select().where(MenuNode.name == "bad_line").exists()
