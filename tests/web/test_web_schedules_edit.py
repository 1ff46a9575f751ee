"""Editing a schedule with the recurrence picker (no cron typed): once on a date, every
day, every week on ticked days, every month on a day, or a raw cron under "advanced"; a
stored cron is read back into the picker and shown in words; bad picks name their field in
Chinese and change nothing; deleting asks first on a page of its own. The browser test at
both widths is test_web_schedules_calls_browser.py."""
import re

import pytest
from web_support import Client, make_user

from appliance.models import AuditLog, ContactGroup
from appliance.services.models import Schedule
from web.pages.schedules import picked

BASE = {"template": "birthday", "category": "service", "department": "理赔部", "window": ""}


@pytest.fixture
def weekly(admin_client):
    group = ContactGroup.create(name="个险一部", kind="customer", rule="region", rule_value="福州")
    admin_client.page("/schedules")
    resp = admin_client.post("/schedules", {**BASE, "name": "每周提醒", "group": str(group.id), "repeat": "weekly",
                                            "weekdays": ["1", "3"], "time": "09:05"})
    assert resp.status == 303, resp.text
    return Schedule.get(Schedule.name == "每周提醒")


def post_edit(client, schedule, **form):
    client.page(f"/schedules/{schedule.id}/edit")
    return client.post(f"/schedules/{schedule.id}", form)


def test_the_picker_writes_the_cron_and_reads_it_back(admin_client, weekly):
    assert weekly.cron == "5 9 * * 1,3"
    html = admin_client.page("/schedules").text
    assert "每周周一、周三 09:05" in html and "分组 个险一部" in html
    assert ">birthday<" not in html and ">生日祝福<" in html and "<h1>定时发送</h1>" in html  # titles in words
    edit = admin_client.page(f"/schedules/{weekly.id}/edit").text
    assert re.search(r'<option value="weekly" selected>', edit) and 'value="09:05"' in edit
    assert re.search(r'id="weekday-1" checked', edit) and re.search(r'id="weekday-3" checked', edit)
    assert not re.search(r'id="weekday-2" checked', edit) and 'value="每周提醒"' in edit

    form = {**BASE, "name": "每月提醒", "group": str(weekly.group_id), "repeat": "monthly", "monthday": "15",
            "time": "18:30"}
    assert post_edit(admin_client, weekly, **form).status == 303
    changed = Schedule.get_by_id(weekly.id)
    assert (changed.name, changed.cron, changed.run_at, changed.created_by) == ("每月提醒", "30 18 15 * *", None, "root")
    assert changed.next_run_at.day in (15, 14) and changed.enabled
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (last.action, last.target) == ("schedule.update", "schedule:每月提醒")
    assert "每月 15 日 18:30" in admin_client.page("/schedules").text

    assert post_edit(admin_client, weekly, **{**form, "repeat": "daily", "time": "07:00"}).status == 303
    assert Schedule.get_by_id(weekly.id).cron == "0 7 * * *"
    assert post_edit(admin_client, weekly, **{**form, "repeat": "once", "date": "2030-05-04", "time": "10:15"}).status == 303
    once = Schedule.get_by_id(weekly.id)
    assert (once.cron, str(once.run_at), str(once.next_run_at)) == ("", "2030-05-04 10:15:00", "2030-05-04 10:15:00")
    edit = admin_client.page(f"/schedules/{weekly.id}/edit").text
    assert '<option value="once" selected>' in edit and 'value="2030-05-04"' in edit and 'value="10:15"' in edit
    assert post_edit(admin_client, weekly, **{**form, "repeat": "advanced", "cron": "*/10 8-17 * * 1-5"}).status == 303
    assert Schedule.get_by_id(weekly.id).cron == "*/10 8-17 * * 1-5"
    assert "高级（定时表达式）：*/10 8-17 * * 1-5" in admin_client.page("/schedules").text
    assert '<option value="advanced" selected>' in admin_client.page(f"/schedules/{weekly.id}/edit").text


def test_bad_picks_name_the_field_and_change_nothing(admin_client, weekly):
    form = {**BASE, "name": "每周提醒", "group": str(weekly.group_id)}
    for pick, field, words in [({"repeat": "weekly", "time": "09:00"}, "weekdays", "请至少勾选一天"),
                               ({"repeat": "monthly", "monthday": "32", "time": "09:00"}, "每月几号", "1 到 31"),
                               ({"repeat": "daily", "time": "25:00"}, "时间", "请填写时间"),
                               ({"repeat": "once", "time": "09:00"}, "日期", "请选择发送日期"),
                               ({"repeat": "once", "date": "2030-02-30", "time": "09:00"}, "日期", "不是日期和时间"),
                               ({"repeat": "advanced", "cron": "61 * * * *"}, "定时表达式", "不是有效的重复规则")]:
        resp = post_edit(admin_client, weekly, **form, **pick)
        assert resp.status == 400 and f"输入有误: {field}" in resp.text and words in resp.text, (pick, resp.text[-1500:])
    assert Schedule.get_by_id(weekly.id).cron == "5 9 * * 1,3"
    other = {**BASE, "name": "另一个", "numbers": "13800138000", "repeat": "daily", "time": "08:00"}
    assert admin_client.post("/schedules", other).status == 303
    clash = post_edit(admin_client, weekly, **{**form, "name": "另一个", "repeat": "daily", "time": "08:00"})
    assert clash.status == 400 and "name" in clash.text and Schedule.get_by_id(weekly.id).name == "每周提醒"


def test_delete_asks_first_and_auditors_cannot_edit(server, admin_client, weekly):
    listing = admin_client.page("/schedules").text
    assert f'href="/schedules/{weekly.id}/delete"' in listing
    assert f'action="/schedules/{weekly.id}/delete"' not in listing  # no one-click delete on the list
    ask = admin_client.page(f"/schedules/{weekly.id}/delete").text
    assert "确定删除定时任务“每周提醒”" in ask and "每周周一、周三 09:05" in ask and 'id="confirm-yes"' in ask
    assert Schedule.select().count() == 1
    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    assert auditor.get(f"/schedules/{weekly.id}/edit").status == 403
    assert auditor.post(f"/schedules/{weekly.id}", {**BASE, "name": "x", "repeat": "daily", "time": "01:00"}).status == 403
    asked = admin_client.post(f"/schedules/{weekly.id}/delete")  # a POST not through the question is asked too
    assert asked.status == 200 and "确定删除定时任务“每周提醒”" in asked.text and Schedule.select().count() == 1
    assert 'name="confirmed" value="1"' in ask
    assert admin_client.post(f"/schedules/{weekly.id}/delete", {"confirmed": "1"}).status == 303
    assert Schedule.select().count() == 0


def test_which_crons_the_picker_reads():
    assert picked("0 9 * * *") == {"repeat": "daily", "time": "09:00", "cron": "0 9 * * *", "monthday": "", "weekdays": []}
    assert picked("0 9 * * 0,6")["weekdays"] == ["0", "6"]
    for cron in ("0 9 1 * 1", "0 24 * * *", "60 9 * * *", "0 9 * 2 *", "0 9 * * 1-5", "@daily", ""):
        assert picked(cron)["repeat"] == "advanced", cron


def test_in_english_too(admin_client, weekly):
    admin_client.get("/lang/en?next=/schedules")
    html = admin_client.page("/schedules").text
    assert "Every week on Mon, Wed at 09:05" in html and "group 个险一部" in html and ">Birthday greeting<" in html
    ask = admin_client.page(f"/schedules/{weekly.id}/delete").text
    assert "Delete the schedule &quot;每周提醒&quot;?" in ask
