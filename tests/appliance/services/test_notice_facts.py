"""Right content, or nothing: a notice whose facts are missing or contradict its
type is not sent; the run summary, the caller and the audit log get the reason."""
import datetime
from decimal import Decimal

import pytest

from appliance.errors import InputError
from appliance.models import AuditLog, Claim
from appliance.services import notices
from appliance.sms.models import Message

START = datetime.date(2026, 12, 1)
MORNING = datetime.datetime.combine(START, datetime.time(2))


def withheld_audit():
    return [(a.target, a.detail) for a in AuditLog.select().where(AuditLog.action == "notice.withheld")]


def test_claim_paid_event_for_a_claim_only_reported_is_refused_and_audited(book, config):
    holder = book.customer("王芳", "F")
    policy = book.policy(holder, "P1", START + datetime.timedelta(days=200))
    Claim.create(claim_no="L100", policy=policy, status="reported", amount_claimed=Decimal("15000"),
                 reported_on=START)
    with pytest.raises(InputError) as err:
        notices.send_event(config, "claim_paid", claim_no="L100", event_id="E1")
    assert err.value.field == "claim_no" and err.value.http_status == 409
    assert "reported" in str(err.value)
    assert Message.select().count() == 0
    assert [(t, d) for t, d in withheld_audit()] == [("notice:event:claim_paid:L100:E1",
                                                      "the claim is reported, not paid")]


def test_a_paid_claim_without_its_payment_date_is_withheld_in_the_run(book, config):
    holder = book.customer("王芳", "F")
    policy = book.policy(holder, "P2", START + datetime.timedelta(days=200))
    Claim.create(claim_no="L200", policy=policy, status="paid", amount_claimed=Decimal("15000"),
                 reported_on=START - datetime.timedelta(days=1))  # paid, but no paid_on nor amount_paid
    result = notices.run(config, MORNING)
    assert [n["type"] for n in result["notices"]] == []
    assert result["withheld"] == [{"type": "claim_paid", "key": "claim_paid:L200",
                                   "reason": "no value for {amount}, {paid_on}"}]
    assert Message.select().where(Message.text.contains("赔款")).count() == 0
    assert withheld_audit() == [("notice:claim_paid:L200", "no value for {amount}, {paid_on}")]
    notices.run(config, MORNING + datetime.timedelta(hours=1))  # the next run reports it again, audits once
    assert len(withheld_audit()) == 1


@pytest.mark.parametrize("kind", ["dividend", "supplementary_charge"])
def test_dividend_and_supplementary_charge_need_their_own_amount(book, config, kind):
    holder = book.customer("周杰", "M")
    book.policy(holder, "P3", START + datetime.timedelta(days=20), premium="1200.00")
    with pytest.raises(InputError) as err:
        notices.send_event(config, kind, policy_no="P3")
    assert err.value.field == "variables.amount"
    assert Message.select().count() == 0  # never the premium (1200.00) as a dividend
    assert withheld_audit()[0][1] == "no value for {amount}"
    message = notices.send_event(config, kind, policy_no="P3", variables={"amount": "88.80"})
    assert "88.80" in message.text and "1200.00" not in message.text
