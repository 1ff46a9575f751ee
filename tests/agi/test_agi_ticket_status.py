"""Menu 6, the state of a request, through the fake Asterisk peer: the caller keys a
reference number and hears its state, the answer or the due time — only for their own
tickets; anyone else hears what a wrong number gets, and wrong tries are limited."""
import datetime
import os

from agi import speech
from agi.asterisk_peer import hang_up, press
from appliance import clock
from appliance.ivr.models import Call
from appliance.ivr.tickets import open_ticket
from appliance.tickets import status_query
from appliance.tickets.models import Ticket, TicketQuery

CALLER = "+8613912345678"


def ticket_for(number=CALLER, **fields):
    ticket = open_ticket("complaint", "ivr", number=number, text="电话留言 / Voice message")
    if fields:
        Ticket.update(**fields).where(Ticket.id == ticket.id).execute()
    return Ticket.get_by_id(ticket.id)


def ask_for(number_keyed, *then):
    return [press("menu_main", "6"), press("ticket_enter_number", number_keyed + "#"), *then]


def heard_after(peer, name, count):
    start = peer.heard.index(name)
    return peer.heard[start:start + count]


def test_the_caller_hears_the_answer_of_their_own_ticket(dial, agi_server):
    ticket = ticket_for(status="answered", resolution="已为您办理，款项三日内到账。")
    peer = dial(ask_for(ticket.number, press("after_info", "*"), hang_up("menu_main")),
                callerid="13912345678")
    spoken = os.path.basename(agi_server.finder.spoken("已为您办理，款项三日内到账。", "zh", "spoken_text"))
    expected = ["ticket_number_is", *speech.digits(ticket.number), "ticket_state_answered",
                "ticket_answer_is", spoken, "after_info"]
    assert heard_after(peer, "ticket_number_is", len(expected)) == expected
    query = TicketQuery.get()
    assert (query.number, query.channel, query.found, query.ticket_id) == (CALLER, "ivr", True, ticket.id)
    assert f"ticket {ticket.number} told" in Call.select().order_by(Call.id.desc()).get().detail


def test_an_open_ticket_tells_when_it_is_due(dial):
    due = datetime.datetime(2026, 12, 1, 7, 30)  # the box runs in UTC in tests
    ticket = ticket_for(status="in_progress", due_at=due)
    peer = dial(ask_for(ticket.number, press("after_info", "*"), hang_up("menu_main")),
                callerid="13912345678")
    expected = ["ticket_state_in_progress", "ticket_due_is", *speech.date(due), "n_7", "dian", "n_3", "n_10", "fen"]
    assert heard_after(peer, "ticket_state_in_progress", len(expected)) == expected
    assert "ticket_answer_is" not in peer.heard


def test_someone_elses_ticket_sounds_like_a_wrong_number(dial):
    theirs = ticket_for(number="+8613800000011", status="answered", resolution="已办理")
    peer = dial(ask_for(theirs.number, press("ticket_enter_number", "2611309999#"),
                        press("ticket_enter_number", "*"), hang_up("menu_main")), callerid="13912345678")
    assert peer.heard[-6:] == ["ticket_enter_number", "ticket_not_found", "ticket_enter_number",
                               "ticket_not_found", "ticket_enter_number", "menu_main"]
    assert "ticket_number_is" not in peer.heard
    assert TicketQuery.select().where(TicketQuery.found == False).count() == 2


def test_withheld_number_owns_no_ticket(dial):
    ticket_for(number="unknown")  # opened from a withheld number: nobody may hear it
    peer = dial([press("menu_main", "6"), hang_up("menu_main")], callerid="unknown")
    assert peer.heard[-3:] == ["ticket_status_intro", "ticket_query_no_number", "menu_main"]
    assert TicketQuery.select().count() == 0


def test_wrong_tries_per_call_and_per_day(dial, ivr_config):
    ticket = ticket_for(status="new")
    retries = 3  # the default node's
    steps = [press("menu_main", "6")] + [press("ticket_enter_number", f"26113099{n:02d}#")
                                         for n in range(retries + 1)] + [hang_up("menu_main")]
    peer = dial(steps, callerid="13912345678")
    assert peer.heard.count("ticket_not_found") == retries + 1 and peer.heard[-1] == "menu_main"
    # One more wrong try today makes the day's limit; then even their own ticket is not told.
    dial(ask_for("2611309998", press("ticket_enter_number", "*"), hang_up("menu_main")), callerid="13912345678")
    assert status_query.misses_today(CALLER, clock.now()) == ivr_config["tickets.query_tries_per_day"]
    peer = dial(ask_for(ticket.number, hang_up("menu_main")), callerid="13912345678")
    assert heard_after(peer, "ticket_query_limited", 2) == ["ticket_query_limited", "menu_main"]
    assert "ticket_number_is" not in peer.heard
