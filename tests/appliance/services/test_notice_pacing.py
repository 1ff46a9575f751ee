"""The notice run paced to the box's capacity (notices.pace): service before marketing, what
does not fit held and reported (log, audit, the run's result) before anything is queued;
greetings spread over the notices.greeting_lead_days before their date, nearest date first,
never late; the forecast the dashboard shows is what the runs then do."""
import datetime

from appliance import clock
from appliance.cluster import boxes
from appliance.models import AuditLog
from appliance.services import forecast, greetings, notices, pacing, templates
from appliance.sms.models import Message, MessagePart, ModemStatus
from appliance.sms.text import part_count

TODAY = datetime.date(2026, 12, 1)
NOW = datetime.datetime(2026, 12, 1, 10, 0)
NEW_YEAR = datetime.date(2027, 1, 1)  # 元旦节: a greeting to every customer


def _book(book):
    agent = book.agent()
    for n in range(2):  # renewal reminders (service) for holders and their agent
        holder = book.customer(f"客户{n}", born=datetime.date(1970 + n, 6, 1))
        book.policy(holder, f"P-{n}", TODAY + datetime.timedelta(days=15), agent=agent)
    born_today = book.customer("寿星", born=datetime.date(1980, 12, 1))  # a birthday greeting (marketing)
    book.policy(born_today, "P-B", TODAY + datetime.timedelta(days=200), agent=agent)


def _sims(at):
    """One SIM in service on a box that beats at `at` (its daily cap is the capacity)."""
    boxes.beat("a", now=at)
    ModemStatus.get_or_create(box="a", port="gsm0", defaults={"state": "ok", "imsi": "I1"})


def _morning(day):
    return clock.instant(datetime.datetime.combine(day, datetime.time(9, 0)))


def _sent_overnight():
    """The modems sent what the last run queued (the next day's capacity is whole again)."""
    MessagePart.update(state="sent", imsi="").where(MessagePart.state == "queued").execute()
    Message.update(state="sent").where(Message.state == "queued").execute()


def _customers(book, count, born=datetime.date(1980, 5, 17)):
    for n in range(count):
        holder = book.customer(f"客户{n}", born=born)
        book.policy(holder, f"P-{n}", NEW_YEAR + datetime.timedelta(days=200))


def _greeted(prefix):
    return Message.select().where(Message.dedupe_key.startswith(prefix)).count()


def test_service_first_the_rest_held_and_reported_before_queueing(book, config, caplog):
    _book(book)
    _sims(NOW)
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
    held = result["held"]
    assert {k: held[k] for k in ("notices", "parts", "service", "marketing")} == {
        "notices": 1, "parts": part_count(greeting[0]["text"]), "service": 0, "marketing": 1}
    assert held["greetings"] == [{"target": "birthday:2026-12-01", "date": TODAY, "left": 1, "share": 0,
                                  "not_sent": 1}]
    audit = AuditLog.get(AuditLog.action == "notices.held")
    assert audit.detail.startswith(f"1 notices ({part_count(greeting[0]['text'])} parts: 0 service, 1 marketing) "
                                   f"beyond today's capacity of {service_parts} parts")
    assert "greetings not sent on their date: birthday:2026-12-01 1" in audit.detail
    assert "beyond today's capacity" in caplog.text


def test_a_short_day_holds_service_notices_too_and_unpaced_runs_queue_all(book, config):
    _book(book)
    _sims(NOW)
    paced = config.replace(notices__pace=True, modems__daily_cap=2, modems__monthly_cap=0)
    result = notices.run(paced, NOW)
    assert Message.select().count() == 1 and result["held"]["service"] == 3 and result["held"]["marketing"] == 1
    assert result["counts"]["service"] == 1 and result["counts"]["greetings"] == 0
    assert notices.run(config, NOW)["held"] is None and Message.select().count() == 5


