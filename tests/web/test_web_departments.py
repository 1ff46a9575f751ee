"""Departments on the admin page against a real server: adding one with its head, setting
the head, removing one; a taken name, an unknown badge and a department with open tickets
refused in Chinese naming the field, nothing changed; operators read but do not change."""
import re

from web_support import Client, make_user

from appliance.ivr import tickets
from appliance.models import AuditLog, Staff
from appliance.tickets.models import Department


def flash(html):
    match = re.search(r'<p class="flash (\w+)"[^>]*>([^<]*)</p>', html)
    return match.groups() if match else None


def heads():
    return {d.name: d.head.badge_no if d.head_id else None for d in Department.select()}


def test_admins_add_departments_set_heads_and_remove_them(admin_client):
    Staff.create(badge_no="H001", name="李主任", mobile="+8613900139000")
    Staff.create(badge_no="H002", name="王经理", mobile="+8613900139001")
    assert "处理部门" in admin_client.page("/").text  # in the menu
    resp = admin_client.post("/departments", {"name": "客户服务部", "head": "H001"})
    assert resp.status == 303
    html = admin_client.page("/departments").text
    assert flash(html) == ("ok", "已添加部门 客户服务部。") and "李主任 · H001" in html
    assert heads() == {"客户服务部": "H001"}
    assert admin_client.post("/departments/head", {"name": "客户服务部", "head": "H002"}).status == 303
    assert heads() == {"客户服务部": "H002"}
    assert "王经理 · H002" in admin_client.page("/departments").text
    assert admin_client.post("/departments", {"name": "理赔部"}).status == 303
    assert "（无负责人）" in admin_client.page("/departments").text
    assert admin_client.post("/departments/remove", {"name": "理赔部", "confirmed": "1"}).status == 303
    assert heads() == {"客户服务部": "H002"}
    assert {a.action for a in AuditLog.select()} >= {"tickets.department.add", "tickets.department.head",
                                                      "tickets.department.remove"}


def test_refusals_are_said_in_chinese_naming_the_field_and_change_nothing(admin_client):
    Staff.create(badge_no="H001", name="李主任", mobile="+8613900139000")
    desk = Department.create(name="客户服务部")
    ticket = tickets.open_ticket("complaint", "sms", number="13800138000", text="理赔太慢")
    ticket.department = desk
    ticket.save()
    admin_client.page("/departments")
    unknown = admin_client.post("/departments", {"name": "理赔部", "head": "X999"})
    assert unknown.status == 400 and "输入有误" in unknown.text and "head" in unknown.text and "X999" in unknown.text
    assert 'value="理赔部"' in unknown.text  # the form kept what was typed
    taken = admin_client.post("/departments", {"name": "客户服务部"})
    assert taken.status == 409 and "已存在" in taken.text and "name" in taken.text
    still_open = admin_client.post("/departments/remove", {"name": "客户服务部", "confirmed": "1"})
    assert still_open.status == 409 and "未办结" in still_open.text and "department" in still_open.text
    no_head = admin_client.post("/departments/head", {"name": "客户服务部", "head": "X999"})
    assert no_head.status == 400 and "head" in no_head.text
    assert heads() == {"客户服务部": None}


def test_operators_see_the_departments_but_cannot_change_them(server, web_db):
    Department.create(name="客户服务部")
    make_user("olga", "operator")
    operator = Client(server)
    assert operator.sign_in("olga").status == 303
    html = operator.page("/departments").text
    assert "客户服务部" in html and 'action="/departments/remove"' not in html and 'id="department-add"' not in html
    assert operator.post("/departments/remove", {"name": "客户服务部"}).status == 403
    assert heads() == {"客户服务部": None}
