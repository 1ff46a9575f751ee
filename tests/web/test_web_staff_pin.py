"""The staff line PIN on a staff member's page: no PIN, has one (wrong tries counted), locked
until a time (the box's zone: UTC in the tests); admins unlock it (audited, the PIN kept), operators may not."""
import datetime
import re

from web_support import Client, make_user

from appliance.ivr import staff_access
from appliance.models import AuditLog, Staff


def pin_state(html):
    return re.sub(r"<[^>]+>", "", re.search(r'<p id="pin-state">(.*?)</p>', html, re.DOTALL).group(1)).strip()


def test_the_pin_state_is_shown_and_an_admin_unlocks_it(admin_client, web_config):
    s = Staff.create(badge_no="S001", name="张三", mobile="+8613900139000")
    assert pin_state(admin_client.page(f"/staff/{s.id}").text) == "未设置密码：此人暂不能使用内部联系专线。"
    staff_access.set_pin(s, "2580")
    staff_access.record_failure(s, max_failures=3, lock_minutes=30)
    assert pin_state(admin_client.page(f"/staff/{s.id}").text) == "已设置密码 · 连续输错 1 次"
    Staff.update(pin_failures=0, pin_locked_until=datetime.datetime(2099, 1, 1, 2, 30)).where(
        Staff.id == s.id).execute()
    html = admin_client.page(f"/staff/{s.id}").text
    assert pin_state(html) == "已锁定，至 2099-01-01 02:30 解锁" and 'id="pin-unlock"' in html
    assert not staff_access.pin_matches(Staff.get_by_id(s.id), "2580")
    assert admin_client.post(f"/staff/{s.id}/unlock").status == 303
    html = admin_client.page(f"/staff/{s.id}").text
    assert "内部联系专线密码已解除锁定。" in html and pin_state(html) == "已设置密码"
    assert staff_access.pin_matches(Staff.get_by_id(s.id), "2580")  # the PIN stayed
    assert AuditLog.select().where(AuditLog.action == "staff.pin_unlock").count() == 1


def test_operators_see_the_lock_but_cannot_unlock(server, web_db):
    s = Staff.create(badge_no="S001", name="张三", mobile="+8613900139000", pin_hash="x",
                     pin_locked_until=datetime.datetime(2099, 1, 1))
    make_user("olga", "operator")
    operator = Client(server)
    assert operator.sign_in("olga").status == 303
    html = operator.page(f"/staff/{s.id}").text
    assert "已锁定" in html and 'id="pin-unlock"' not in html
    assert operator.post(f"/staff/{s.id}/unlock").status == 403
    assert Staff.get_by_id(s.id).pin_locked_until is not None
