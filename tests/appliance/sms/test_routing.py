"""Routing rules (issue 18): which bearer each message takes, the overflow the SMPP bearer may
take, the route settings checked at save, and parts billed at their bearer's tariff."""
import datetime
from decimal import Decimal

import pytest

from appliance import clock, config_edit
from appliance.cluster import boxes
from appliance.cluster.models import Box
from appliance.errors import InputError
from appliance.sms import billing, capacity, routing
from appliance.sms.models import Message, MessagePart, ModemStatus
from appliance.sms.outbox import queue_many, queue_message

MOBILE = "+8613800000001"   # China Mobile
TELECOM = "+8613300000001"  # China Telecom
NOW = datetime.datetime(2026, 12, 1, 10, 0)


def test_bearer_by_category_setting_and_smpp_switch(config):
    on = config.replace(smpp__enabled=True, sms__route_marketing="smpp")
    assert routing.bearer_for(on, "marketing", MOBILE) == "smpp"
    assert routing.bearer_for(on, "service", MOBILE) == "modem"
    # SMPP switched off: the modems carry it whatever the route says.
    assert routing.bearer_for(on.replace(smpp__enabled=False), "marketing", MOBILE) == "modem"


def test_cheapest_compares_the_carrier_tariff_with_smpp_per_part_ties_stay_on_modems(config):
    config = config.replace(smpp__enabled=True, sms__route_service="cheapest", smpp__tariff=0.04,
                            billing__china_mobile=0.05, billing__china_telecom=0.03)
    assert routing.bearer_for(config, "service", MOBILE) == "smpp"
    assert routing.bearer_for(config, "service", TELECOM) == "modem"
    assert routing.bearer_for(config.replace(smpp__tariff=0.05), "service", MOBILE) == "modem"  # a tie
    assert routing.bearer_for(config.replace(smpp__enabled=False), "service", MOBILE) == "modem"


def test_outbox_stores_the_routed_bearer_and_honours_an_explicit_one(config, database):
    config = config.replace(smpp__enabled=True, sms__route_marketing="smpp")
    assert queue_message(MOBILE, "问候", category="marketing", config=config).bearer == "smpp"
    assert queue_message(MOBILE, "通知", category="service", config=config).bearer == "modem"
    assert queue_message(MOBILE, "问候", category="marketing").bearer == "modem"  # no config: the modems
    assert queue_message(MOBILE, "通知", bearer="smpp").bearer == "smpp"
    ids = queue_many([{"to_number": MOBILE, "text": "甲", "category": "marketing"},
                      {"to_number": MOBILE, "text": "乙", "category": "marketing", "bearer": "modem"}], config=config)
    assert [Message.get_by_id(i).bearer for i in ids] == ["smpp", "modem"]
    before = Message.select().count()
    with pytest.raises(InputError) as bad:
        queue_many([{"to_number": MOBILE, "text": "甲"}, {"to_number": MOBILE, "text": "乙", "bearer": "fax"}])
    assert str(bad.value) == "row 2: bearer: must be modem or smpp, got 'fax'"
    assert Message.select().count() == before


@pytest.fixture
def config_path(tmp_path):
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    return path


def test_route_settings_checked_at_save(config_path):
    with pytest.raises(InputError) as bad:
        config_edit.set_values(config_path, {"sms.route_service": "pigeon"})
    assert str(bad.value) == "sms.route_service: must be modem, smpp or cheapest, got 'pigeon'"
    with pytest.raises(InputError) as off:
        config_edit.set_values(config_path, {"sms.route_marketing": "smpp"})
    assert str(off.value).startswith("sms.route_marketing: smpp needs smpp.enabled on")
    assert "route_marketing" not in config_path.read_text()  # nothing written
    assert config_edit.set_values(config_path, {"smpp.enabled": True, "smpp.system_id": "branch",
                                                "sms.route_marketing": "smpp"})
    with pytest.raises(InputError) as switched_off:  # SMPP off again while a route still names it
        config_edit.set_values(config_path, {"smpp.enabled": False})
    assert str(switched_off.value).startswith("sms.route_marketing: smpp needs smpp.enabled on")
    assert config_edit.set_values(config_path, {"sms.route_internal": "cheapest"}) == ["sms.route_internal"]