def test_a_festival_is_spread_over_the_lead_days_a_share_a_day_and_never_late(book, config):
    _customers(book, 10)
    config = config.replace(notices__pace=True, notices__greeting_lead_days=3, modems__daily_cap=500,
                            modems__monthly_cap=0)
    shares = []
    for offset in range(-5, 3):  # 27 December … 3 January
        day = NEW_YEAR + datetime.timedelta(days=offset)
        _sims(_morning(day))
        before = _greeted("holiday:元旦节:2027:")
        notices.run(config, _morning(day))
        shares.append(_greeted("holiday:元旦节:2027:") - before)
        _sent_overnight()
    # 28 Dec: nothing (4 days ahead); then ceil(10/4), ceil(7/3), ceil(4/2), the rest on the day; none after.
    assert shares == [0, 0, 3, 3, 2, 2, 0, 0]
    early = Message.get(Message.dedupe_key.startswith("holiday:元旦节:2027:"))
    assert "元旦" in early.text and "今天" not in early.text  # reads right three days early


def test_the_nearest_date_first_and_what_does_not_fit_on_the_day_is_not_sent(book, config):
    born = NEW_YEAR - datetime.timedelta(days=1)
    _customers(book, 3, born=born.replace(year=1980))  # birthdays on 31 December: greeted too on 1 January
    config = config.replace(notices__pace=True, notices__greeting_lead_days=1, modems__daily_cap=4,
                            modems__monthly_cap=0)
    day = NEW_YEAR - datetime.timedelta(days=1)
    _sims(_morning(day))
    result = notices.run(config, _morning(day))
    # The birthdays are today: all 3 first; the festival tomorrow gets what is left (1 of 3).
    assert (_greeted("birthday:"), _greeted("holiday:元旦节:2027:")) == (3, 1)
    assert [(g["target"], g["share"]) for g in result["held"]["greetings"]] == [
        ("birthday:2026-12-31", 3), ("holiday:元旦节:2027-01-01", 1)]
    _sent_overnight()
    _sims(_morning(NEW_YEAR))
    config = config.replace(modems__daily_cap=1)  # the day itself is short: 1 goes, 1 is not sent
    result = notices.run(config, _morning(NEW_YEAR))
    assert _greeted("holiday:元旦节:2027:") == 2
    assert result["held"]["greetings"][0]["not_sent"] == 1 and result["held"]["marketing"] == 1
    assert "holiday:元旦节:2027-01-01 1" in AuditLog.get(AuditLog.action == "notices.held").detail
    _sent_overnight()
    day_after = NEW_YEAR + datetime.timedelta(days=1)
    _sims(_morning(day_after))
    notices.run(config.replace(modems__daily_cap=100), _morning(day_after))
    assert _greeted("holiday:元旦节:2027:") == 2  # never late


def test_a_held_birthday_greeting_goes_the_next_day_while_the_date_has_not_passed(book, config):
    birthday = TODAY + datetime.timedelta(days=1)
    _customers(book, 2, born=birthday.replace(year=1985))
    config = config.replace(notices__pace=True, notices__greeting_lead_days=1, modems__daily_cap=0,
                            modems__monthly_cap=0)
    _sims(_morning(TODAY))
    notices.run(config.replace(modems__daily_cap=1), _morning(TODAY))  # one today, one kept
    assert _greeted("birthday:") == 1
    _sent_overnight()
    _sims(_morning(birthday))
    notices.run(config.replace(modems__daily_cap=1), _morning(birthday))
    assert _greeted("birthday:") == 2


def test_a_greeting_text_saying_today_waits_for_the_day(book, config):
    birthday = TODAY + datetime.timedelta(days=2)
    _customers(book, 2, born=birthday.replace(year=1985))
    templates.put("birthday", "zh", "【{company}】{salutation}，今天是您的生日，生日快乐！", user="admin")
    config = config.replace(notices__pace=True, notices__greeting_lead_days=3, modems__daily_cap=100,
                            modems__monthly_cap=0)
    for day in (TODAY, TODAY + datetime.timedelta(days=1)):
        _sims(_morning(day))
        notices.run(config, _morning(day))
        assert _greeted("birthday:") == 0
    _sims(_morning(birthday))
    notices.run(config, _morning(birthday))
    assert _greeted("birthday:") == 2


