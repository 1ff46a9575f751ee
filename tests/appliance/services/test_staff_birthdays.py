"""Staff birthdays (生日祝福): the greeting to the staff member and, the same morning, a
reminder to their department's colleagues; opt-out per person; once a year each."""
import datetime

from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from appliance import clock
from appliance import db as dbmod
from appliance.config import ensure_data_dir
from appliance.models import Staff
from appliance.services import notices
from appliance.sms.models import Message

TODAY = datetime.date(2026, 12, 1)


def at(day, hour=10, minute=0):
    """An instant at a time of the box's day `day`."""
    return clock.instant(datetime.datetime.combine(day, datetime.time(hour, minute)))


def staff(name, badge, department, mobile=None, born=None, **kw):
    return Staff.create(badge_no=badge, name=name, department=department, mobile=mobile, birthday=born, **kw)


def sent():
    return sorted((m.to_number, m.dedupe_key, m.text) for m in Message.select())


def test_greeting_and_colleagues_reminders_once_opt_out_honoured(database, config):
    chen = staff("陈静", "S01", "个险一部", "+8613900000011", datetime.date(1990, 12, 1), gender="F")
    liu = staff("刘洋", "S02", "个险一部", "+8613900000012", datetime.date(1985, 6, 3))
    staff("周敏", "S03", "个险一部", "+8613900000013", status="left")       # left: told nothing
    staff("吴刚", "S04", "个险一部")                                        # no mobile: not reminded
    zheng = staff("郑强", "S05", "银保部", "+8613900000015")
    sun = staff("孙丽", "S06", "银保部", "+8613900000016", datetime.date(1988, 12, 1), greetings_opt_out=True)
    ma = staff("马超", "S07", "银保部", None, datetime.date(1979, 12, 1))    # no mobile: reported
    staff("黄磊", "S08", "个险一部", "+8613900000018", datetime.date(1970, 12, 1), status="left")

    result = notices.run(config, at(TODAY))

    assert sent() == sorted([
        ("+8613900000011", f"staff_birthday:{chen.id}:2026",
         "【平安保险】陈静您好，今天是您的生日，平安保险全体同事祝您生日快乐，工作顺利，身体健康！"),
        ("+8613900000012", f"staff_birthday_colleague:{chen.id}:2026:{liu.id}",
         "【平安保险】刘洋您好，今天是个险一部同事陈静的生日，别忘了送上一句祝福！"),
        ("+8613900000015", f"staff_birthday_colleague:{ma.id}:2026:{zheng.id}",
         "【平安保险】郑强您好，今天是银保部同事马超的生日，别忘了送上一句祝福！"),
        # Her opt-out is about her own birthday: she is still told of a colleague's.
        ("+8613900000016", f"staff_birthday_colleague:{ma.id}:2026:{sun.id}",
         "【平安保险】孙丽您好，今天是银保部同事马超的生日，别忘了送上一句祝福！"),
    ])
    assert result["no_mobile"] == [{"type": "staff_birthday", "key": f"staff_birthday:{ma.id}:2026",
                                    "badge_no": "S07"}]
    # Texts to staff: internal (no opt-out hint), in the greetings (marketing) window of the day.
    assert {m.category for m in Message.select()} == {"internal"}
    assert all(m.staff_id is not None for m in Message.select())

    assert notices.run(config, at(TODAY, 15))["queued"] == 0   # again the same day, or after a restart
    assert notices.run(config, at(TODAY + datetime.timedelta(days=1)))["queued"] == 0
    assert len(sent()) == 4


def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years(database, config):
    leap = staff("林芳", "S11", "个险二部", "+8613900000021", datetime.date(1992, 2, 29))
    colleague = staff("高远", "S12", "个险二部", "+8613900000022")
    greeted_on = {}
    for day in (datetime.date(2027, 2, 27), datetime.date(2027, 2, 28), datetime.date(2027, 3, 1),
                datetime.date(2028, 2, 28), datetime.date(2028, 2, 29), datetime.date(2028, 3, 1)):
        greeted_on.update((n["key"], day) for n in notices.run(config, at(day))["notices"])
    assert [k for (_, k, _) in sent()] == [
        f"staff_birthday:{leap.id}:2027", f"staff_birthday:{leap.id}:2028",
        f"staff_birthday_colleague:{leap.id}:2027:{colleague.id}",
        f"staff_birthday_colleague:{leap.id}:2028:{colleague.id}"]
    assert greeted_on[f"staff_birthday:{leap.id}:2027"] == datetime.date(2027, 2, 28)
    assert greeted_on[f"staff_birthday:{leap.id}:2028"] == datetime.date(2028, 2, 29)


def test_birthday_texts_go_in_that_days_window_or_not_at_all(database, config):
    person = staff("陈静", "S01", "个险一部", "+8613900000011", datetime.date(1990, 12, 1))
    staff("刘洋", "S02", "个险一部", "+8613900000012")
    early = notices.run(config, at(TODAY, 6, 30), dry_run=True)  # before the window: later that morning
    assert early["queued"] == 2
    late = notices.run(config, at(TODAY, 22))                     # after it: "today" would be tomorrow
    assert late["queued"] == 0 and late["late"] == 2
    assert Message.select().count() == 0
    notices.run(config, at(TODAY, 6, 30))
    assert {clock.local(m.not_before) for m in Message.select()} == {datetime.datetime(2026, 12, 1, 8, 0)}
    assert {clock.local(m.not_after) for m in Message.select()} == {datetime.datetime(2026, 12, 1, 21, 0)}
    assert person.greetings_opt_out is False


def test_the_setting_turns_staff_birthdays_off(database, config):
    staff("陈静", "S01", "个险一部", "+8613900000011", datetime.date(1990, 12, 1))
    staff("刘洋", "S02", "个险一部", "+8613900000012")
    assert notices.run(config.replace(notices__staff_birthday=False), at(TODAY))["queued"] == 0
    assert notices.run(config, at(TODAY))["queued"] == 2


def test_the_migration_keeps_staff_and_greets_them_by_default(config):
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    runner = Runner(db, str(dbmod.MIGRATIONS_DIR))
    runner.up("0017_ticket_status_query")
    db.execute_sql("INSERT INTO staff (badge_no, name, gender, branch, department, status, licence_no, created_at, "
                   "pin_hash, pin_failures) VALUES ('S01', '陈静', 'F', '', '个险一部', 'active', '', "
                   "'2026-11-30 01:00:00', '', 0)")
    runner.up()
    assert [(s.badge_no, s.greetings_opt_out) for s in Staff.select()] == [("S01", False)]
    assert not diff_models(db, [Staff])
    db.close()


def test_on_postgresql_too(postgres_url, tmp_path):
    from appliance.config import Config
    config = Config({"data_dir": str(tmp_path / "data"), "database.url": postgres_url})
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    try:
        leap = staff("林芳", "S11", "个险二部", "+8613900000021", datetime.date(1992, 2, 29))
        sun = staff("孙丽", "S12", "个险二部", "+8613900000022", datetime.date(1988, 2, 28), greetings_opt_out=True)
        colleague = staff("高远", "S13", "个险二部", "+8613900000023")
        notices.run(config, at(datetime.date(2027, 2, 28)))
        assert [k for (_, k, _) in sent()] == [f"staff_birthday:{leap.id}:2027",
                                                f"staff_birthday_colleague:{leap.id}:2027:{sun.id}",
                                                f"staff_birthday_colleague:{leap.id}:2027:{colleague.id}"]
    finally:
        db.close()
