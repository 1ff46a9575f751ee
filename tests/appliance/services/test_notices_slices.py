"""The daily notice run reads the book a slice at a time and queues in short
transactions: whatever the slice, it finds and queues the same notices as one pass."""
import datetime

import pytest

from appliance.services import notices
from appliance.services.models import NoticeRun
from appliance.sms.models import Message, MessagePart

TODAY = datetime.date(2026, 6, 10)
MORNING = datetime.datetime.combine(TODAY, datetime.time(10))
DAY = datetime.timedelta(days=1)


@pytest.fixture
def varied_book(book):
    agent = book.agent()
    book.policy(book.customer("张伟", born=datetime.date(1980, 6, 10)), "P-RENEW", TODAY + 3 * DAY, agent=agent)
    book.policy(book.customer("李娜", "F"), "P-AGENT", TODAY + 15 * DAY, agent=agent)
    book.policy(book.customer("王芳", "F"), "P-LATE", TODAY - 1 * DAY)
    book.policy(book.customer("赵敏", "F"), "P-LAPSING", TODAY - 55 * DAY, grace_days=60)
    book.policy(book.customer("孙杰"), "P-MATURES", TODAY + 200 * DAY, maturity_date=TODAY + 20 * DAY)
    book.policy(book.customer("周强"), "P-NEW", TODAY + 300 * DAY, issue_date=TODAY - 2 * DAY)
    book.policy(book.customer("吴涛", born=datetime.date(1990, 6, 10)), "P-QUIET", TODAY + 100 * DAY)
    book.customer("郑明", born=datetime.date(1970, 6, 10))  # a birthday, but no policy: no greeting


def planned(config, monkeypatch, size, when=MORNING):
    monkeypatch.setattr(notices, "SLICE", size)
    return sorted(n["key"] for n in notices.run(config, when, dry_run=True)["notices"])


def test_any_slice_finds_the_notices_one_pass_finds(varied_book, config, monkeypatch):
    whole = planned(config, monkeypatch, 10 ** 9)
    kinds = {key.split(":")[0] for key in whole}
    assert kinds == {"renewal_due", "renewal_due_agent", "overdue", "lapse_warning", "maturity",
                     "policy_confirmation", "birthday"}, whole
    assert len([k for k in whole if k.startswith("birthday")]) == 2
    assert planned(config, monkeypatch, 1) == whole == planned(config, monkeypatch, 3)


def test_a_sliced_run_queues_each_notice_once_in_short_batches(varied_book, config, monkeypatch):
    whole = planned(config, monkeypatch, 10 ** 9)
    monkeypatch.setattr(notices, "SLICE", 2)
    monkeypatch.setattr(notices, "QUEUE_BATCH", 2)
    result = notices.run(config, MORNING)
    assert result["queued"] == len(whole)
    assert sorted(k for (k,) in Message.select(Message.dedupe_key).tuples()) == whole
    assert NoticeRun.select().count() == 1
    assert notices.run(config, MORNING)["queued"] == 0  # a second run the same day: nothing again


def test_a_festival_greets_every_customer_with_a_policy_in_every_slice(varied_book, config, monkeypatch):
    new_year = datetime.datetime(2027, 1, 1, 10, 0)
    monkeypatch.setattr(notices, "SLICE", 10 ** 9)
    whole = sorted(n["key"] for n in notices.run(config, new_year, dry_run=True)["notices"])
    assert len([k for k in whole if k.startswith("holiday:")]) == 7
    assert planned(config, monkeypatch, 2, new_year) == whole


def test_a_policy_is_read_whole_only_while_a_notice_of_it_has_not_gone(varied_book, config):
    """The rules look up their candidates' dedupe keys first: a policy whose notices all
    went is not read whole again (on a busy day most candidates had theirs earlier)."""
    notices.run(config, MORNING)
    copy = Message.get(Message.dedupe_key.startswith("renewal_due_agent:P-AGENT:"))
    MessagePart.delete().where(MessagePart.message == copy.id).execute()
    copy.delete_instance()  # the agent's copy is due again; the holder's went
    found = [n for rule in (notices.renewal_notices, notices.overdue_notices, notices.lapse_notices)
             for n in rule(config, TODAY) if n is not None]
    assert {n.variables["policy_no"] for n in found} == {"P-AGENT"}
    assert [n.key for n in notices.plan(config, TODAY)] == [copy.dedupe_key]
