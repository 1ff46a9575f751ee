"""Menu 6, the state of a request, through a real Asterisk 22 and our shipped dialplan
(tests/asterisk_support.py): the caller keys a wrong reference number, then their own,
as real DTMF, and hears its state. Skipped where there is no Asterisk."""
import datetime

from asterisk_support import asterisk, asterisk_install, ivr_asterisk  # noqa: F401  (fixtures)
from peer_support import wait_for

from agi import speech
from appliance.ivr.models import Call
from appliance.ivr.tickets import open_ticket
from appliance.tickets.models import Ticket, TicketQuery


def test_caller_keys_a_wrong_number_then_their_own_and_hears_its_state(ivr_asterisk):
    ticket = open_ticket("callback", "ivr", number="+8613912345678", text="来电预约回电 / Callback requested")
    due = datetime.datetime(2026, 12, 1, 14, 0)
    Ticket.update(status="assigned", due_at=due).where(Ticket.id == ticket.id).execute()
    result = ivr_asterisk.call(
        digits=[("menu_main", "6"),
                ("ticket_enter_number", "2611309999#"),   # not theirs (nor anyone's)
                ("ticket_enter_number", ticket.number + "#"),
                ("ticket_due_is", "*")],                  # heard the state; back to the menu
        hang_up_at="menu_main", caller_id="13912345678")
    told = ["ticket_not_found", "ticket_enter_number", "ticket_number_is", *speech.digits(ticket.number),
            "ticket_state_in_progress", "ticket_due_is"]
    start = result.heard.index("ticket_not_found")
    assert result.heard[start:start + len(told)] == told  # the due time's words: tests/agi/test_agi_ticket_status.py
    queries = list(TicketQuery.select().order_by(TicketQuery.id))
    assert [(q.keyed, q.found) for q in queries] == [("2611309999", False), (ticket.number, True)]
    call = wait_for(lambda: Call.get_or_none(Call.uniqueid == result.uniqueid, Call.outcome != "in_progress"),
                    what="the call record")
    assert f"ticket {ticket.number} told" in call.detail and call.path_list[-3:] == ["ticket_number", "ticket_info", "main"]
    assert result.problems == []