def test_shares_take_what_the_later_days_cannot(book, database):
    def target(date, left):
        return greetings.Target(date, "holiday", "元旦节", left={"zh": left}, bounds={"zh": 1})
    near, far = target(TODAY + datetime.timedelta(days=1), 6), target(TODAY + datetime.timedelta(days=2), 9)
    # Tomorrow and the day after can take 4 each; the nearer target needs 3 of tomorrow's
    # after its own 3 today, so the far one must send 9 - (8 - 3) = 4 today (more than ceil(9/3)).
    left = pacing.shares([far, near], TODAY, 100, [4, 4])
    assert (near.share, far.share, left) == (3, 4, 93)
    squeezed = target(TODAY + datetime.timedelta(days=1), 6)
    pacing.shares([squeezed], TODAY, 2, [4])  # at most what today has free
    assert squeezed.share == 2
    two_parts = greetings.Target(TODAY, "birthday", left={"zh": 3, "en": 2}, bounds={"zh": 1, "en": 2})
    pacing.shares([two_parts], TODAY, 6, [])  # Chinese first; an English text takes two parts here
    assert (two_parts.share, two_parts.quotas()) == (4, {"zh": 3, "en": 1})


def test_the_forecast_is_what_each_day_then_queues_and_holds(book, config):
    agent = book.agent()
    for n in range(3):  # renewal reminders (two parts each) on the next days, holder and agent
        holder = book.customer(f"续期{n}", born=datetime.date(1970, 6, 1))
        book.policy(holder, f"R-{n}", NEW_YEAR + datetime.timedelta(days=15 - 2 + n), agent=agent)
    _customers(book, 12)
    config = config.replace(notices__pace=True, notices__greeting_lead_days=3, modems__daily_cap=5,
                            modems__monthly_cap=0)
    first = NEW_YEAR - datetime.timedelta(days=3)
    _sims(_morning(first) - datetime.timedelta(hours=1))
    assert forecast.refresh(config, _morning(first) - datetime.timedelta(hours=1)) == 7
    assert Message.select().count() == 0  # a forecast queues nothing
    predicted = forecast.stored(first)
    assert [f["date"] for f in predicted[:5]] == [first + datetime.timedelta(days=n) for n in range(5)]
    for expected in predicted[:5]:
        at = _morning(expected["date"])
        _sims(at)
        before = Message.select().count()
        result = notices.run(config, at)
        actual = result["counts"]
        assert {k: actual[k] for k in ("service", "service_parts", "greetings", "greeting_parts", "sms", "parts")} \
            == {k: expected[k] for k in ("service", "service_parts", "greetings", "greeting_parts", "sms", "parts")}
        assert actual["held"]["notices"] == expected["held"]["notices"]
        assert actual["sms"] == Message.select().count() - before
        _sent_overnight()
    # (service SMS, greetings, held) a day: 15 greetings (the renewal holders are customers too)
    # spread over 29 December … 1 January beside two-part renewal reminders in 5 parts a day.
    assert [(f["service"], f["greetings"], f["held"]["notices"]) for f in predicted[:5]] == [
        (0, 4, 0), (2, 2, 0), (2, 2, 0), (2, 2, 5), (0, 0, 0)]


def test_forecast_refresh_is_due_after_a_run_and_otherwise_hourly(book, config):
    _book(book)
    assert forecast.refresh(config, NOW) == 7
    assert forecast.refresh(config, NOW + datetime.timedelta(minutes=30)) == 0
    notices.run(config, NOW + datetime.timedelta(minutes=40))
    assert forecast.refresh(config, NOW + datetime.timedelta(minutes=41)) == 7  # after the run
    assert forecast.stored(TODAY)[0]["date"] == TODAY + datetime.timedelta(days=1)  # today has run
    assert forecast.refresh(config, NOW + datetime.timedelta(minutes=101)) == 7  # an hour on
    assert len(forecast.stored(TODAY)) == 7


