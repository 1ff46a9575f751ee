"""Voice notices from the SMS notice catalogue: each attempt keeps the facts its notice
speaks (amounts as exact decimal strings, dates ISO), the text becomes parts to speak
(money, dates, digits, words), and a notice that needs a fact the customer lacks is
refused at creation, naming the customer and the fact."""
import datetime
import json
from decimal import Decimal

import pytest

from appliance import idcard
from appliance.errors import InputError
from appliance.models import Claim, Customer, Payment, Policy, Product
from appliance.voice import campaigns, notices
from appliance.voice.models import CallAttempt, VoiceCampaign

DUE = datetime.date(2026, 12, 1)


class Book:
    """Customers and policies made by hand, so each test knows what each call says."""

    def __init__(self):
        self.product = Product.create(code="A101", name="安康终身寿险")
        self.count = 0

    def customer(self, name="张伟", gender="M", mobile="auto", **kw):
        self.count += 1
        mobile = f"+86138{self.count:08d}" if mobile == "auto" else mobile
        seq = self.count * 2 + (1 if gender == "M" else 0)
        return Customer.create(name=name, gender=gender, mobile=mobile, customer_no=f"C{self.count:05d}",
                               id_number=idcard.make_id_number("350102", datetime.date(1980, 5, 17), seq), **kw)

    def policy(self, holder, policy_no, due=DUE, premium="1234.50", **kw):
        return Policy.create(policy_no=policy_no, product=self.product, holder=holder, premium=Decimal(premium),
                             next_due_date=due, grace_end=due + datetime.timedelta(days=60) if due else None, **kw)


@pytest.fixture
def book(database):
    return Book()


def facts(attempt):
    return json.loads(attempt.variables)


def test_a_renewal_notice_keeps_its_facts_exact_and_speaks_money_dates_and_digits(book, config):
    holder = book.customer()
    book.policy(holder, "886010000001", premium="1234.50")
    campaign = campaigns.create_campaign("renewals", kind="notice", notice_type="renewal_due",
                                         customers=[{"customer": holder.customer_no}], config=config)
    attempt = CallAttempt.get(CallAttempt.campaign == campaign.id)
    assert (attempt.number, attempt.customer_id, attempt.policy.policy_no) == ("13800000001", holder.id,
                                                                              "886010000001")
    values = facts(attempt)
    assert (values["amount"], values["due_date"], values["salutation"]) == ("1234.50", "2026-12-01", "张先生")
    parts = notices.parts(notices.notice_text("renewal_due", "zh"), values)
    assert ("money", "1234.50") in parts and ("date", "2026-12-01") in parts
    assert ("digits", "886010000001") in parts and ("digits", config["hotline"]) in parts
    words = "".join(v for how, v in parts if how == "text")
    assert "尊敬的张先生" in words and "安康终身寿险" in words and "{" not in words
    assert [how for how, _ in parts].count("text") == len(parts) - 4  # words between the spoken values


def test_facts_of_a_failed_payment_and_a_paid_claim_come_from_their_rows(book, config):
    holder = book.customer("李娜", "F")
    policy = book.policy(holder, "886010000002")
    Payment.create(policy=policy, amount=Decimal("99.90"), paid_on=datetime.date(2026, 11, 2), status="failed",
                   failure_reason="余额不足")
    Claim.create(claim_no="L100", policy=policy, status="paid", amount_claimed=Decimal(5000),
                 amount_paid=Decimal("4321.07"), reported_on=datetime.date(2026, 10, 1),
                 paid_on=datetime.date(2026, 11, 20))
    failed = campaigns.create_campaign("failed", notice_type="payment_failed", customers=[{"customer": holder.id}],
                                       config=config)
    paid = campaigns.create_campaign("paid", notice_type="claim_paid", customers=[{"customer": holder.id}],
                                     config=config)
    failed_facts = facts(CallAttempt.get(CallAttempt.campaign == failed.id))
    assert (failed_facts["amount"], failed_facts["paid_on"], failed_facts["reason"]) == ("99.90", "2026-11-02",
                                                                                        "余额不足")
    paid_facts = facts(CallAttempt.get(CallAttempt.campaign == paid.id))
    assert (paid_facts["amount"], paid_facts["paid_on"], paid_facts["claim_no"]) == ("4321.07", "2026-11-20", "L100")