def _one_sim(config, daily_cap):
    boxes.beat("a", now=NOW)
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="I1")
    return config.replace(modems__daily_cap=daily_cap, modems__monthly_cap=0, smpp__enabled=True, sms__overflow=True)


def test_overflow_is_what_the_modems_cannot_send_today(config, any_database):
    config = _one_sim(config, daily_cap=3)
    for n in range(5):
        queue_message(f"+86138000000{n:02d}", "今天", source="test")
    queue_message(MOBILE, "明天", not_before=NOW + datetime.timedelta(days=1))   # not due today
    queue_message(MOBILE, "走SMPP", bearer="smpp")                               # not the modems'
    queue_message(MOBILE, "已过期", not_after=NOW - datetime.timedelta(minutes=1))  # will never go
    routing._capacity_cache.clear()
    assert routing.overflow_allowance(config.replace(sms__overflow=False), NOW) == 0
    assert routing.overflow_allowance(config.replace(smpp__enabled=False), NOW) == 0
    assert routing.overflow_allowance(config, NOW) == 2
    queue_message(MOBILE, "又一条", source="test")
    # The modems' capacity is kept 30 s; the queue is counted afresh at every call.
    assert routing.overflow_allowance(config, NOW + datetime.timedelta(seconds=5)) == 3
    MessagePart.update(state="sent", imsi="I1", sent_at=NOW).where(MessagePart.id.in_(
        MessagePart.select(MessagePart.id).join(Message).where(Message.bearer == "modem",
                                                              Message.not_after.is_null())
        .order_by(MessagePart.id).limit(1))).execute()
    assert routing.overflow_allowance(config, NOW + datetime.timedelta(seconds=40)) == 3  # 5 due, 2 left to the SIM
    # The outlook counts them per day they are due, on either database.
    assert [d["queued"] for d in capacity.outlook(config, NOW, days=2)["days"]] == [6, 1]
    Box.delete().where(Box.name == "a").execute()  # the PostgreSQL database is shared by the folder


def test_parts_over_smpp_cost_the_smpp_tariff_and_the_statement_splits_by_bearer(config, database):
    config = config.replace(smpp__tariff=0.04, billing__china_mobile=0.05)
    over_modem = queue_message(MOBILE, "甲")
    over_smpp = queue_message(MOBILE, "乙", bearer="smpp")
    sent = clock.now()
    MessagePart.update(state="sent", sent_at=sent, modem="gsm0").where(MessagePart.message == over_modem).execute()
    MessagePart.update(state="sent", sent_at=sent, modem="smpp").where(MessagePart.message == over_smpp).execute()
    assert billing.charge_parts(config) == 2
    assert MessagePart.get(MessagePart.message == over_smpp).cost == Decimal("0.04")
    assert MessagePart.get(MessagePart.message == over_modem).cost == Decimal("0.05")
    statement = billing.statement(config, f"{sent:%Y-%m}")
    assert statement["by_bearer"] == [{"bearer": "modem", "parts": 1, "cost": Decimal("0.05")},
                                      {"bearer": "smpp", "parts": 1, "cost": Decimal("0.04")}]
    assert statement["departments"][0]["by_bearer"] == statement["by_bearer"]
    assert statement["total_cost"] == Decimal("0.09")
    assert billing.estimate(config, [(MOBILE, 2, "smpp"), (MOBILE, 1, "modem"), (MOBILE, 1)]) == Decimal("0.18")


def test_an_inbox_reply_goes_by_the_service_route(config, database):
    from appliance.sms import inbox, inbox_actions
    config = config.replace(smpp__enabled=True, sms__route_service="smpp")
    asked = inbox.store_inbound(MOBILE, "我的保单什么时候到期？")
    assert inbox_actions.reply(asked.id, "您好，请致电 95500。", "admin", config=config).bearer == "smpp"
