"""One domain function decides opt-out, do-not-disturb and the marketing window
for every entry point: `appliance send`, POST /api/v1/messages, the send page."""
import datetime
import json

import pytest

from appliance.errors import InputError
from appliance.services import optout, sending
from appliance.sms.models import Message


def test_send_one_refuses_opted_out_numbers_and_waits_for_the_marketing_window(database, config):
    optout.add("13800138000", "optout")
    with pytest.raises(InputError) as err:
        sending.send_one(config, "13800138000", "新品上市", category="marketing")
    assert err.value.http_status == 409 and err.value.exit_code == 2 and err.value.field == "to"
    assert "13800138000" not in str(err.value)  # masked
    assert sending.send_one(config, "13800138000", "保单已生效", category="service").to_number == "+8613800138000"
    optout.add("13900139000", "dnd")
    with pytest.raises(InputError):
        sending.send_one(config, "13900139000", "明早开会", category="internal")
    # Asked for at night, marketing is held to the window even with times of its own.
    night = datetime.datetime(2026, 12, 1, 22)  # night in UTC and in Beijing (06:00)
    message = sending.send_one(config, "13700137000", "新品上市", category="marketing", now=night,
                               not_after=night + datetime.timedelta(days=2))
    assert message.not_before is not None and message.not_before > night
    assert message.text.endswith("回T退订")


def test_cli_send_marketing_to_an_opted_out_number_is_refused_like_the_api(run_cli, config_file, database):
    optout.add("13800138000", "optout")
    refused = run_cli("send", "--to", "13800138000", "--text", "新品上市", "--category", "marketing",
                      config_path=config_file)
    assert refused.returncode == 2, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "to: " in refused.stderr
    assert "opt-out" in refused.stderr and "13800138000" not in refused.stderr
    assert Message.select().count() == 0
    fine = run_cli("send", "--to", "13700137000", "--text", "新品上市", "--category", "marketing",
                   config_path=config_file)
    assert fine.returncode == 0, fine.stderr
    row = json.loads(run_cli("outbox", "--json", config_path=config_file).stdout)[0]
    assert row["not_after"] is not None and row["text"].endswith("回T退订")  # the window and the hint


def test_api_refuses_the_same_request_with_409(api, book):
    optout.add("13800138000", "optout")
    status, body = api("POST", "/messages", {"to": "13800138000", "text": "新品上市", "category": "marketing"})
    assert status == 409 and body["error"]["field"] == "to" and "opt-out" in body["error"]["message"]
    assert Message.select().count() == 0
