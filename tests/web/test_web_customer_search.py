"""The customers' search and a customer's activity on SQLite and on PostgreSQL: the
suffix search (LIKE there, ILIKE here; a UNION inside IN) finds the same customers."""
import pytest

from appliance import db as dbmod
from appliance.config import Config
from appliance.models import Customer
from appliance.sms.models import InboundMessage, Message
from web.pages.customers import activity, search_customers


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": request.getfixturevalue("postgres_url")}))
    dbmod.migrate(db)
    yield db  # this module's own database (postgres_url): one test writes to it
    db.close()


def names(term):
    return sorted(c.name for c in search_customers(term).order_by(Customer.id.desc()).limit(51))


def test_search_by_last_digits_and_activity(any_database):
    wang = Customer.create(name="王芳", mobile="13800138000", id_number="11010519491231002X", customer_no="C100")
    Customer.create(name="李雷", mobile="13900139000", other_phones="13700008000")
    Customer.create(name="韩梅", mobile="13600136000", id_number="110105198001011000")
    assert names("8000") == ["李雷", "王芳"]
    assert names("002x") == ["王芳"] and names("1000") == ["韩梅"] and names("C100") == ["王芳"]
    assert names("13700008000") == ["李雷"] and names("王") == ["王芳"] and names("4321") == []
    Message.create(to_number="+8613800138000", text="去")
    InboundMessage.create(from_number="+8613800138000", text="来")
    InboundMessage.create(from_number="+8613800138000", text="删", state="deleted")
    found = activity(wang)
    assert sorted(e[0] + e[2].text for e in found["messages"]) == ["in来", "out去"]
    assert found["calls"] == found["tickets"] == found["attempts"] == []
