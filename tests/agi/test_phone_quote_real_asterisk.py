"""Applying by phone with a premium quote through a real Asterisk 22 and our shipped dialplan
(tests/asterisk_support.py): the caller picks the product, keys age, sum insured and gender
as real DTMF, hears the premium to the fen and applies; the ticket carries the quote.
Skipped where there is no Asterisk. The known rate table: tests/products_support.py."""
from asterisk_support import asterisk, asterisk_install, ivr_asterisk  # noqa: F401  (fixtures)
from products_support import seed_products

from agi import speech
from appliance.products.models import PremiumQuote
from appliance.tickets.models import Ticket


def test_caller_hears_the_premium_and_applies(ivr_asterisk, tmp_path):
    seed_products(tmp_path)
    result = ivr_asterisk.call(
        digits=[("menu_main", "5"), ("menu_service_request", "2"), ("quote_choose_product", "1"),
                ("quote_enter_age", "31#"), ("quote_enter_sum", "1250#"), ("quote_choose_gender", "2"),
                ("quote_apply", "1")],
        hang_up_at="ticket_opened", caller_id="13912345678")
    told = ["quote_premium", *speech.money("1.63"), "quote_apply"]  # 1250 × 1.30 / 1000 = 1.625, half up
    start = result.heard.index("quote_premium")
    assert result.heard[start:start + len(told)] == told
    ticket = Ticket.get()
    assert (ticket.kind, ticket.caller) == ("phone-application", "+8613912345678") and "1.63" in ticket.text
    assert PremiumQuote.get().ticket_id == ticket.id
    assert result.problems == []
