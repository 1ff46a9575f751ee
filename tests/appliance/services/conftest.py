"""Fixtures for the SMS services: a small insurance book built by hand, so each
test knows exactly who should get what."""
import datetime
from decimal import Decimal

import pytest
from peer_support import free_port

from appliance import idcard
from appliance.models import Customer, Policy, Product, Staff


class Book:
    """Makes customers, agents and policies with sensible defaults."""

    def __init__(self):
        self.product = Product.create(code="A101", name="安康终身寿险")
        self._n = 0

    def customer(self, name="张伟", gender="M", mobile=None, born=datetime.date(1980, 5, 17), **kw):
        self._n += 1
        seq = self._n * 2 + (1 if gender == "M" else 0)
        return Customer.create(name=name, gender=gender, mobile=mobile or f"+86138{self._n:08d}",
                               id_number=idcard.make_id_number("350102", born, seq),
                               customer_no=f"C{self._n:05d}", **kw)

    def agent(self, name="王建国", badge="35010001", mobile="+8613900000001", **kw):
        return Staff.create(badge_no=badge, name=name, mobile=mobile, gender="M", department="个险一部", **kw)

    def policy(self, holder, policy_no, due, agent=None, premium="1200.00", frequency="annual",
               grace_days=60, **kw):
        return Policy.create(policy_no=policy_no, product=self.product, holder=holder, agent=agent,
                             premium=Decimal(premium), frequency=frequency, next_due_date=due,
                             grace_end=due + datetime.timedelta(days=grace_days) if due else None, **kw)


@pytest.fixture
def book(database):
    return Book()


@pytest.fixture
def api(config, database):
    """A real web server on 127.0.0.1 with an operator token; yields call(method, path, body) -> (status, json)."""
    import http.client
    import json

    from appliance import tokens
    from web.app import build_app
    from web.server import make_server, serve_in_thread

    web_config = config.replace(web__listen=f"127.0.0.1:{free_port()}", web__threads=2)
    server = make_server(web_config, build_app(web_config))
    serve_in_thread(server)
    host, port = server.bind_addr[:2]
    secrets = {role: tokens.create_token(f"core-{role}", role)[1] for role in ("operator", "admin", "auditor")}

    def call(method, path, body=None, role="operator"):
        conn = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Authorization": f"Bearer {secrets[role]}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, "/api/v1" + path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = json.loads(resp.read().decode() or "null")
        conn.close()
        return resp.status, payload

    yield call
    server.stop()
