"""Applying by phone with a premium quote, whole calls through the fake Asterisk peer: the
caller picks a product by key, keys age and sum insured (and what the table still needs),
hears the premium to the fen, and leaves the application: a ticket carrying the product,
the quote and the caller's number. The known rate table: tests/products_support.py."""
from decimal import Decimal

import pytest
from products_support import seed_products

from agi import speech
from agi.asterisk_peer import hang_up, press
from appliance.products.models import PremiumQuote
from appliance.tickets.models import Ticket

TO_THE_QUOTE = [press("menu_main", "5"), press("menu_service_request", "2"), press("quote_choose_product", "1")]


@pytest.fixture
def products(ivr_db, tmp_path):
    return seed_products(tmp_path)


def test_caller_hears_the_premium_and_applies(dial, products):
    peer = dial([*TO_THE_QUOTE, press("quote_enter_age", "30#"), press("quote_enter_sum", "200000#"),
                 press("quote_choose_gender", "1"), press("quote_enter_pay_years", "20#"),
                 press("quote_apply", "1"), hang_up("menu_main")], callerid="13912345678")
    heard = peer.heard
    spoken = ["quote_premium", *speech.money(Decimal("370.00")), "quote_apply"]
    assert spoken == ["quote_premium", "n_3", "n_100", "n_7", "n_10", "yuan", "quote_apply"]
    start = heard.index("quote_premium")
    assert heard[start:start + len(spoken)] == spoken
    assert "ticket_opened" in heard[start:]
    ticket = Ticket.get()
    assert (ticket.kind, ticket.source, ticket.caller) == ("phone-application", "ivr", "+8613912345678")
    assert "TL20" in ticket.text and "370.00" in ticket.text and "200000.00" in ticket.text
    quote = PremiumQuote.get()
    assert (quote.ticket_id, quote.product.code, quote.caller) == (ticket.id, "TL20", "+8613912345678")
    assert (quote.age, quote.gender, quote.term, quote.pay_years) == (30, "M", 20, 20)
    assert Decimal(quote.premium) == Decimal("370.00") and Decimal(quote.sum_insured) == Decimal("200000")


def test_the_fen_is_spoken(dial, products):
    """1,250 yuan for a woman of 31: 1.625 rounds half up to 1.63, said 一元六角三分."""
    peer = dial([*TO_THE_QUOTE, press("quote_enter_age", "31#"), press("quote_enter_sum", "1250#"),
                 press("quote_choose_gender", "2"), press("quote_apply", "*"), hang_up("menu_main")],
                callerid="13912345678")
    start = peer.heard.index("quote_premium")
    assert peer.heard[start + 1:start + 7] == ["n_1", "yuan", "n_6", "jiao", "n_3", "fen"]
    assert Ticket.select().count() == 0 and PremiumQuote.select().count() == 0  # * went back: no application


def test_age_out_of_the_table_gets_no_premium_and_no_ticket(dial, products):
    peer = dial([*TO_THE_QUOTE, press("quote_enter_age", "45#"), press("quote_enter_sum", "100000#"),
                 hang_up("menu_service_request")], callerid="13912345678")
    assert peer.heard[-3:] == ["quote_enter_sum", "quote_not_priced", "menu_service_request"]
    assert Ticket.select().count() == 0


def test_the_options_are_spoken_before_the_first_call(ivr_config, products):
    """agi.prompts.warm_names (at server start) speaks the product options too: no caller
    waits for espeak-ng at the product menu."""
    import hashlib

    from agi import prompts
    from agi.products import phone_quote
    assert phone_quote.option_texts(ivr_config) == ["安康定期寿险请按1。"]
    finder = prompts.PromptFinder(ivr_config)
    cached = finder.root / "cache" / "zh" / (hashlib.sha1("zh:安康定期寿险请按1。".encode()).hexdigest()[:16] + ".wav")
    cached.unlink(missing_ok=True)  # the prompts are shared by the session's tests
    prompts.warm_names(ivr_config, finder)
    assert cached.exists()
