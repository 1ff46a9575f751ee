"""A catalogue notice in the call (FastAGI `notify` against the fake Asterisk): the SMS
catalogue's text filled with the attempt's facts, amounts, dates and numbers composed from
prompts, the words spoken into the prompt cache, the fixed key prompts from prompts.toml."""
import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agi import speech
from agi.asterisk_peer import press
from appliance.models import Customer, Policy, Product
from appliance.voice import campaigns
from appliance.voice.models import CallAttempt

DUE = datetime.date(2026, 12, 1)


@pytest.fixture
def renewal(ivr_db, ivr_config):
    product = Product.create(code="V900", name="鑫福年金")
    holder = Customer.create(name="欧阳娜", gender="F", mobile="13011000001", customer_no="V0001")
    Policy.create(policy_no="886099000001", product=product, holder=holder, premium=Decimal("1234.05"),
                  next_due_date=DUE, grace_end=DUE + datetime.timedelta(days=60))
    campaign = campaigns.create_campaign("renewals", notice_type="renewal_due", config=ivr_config,
                                         customers=[{"customer": holder.id}])
    return CallAttempt.get(CallAttempt.campaign == campaign.id)


def spoken_words(config, heard):
    """What the cached prompts among `heard` say (each cache file has its words beside it)."""
    cache = Path(config.data_dir) / "prompts" / "cache"
    return [next(cache.glob(f"*/{name}.txt")).read_text() for name in heard if list(cache.glob(f"*/{name}.txt"))]


def sublist(needle, haystack):
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def test_a_renewal_notice_speaks_the_customers_amount_date_and_policy_then_takes_key_1(dial, renewal, ivr_config):
    call = dial([press("notice_keys", "1")], script=f"notify?attempt={renewal.id}", callerid="13011000001")
    heard = call.heard
    assert sublist(speech.money("1234.05", "zh"), heard), heard  # 一千二百三十四元零五分: exact, never float
    assert sublist(speech.date(DUE, "zh"), heard)
    assert sublist(speech.digits("886099000001"), heard)
    words = spoken_words(ivr_config, heard)
    assert any("尊敬的欧阳女士" in w for w in words) and any("鑫福年金" in w for w in words)
    assert not any("{" in w for w in words)
    assert heard[-2:] == ["notice_keys", "notice_confirmed"]
    assert CallAttempt.get_by_id(renewal.id).result == "confirmed"


def test_key_9_repeats_the_rendered_notice_and_silence_says_goodbye(dial, renewal):
    call = dial([press("notice_keys", "9")], script=f"notify?attempt={renewal.id}", callerid="13011000001")
    money = speech.money("1234.05", "zh")
    first = call.heard.index("notice_keys")
    assert sublist(money, call.heard[:first]) and sublist(money, call.heard[first + 1:])
    assert call.heard[-1] == "notice_goodbye" and call.heard.count("notice_keys") == 2
    assert CallAttempt.get_by_id(renewal.id).keys == "9"
