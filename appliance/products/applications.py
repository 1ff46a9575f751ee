"""Applying by phone (电话投保) with a quote: the caller's quote becomes a phone-application
ticket carrying the product, the quote and the caller's number, the ticket and the quote
committed together (one transaction) before the caller is told the ticket number."""
import json

from appliance import phones
from appliance.db import write_transaction
from appliance.products.models import PremiumQuote
from appliance.products.premiums import Quote
from appliance.ivr import tickets


def describe(quote):
    """The ticket's text: what the caller asked for, Chinese first."""
    main = quote.main
    term = "终身" if quote.term == 0 else f"{quote.term}年"
    paid = "趸交" if quote.pay_years == 1 else f"{quote.pay_years}年交"
    gender = {"M": "男，", "F": "女，"}.get(quote.gender, "")
    zh = (f"电话投保：{main.name}（{main.code}），{gender}{quote.age}岁，保险期间{term}，{paid}，"
          f"保额{main.sum_insured}元，试算保费{quote.total}元")
    en = (f"Phone application: {main.code}, age {quote.age}, term {quote.term or 'whole life'}, "
          f"paid over {quote.pay_years} year(s), sum insured {main.sum_insured} yuan, premium {quote.total} yuan")
    return f"{zh} / {en}"


def apply_with_quote(quote: Quote, product, *, number, customer=None, call_id=None, config=None):
    """Open the ticket and keep the quote with it; returns the ticket (committed)."""
    with write_transaction():
        ticket = tickets.open_ticket("phone-application", "ivr", number=number, customer=customer,
                                     text=describe(quote), call_id=call_id, config=config)
        PremiumQuote.create(product=product, caller=phones.e164_or_none(number) or str(number or ""),
                            age=quote.age, gender=quote.gender, term=quote.term, pay_years=quote.pay_years,
                            sum_insured=quote.main.sum_insured, premium=quote.total,
                            detail=json.dumps(quote.as_dict(), ensure_ascii=False), ticket=ticket)
    return ticket
