"""The domain under the voice pages, API and command line (appliance/voice/control.py,
listing.py, sources.py) on SQLite and on a real PostgreSQL: creating from customers and
numbers, the confirmation's preview leaving nothing behind, transitions, the number filter
(any form, last digits) and the CSV."""
import csv
import io

import pytest

from agi.dialer import finish
from appliance import db as dbmod
from appliance.config import Config
from appliance.errors import InputError, Refused
from appliance.models import Customer
from appliance.voice import campaigns, control, listing, sources
from appliance.voice.models import CallAttempt, VoiceCampaign


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request, tmp_path):
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": request.getfixturevalue("postgres_url")}))
    dbmod.migrate(db)
    yield db  # this module's own database (postgres_url): one test writes to it
    db.close()


def test_create_preview_change_filter_and_export(any_database):
    zhang = Customer.create(name="张三", gender="M", mobile="13800138000")
    callees = sources.from_customers([zhang.id]) + sources.from_text("13900139000, 13700137000")
    shown = control.preview("提醒", callees, text="您好")
    assert shown == {"count": 3, "number": "13900139000", "text": "您好"}
    assert VoiceCampaign.select().count() == 0 and CallAttempt.select().count() == 0  # rolled back
    campaign = control.create("提醒", callees, text="您好", source="test", window="always", max_tries=1)
    assert (campaign.window, campaign.max_tries, campaign.source) == ("always", 1, "test")
    assert {a.number: a.customer_id for a in campaign.attempts} == {
        "13900139000": None, "13700137000": None, "+8613800138000": zhang.id}
    with pytest.raises(InputError) as refused:
        control.create("坏", callees, max_tries=11)
    assert refused.value.field == "max_tries" and VoiceCampaign.select().count() == 1

    control.change(campaign.id, "start")
    with pytest.raises(Refused):
        control.change(campaign.id, "resume")
    for attempt in campaign.attempts:
        CallAttempt.update(state="dialling").where(CallAttempt.id == attempt.id).execute()
        finish(attempt.id, "answered" if attempt.customer_id else "invalid", talk_seconds=5)
    report = listing.campaign_report(campaign.id)
    assert (report["done"], report["progress"], report["answer_rate"]) == (3, 1, round(1 / 3, 4))
    summary = campaigns.summary(campaign.id)  # the pages' figures, counted in SQL, are the domain's own
    assert {k: report[k] for k in summary} == summary

    def numbers(**filters):
        return sorted(a.number for a in listing.attempts(campaign.id, **filters).rows)
    assert numbers(number="+86 138-0013-8000") == ["+8613800138000"]
    assert numbers(number="8000") == ["+8613800138000"] and numbers(number="0086 13700137000") == ["13700137000"]
    assert numbers(result="invalid", state="done") == ["13700137000", "13900139000"]
    rows = list(csv.DictReader(io.StringIO(listing.csv_text(campaign.id, result="answered"))))
    assert [(r["number"], r["talk_seconds"]) for r in rows] == [("+86138****8000", "5")]  # masked unless asked
    assert listing.csv_text(campaign.id, mask=False).count("+8613800138000") == 1
