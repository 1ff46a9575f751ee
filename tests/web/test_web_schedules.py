"""The schedules page: list one-off and cron schedules, create one, disable and
delete one; a bad cron expression re-shows the form with the one-line error and
saves nothing; auditors read only; forms without the CSRF token are refused."""
from web_support import Client, make_user

from appliance.models import AuditLog, ContactGroup
from appliance.services.models import Schedule


def last_audit():
    return AuditLog.select().order_by(AuditLog.id.desc()).first()


def test_schedules_create_disable_delete(server, admin_client):
    group = ContactGroup.create(name="福州客户<b>", kind="customer", rule="region", rule_value="福州")
    make_user("audrey", "auditor")
    auditor = Client(server)
    assert auditor.sign_in("audrey").status == 303
    # A template a schedule can fill ({salutation}, {company}): not a policy notice.
    data = {"name": "每周提醒", "group": str(group.id), "template": "birthday",
            "category": "service", "cron": "61 * * * *", "department": "理赔部"}
    assert 'id="schedule-form"' not in auditor.page("/schedules").text
    audits = AuditLog.select().count()
    assert auditor.post("/schedules", data).status == 403
    admin_client.page("/schedules")
    assert admin_client.post("/schedules", data, csrf=False).status == 403
    assert Schedule.select().count() == 0 and AuditLog.select().count() == audits

    bad = admin_client.post("/schedules", data)
    assert bad.status == 400
    assert "输入有误: 定时表达式：&#039;61 * * * *&#039; 不是有效的重复规则" in bad.text, bad.text[bad.text.index("schedule-form"):][:400]
    assert 'value="每周提醒"' in bad.text  # the form keeps what was typed
    assert Schedule.select().count() == 0 and AuditLog.select().count() == audits

    assert admin_client.post("/schedules", {**data, "cron": "0 9 * * 1"}).status == 303
    weekly = Schedule.get(Schedule.name == "每周提醒")
    assert (weekly.cron, weekly.group_id, weekly.enabled, weekly.created_by) == ("0 9 * * 1", group.id, True, "root")
    assert (last_audit().action, last_audit().target) == ("schedule.create", "schedule:每周提醒")
    once = {"name": "一次<script>", "numbers": "13800138000, 13900139000", "template": "birthday",
            "category": "service", "run_at": "2030-01-02T09:30"}
    admin_client.page("/schedules")
    assert admin_client.post("/schedules", once).status == 303
    one_off = Schedule.get(Schedule.name == "一次<script>")
    assert one_off.numbers == "+8613800138000,+8613900139000" and str(one_off.run_at) == "2030-01-02 09:30:00"

    html = auditor.page("/schedules").text
    assert "每周周一 09:00" in html and "一次：2030-01-02 09:30" in html and "0 9 * * 1" not in html
    assert "一次&lt;script&gt;" in html and "分组 福州客户&lt;b&gt;" in html and "2 个号码" in html
    assert "group:" not in html and "numbers:" not in html

    assert auditor.post(f"/schedules/{weekly.id}/enabled", {"enabled": "0"}).status == 403
    assert admin_client.post(f"/schedules/{weekly.id}/enabled", {"enabled": "0"}, csrf=False).status == 403
    assert Schedule.get_by_id(weekly.id).enabled
    admin_client.page("/schedules")
    assert admin_client.post(f"/schedules/{weekly.id}/enabled", {"enabled": "0"}).status == 303
    assert not Schedule.get_by_id(weekly.id).enabled
    assert (last_audit().action, last_audit().target) == ("schedule.disable", "schedule:每周提醒")

    assert auditor.post(f"/schedules/{one_off.id}/delete").status == 403
    assert admin_client.post(f"/schedules/{one_off.id}/delete", csrf=False).status == 403
    assert admin_client.post(f"/schedules/{one_off.id}/delete", {"confirmed": "1"}).status == 303
    assert [s.name for s in Schedule.select()] == ["每周提醒"]
    assert (last_audit().action, last_audit().target) == ("schedule.delete", "schedule:一次<script>")
    assert admin_client.post("/schedules/9999/delete").status == 303  # back with the error, nothing changed
    assert Schedule.select().count() == 1