def test_greetings_are_counted_and_read_alike_on_sqlite_and_postgresql(any_database, config):
    from decimal import Decimal

    from appliance.models import Customer, Policy, Product
    product = Product.create(code="A101", name="安康终身寿险")
    for n, born in enumerate([datetime.date(1980, 12, 31)] * 2 + [datetime.date(1980, 5, 17)] * 3):
        holder = Customer.create(name=f"客户{n}", gender="MF"[n % 2], mobile=f"+86138{n:08d}", birth_date=born,
                                 customer_no=f"C{n:05d}", language="en" if n == 4 else "zh")
        Policy.create(policy_no=f"P-{n}", product=product, holder=holder, premium=Decimal("100.00"),
                      frequency="annual", next_due_date=NEW_YEAR + datetime.timedelta(days=200))
    day = NEW_YEAR - datetime.timedelta(days=1)
    found = greetings.count_remaining(greetings.targets(config, day, 1))
    assert [(t.label(), t.left) for t in found] == [
        ("birthday:2026-12-31", {"zh": 2}), ("birthday:2027-01-01", {}),
        ("holiday:元旦节:2027-01-01", {"zh": 4, "en": 1})]
    config = config.replace(notices__pace=True, notices__greeting_lead_days=1, modems__daily_cap=4,
                            modems__monthly_cap=0)
    _sims(_morning(day))
    notices.run(config, _morning(day))  # the birthdays (2), then 2 of the festival's 5, Chinese first
    keys = sorted(k for (k,) in Message.select(Message.dedupe_key).tuples())
    ids = sorted(c.id for c in Customer.select())
    assert keys == sorted([f"birthday:{ids[0]}:2026", f"birthday:{ids[1]}:2026",
                           f"holiday:元旦节:2027:{ids[0]}", f"holiday:元旦节:2027:{ids[1]}"])
    assert [t.left for t in greetings.count_remaining(greetings.targets(config, NEW_YEAR, 0))[1:]] == [
        {"zh": 2, "en": 1}]


def test_the_forecast_counts_each_day_from_its_run_as_the_run_does(book, config):
    """Capacity that depends on the time (an SMPP account's rate; no SIMs here) is counted from
    the run's time (09:00) on the forecast's later days too, as the runs then count it."""
    _customers(book, 3)
    config = config.replace(notices__pace=True, notices__greeting_lead_days=3, smpp__enabled=True,
                            smpp__system_id="branch01", smpp__rate=0.0002)
    first = NEW_YEAR - datetime.timedelta(days=3)
    forecast.refresh(config, _morning(first) - datetime.timedelta(hours=1))
    for expected in forecast.stored(first)[:4]:
        actual = notices.run(config, _morning(expected["date"]))["counts"]
        # 09:00-21:00 of the marketing window at 0.0002 parts/s: 8 parts (the whole window's 13 h: 9)
        assert actual["capacity"]["window"] == expected["capacity"]["window"] == 8
        assert actual["greetings"] == expected["greetings"]
        _sent_overnight()


def test_the_services_daemon_stores_the_forecast_after_the_notice_run(book, config):
    from appliance.services import daemon
    _book(book)
    done = daemon.tick(config, NOW)  # after notices.run_at (09:00): the run, then the forecast
    assert done["notices"] == 5 and done["forecast"] == 7
    assert [f["date"] for f in forecast.stored(TODAY)][:2] == [TODAY + datetime.timedelta(days=n) for n in (1, 2)]
    assert daemon.tick(config, NOW + datetime.timedelta(minutes=10))["forecast"] == 0  # not again within the hour
