"""A staff member's birthday opt-out on their page: saved, audited, and honoured by the
notice run (no greeting, no reminder to colleagues)."""
import datetime

from appliance import clock
from appliance.models import AuditLog, Staff
from appliance.services import notices
from appliance.sms.models import Message


def test_the_staff_page_sets_the_birthday_opt_out_the_notice_run_honours(admin_client, config):
    chen = Staff.create(badge_no="S01", name="陈静", department="个险一部", mobile="+8613900000011",
                        birthday=datetime.date(1990, 12, 1))
    Staff.create(badge_no="S02", name="刘洋", department="个险一部", mobile="+8613900000012")
    page = admin_client.page(f"/staff/{chen.id}")
    assert "不发送生日祝福，也不提醒同事" in page.text and 'name="greetings_opt_out"' in page.text
    form = {"name": "陈静", "mobile": "13900000011", "department": "个险一部", "branch": "", "status": "active"}

    resp = admin_client.post(f"/staff/{chen.id}", dict(form, greetings_opt_out="1"))
    assert resp.status == 303
    assert Staff.get_by_id(chen.id).greetings_opt_out is True
    entry = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (entry.action, entry.detail) == ("staff.update", "greetings_opt_out - -> True")
    assert "checked" in admin_client.page(f"/staff/{chen.id}").text.split('name="greetings_opt_out"')[1][:30]
    morning = clock.instant(datetime.datetime(2026, 12, 1, 10))
    assert notices.run(config, morning)["queued"] == 0

    assert admin_client.post(f"/staff/{chen.id}", form).status == 303  # unticked: greeted again
    assert Staff.get_by_id(chen.id).greetings_opt_out is False
    assert notices.run(config, morning)["queued"] == 2
    assert Message.select().where(Message.dedupe_key.startswith("staff_birthday")).count() == 2