def test_a_notice_needing_a_fact_the_customer_lacks_is_refused_at_creation(book, config):
    ready = book.customer()
    book.policy(ready, "886010000003")
    lacking = book.customer("王芳", "F")
    book.policy(lacking, "886010000004", due=None)  # no due date: a renewal notice cannot say it
    with pytest.raises(InputError) as err:
        campaigns.create_campaign("renewals", notice_type="renewal_due", config=config,
                                  customers=[{"customer": ready.id}, {"customer": lacking.id}])
    assert str(err.value) == "customers[2]: C00002: renewal_due cannot be said: no value for {due_date}"
    assert err.value.field == "customers[2]" and "\n" not in str(err.value)
    assert VoiceCampaign.select().count() == 0 and CallAttempt.select().count() == 0  # nothing half made


def test_claim_paid_for_a_claim_not_paid_and_a_customer_without_a_mobile_are_refused(book, config):
    holder = book.customer()
    policy = book.policy(holder, "886010000005")
    Claim.create(claim_no="L200", policy=policy, status="reported", amount_claimed=Decimal(800),
                 reported_on=datetime.date(2026, 10, 1))
    with pytest.raises(InputError, match=r"^customers\[1\]: C00001: claim_paid cannot be said: the claim is reported"):
        campaigns.create_campaign("paid", notice_type="claim_paid", customers=[{"customer": holder.id}], config=config)
    silent = book.customer("赵敏", "F", mobile=None)
    book.policy(silent, "886010000006")
    with pytest.raises(InputError, match=r"^customers\[1\]: C00002 has no mobile$"):
        campaigns.create_campaign("due", notice_type="renewal_due", customers=[{"customer": silent.id}], config=config)
    with pytest.raises(InputError, match=r"^customers\[1\]: no customer C99999$"):
        campaigns.create_campaign("due", notice_type="renewal_due", customers=[{"customer": "C99999"}], config=config)
    with pytest.raises(InputError, match=r"^notice_type: unknown notice type renewal$") as err:
        campaigns.create_campaign("due", notice_type="renewal", customers=[{"customer": holder.id}], config=config)
    assert err.value.field == "notice_type"
    with pytest.raises(InputError, match=r"^customers: a renewal_due notice speaks customers' facts"):
        campaigns.create_campaign("due", ["13800000001"], notice_type="renewal_due", config=config)
    assert VoiceCampaign.select().count() == 0


def test_free_text_notices_keep_working(database):
    campaign = campaigns.create_campaign("free", ["13800000001", "13800000001", "13800000002"], text="明天停电。")
    assert [a.number for a in CallAttempt.select().order_by(CallAttempt.id)] == ["13800000001", "13800000002"]
    assert (campaign.kind, campaign.notice_type, campaign.text) == ("notice", "", "明天停电。")


def test_an_english_customer_hears_the_english_text_with_the_same_facts(book, config):
    holder = book.customer("Anna Li", "F", language="en")
    book.policy(holder, "886010000007", premium="88.00")
    campaign = campaigns.create_campaign("renewals", notice_type="renewal_due", customers=[{"customer": holder.id}],
                                         config=config)
    values = facts(CallAttempt.get(CallAttempt.campaign == campaign.id))
    parts = notices.parts(notices.notice_text("renewal_due", "en"), values)
    assert ("money", "88.00") in parts and ("date", "2026-12-01") in parts
    assert any(how == "text" and "renewal premium" in v for how, v in parts)


def test_a_fact_missing_in_the_call_is_left_out_not_read_as_a_brace():
    parts = notices.parts("{salutation}，保费{amount}元。", {"salutation": "张先生"})
    assert parts == [("text", "张先生，保费元。")]
