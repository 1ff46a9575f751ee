"""Customers for the mail tests."""
import datetime

from appliance import idcard
from appliance.models import Customer

_seq = iter(range(1, 10_000))


def make_customer(name="张伟", email="zhang.wei@example.com", channel="email", **kw):
    n = next(_seq)
    born = datetime.date(1980, 5, 17)
    kw.setdefault("mobile", f"+86138{n:08d}")
    kw.setdefault("gender", "M")
    kw.setdefault("id_number", idcard.make_id_number("350102", born, n * 2 + 1))
    return Customer.create(name=name, email=email, channel=channel, customer_no=f"M{n:05d}", **kw)
