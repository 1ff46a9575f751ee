"""The notice run paced to today's capacity (notices.pace): service before marketing, what
does not fit held and reported (log, audit, the run's result) before anything is queued."""
import datetime

from appliance.cluster import boxes
from appliance.models import AuditLog
from appliance.services import forecast, notices
from appliance.sms.models import Message, ModemStatus
from appliance.sms.text import part_count

TODAY = datetime.date(2026, 12, 1)
NOW = datetime.datetime(2026, 12, 1, 10, 0)


def _book(book):
    agent = book.agent()
    for n in range(2):  # renewal reminders (service) for holders and their agent
        holder = book.customer(f"客户{n}", born=datetime.date(1970 + n, 6, 1))
        book.policy(holder, f"P-{n}", TODAY + datetime.timedelta(days=15), agent=agent)
    born_today = book.customer("寿星", born=datetime.date(1980, 12, 1))  # a birthday greeting (marketing)
    book.policy(born_today, "P-B", TODAY + datetime.timedelta(days=200), agent=agent)


def test_service_first_the_rest_held_and_reported_before_queueing(book, config, caplog):
    _book(book)
    boxes.beat("a", now=NOW)
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="I1")
    planned = notices.run(config, NOW, dry_run=True)["notices"]
    greeting = [n for n in planned if n["type"] == "birthday"]
    service = [n for n in planned if n["type"] != "birthday"]
    assert len(greeting) == 1 and len(service) == 4
    service_parts = sum(part_count(n["text"]) for n in service)
    config = config.replace(notices__pace=True, modems__daily_cap=service_parts, modems__monthly_cap=0)
    seen = []

    def fence():  # called in every write transaction of the run, in order
        seen.append((Message.select().count(), AuditLog.select().where(AuditLog.action == "notices.held").count()))

    result = notices.run(config, NOW, fence=fence)
    assert seen[:2] == [(0, 0), (0, 1)]  # the audit line committed before the first message
    assert sorted(m.dedupe_key for m in Message.select()) == sorted(n["key"] for n in service)
    assert result["held"] == {"notices": 1, "parts": part_count(greeting[0]["text"]), "service": 0, "marketing": 1}
    held = AuditLog.get(AuditLog.action == "notices.held")
    assert held.detail.startswith(f"1 notices ({part_count(greeting[0]['text'])} parts: 0 service, 1 marketing) "
                                  f"beyond today's capacity of {service_parts} parts")
    assert "beyond today's capacity" in caplog.text


def test_a_short_day_holds_service_notices_too_and_unpaced_runs_queue_all(book, config):
    _book(book)
    boxes.beat("a", now=NOW)
    ModemStatus.create(box="a", port="gsm0", state="ok", imsi="I1")
    paced = config.replace(notices__pace=True, modems__daily_cap=2, modems__monthly_cap=0)
    result = notices.run(paced, NOW)
    assert Message.select().count() == 1 and result["held"]["service"] == 3 and result["held"]["marketing"] == 1
    assert forecast.forecast_day(config, TODAY, NOW)["sms"] == 4  # what was held is still wanted today
    assert notices.run(config, NOW)["held"] is None and Message.select().count() == 5
