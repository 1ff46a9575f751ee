"""A catalogue voice notice end to end through a real Asterisk 22: a renewal_due campaign for
a customer, the dialer calls the customer's number on the test network (1301<key>…: answers
and keys the digit after 2 s), the answered leg plays the notice rendered with the
customer's facts over FastAGI and the key confirms it."""
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from test_dialer_real_asterisk import NETWORK, manager, network, run_in_thread  # noqa: F401  (fixtures)

from agi import notify, prompts
from agi.dialer import Dialer, LineGroup
from appliance.ivr.models import Call
from appliance.models import Customer, Policy, Product
from appliance.voice import campaigns
from appliance.voice.models import CallAttempt, VoiceCampaign

CALLEE = "13011000002"  # keys 1


@pytest.fixture
def answered_network(network, agi_server, ivr_config):
    network.load_dialplan(agi_server.address, ivr_config.data_dir)
    return network


def test_a_catalogue_notice_is_heard_with_the_customers_facts_and_confirmed(answered_network, manager, ivr_config):
    product = Product.create(code="V903", name="福满堂两全保险")
    holder = Customer.create(name="周强", gender="M", mobile=CALLEE, customer_no="V0004")
    Policy.create(policy_no="886099000004", product=product, holder=holder, premium=Decimal("2680.30"),
                  next_due_date=datetime.date(2026, 12, 28), grace_end=datetime.date(2027, 2, 26))
    campaign = campaigns.create_campaign("renewals", notice_type="renewal_due", config=ivr_config,
                                         customers=[{"customer": holder.customer_no}])
    VoiceCampaign.update(window="always", max_tries=1).where(VoiceCampaign.id == campaign.id).execute()
    assert notify.warm(prompts.PromptFinder(ivr_config), campaign.id) >= 3  # as a campaign's start would
    campaigns.set_state(campaign.id, "running")
    since = answered_network.ami.mark()
    run_in_thread(Dialer(manager, {"default": LineGroup("default", NETWORK, 1)}, ring_seconds=3,
                         caller_id="95500"), timeout=60)
    attempt = CallAttempt.get(CallAttempt.campaign == campaign.id)
    assert (attempt.result, attempt.keys) == ("confirmed", "1"), attempt.detail
    record = Call.get(Call.script == "notify")
    assert record.caller_id == CALLEE and record.customer_id == holder.id
    assert record.path_list == ["notice", "confirmed"] and record.outcome == "completed"
    assert campaigns.summary(campaign.id)["confirmation_rate"] == 1.0
    with answered_network.ami._cond:
        streamed = [e.get("Command", "") for e in answered_network.ami.events[since:]
                    if e.get("Event") == "AGIExecStart" and "STREAM FILE" in e.get("Command", "")]
    # Asterisk played the notice's first words (the cached prompt naming the customer), then the thanks
    first = streamed[0].split('"')[1]
    assert "尊敬的周先生" in Path(first).with_suffix(".txt").read_text(), streamed
    assert streamed[-1].split('"')[1].endswith("/zh/notice_confirmed")
