"""Every destructive action of this part asks first (web/pages/confirm.py): deleting an
IVR entry, revoking an API token, removing a number from the opt-out list,
restoring a default prompt, deleting a common phrase, resetting a template, removing
a department and disabling a user. The first POST answers with a page saying what will
happen, in the page's language, and changes nothing; only the confirmed POST acts.
A browser does it end to end at 1366×900 and 390×844 (Back keeps everything)."""
import re
from pathlib import Path

import pytest
from web_support import PASSWORD, make_user

from appliance import tokens
from appliance.ivr import prompt_files
from appliance.ivr.menus import ensure_default_menu
from appliance.ivr.models import MenuNode
from appliance.models import AdminUser, ApiToken, AuditLog
from appliance.services import optout, templates
from appliance.services.models import OptOut, Phrase, Template
from appliance.tickets.models import Department


def asked(resp):
    """The question of a confirmation page, or None."""
    assert resp.status == 200, resp.status
    found = re.search(r'<p id="confirm-question">(.*?)</p>', resp.text, re.S)
    return found and found.group(1)


def test_ivr_entry_delete_asks_first(admin_client):
    ensure_default_menu()
    entry = MenuNode.select().where(MenuNode.parent.is_null(False)).order_by(MenuNode.id).first()
    admin_client.page(f"/ivr/{entry.parent_id}")
    question = asked(admin_client.post(f"/ivr/{entry.id}/delete"))
    assert question and f"按键 {entry.digit}" in question and entry.title in question
    assert MenuNode.get_or_none(MenuNode.id == entry.id) is not None
    assert admin_client.post(f"/ivr/{entry.id}/delete", {"confirmed": "1"}).status == 303
    assert MenuNode.get_or_none(MenuNode.id == entry.id) is None
    assert AuditLog.select().where(AuditLog.action == "ivr.delete").count() == 1


def test_token_revoke_asks_first(admin_client):
    tokens.create_token("核心系统", "operator")
    admin_client.page("/users")
    resp = admin_client.post("/tokens/revoke", {"name": "核心系统"})
    assert "吊销" in asked(resp) and "核心系统" in asked(resp)
    assert 'name="name" value="核心系统"' in resp.text  # the confirming form repeats the request
    assert not ApiToken.get(ApiToken.name == "核心系统").revoked
    admin_client.remember_csrf(resp.text)
    assert admin_client.post("/tokens/revoke", {"name": "核心系统", "confirmed": "1"}).status == 303
    assert ApiToken.get(ApiToken.name == "核心系统").revoked


def test_optout_remove_asks_first_and_masks_the_number(server, admin_client):
    from web_support import Client
    optout.add("+8613800138000", "optout", "客户来电", source="test")
    make_user("viewer", "auditor")
    make_user("olga", "operator")
    operator = Client(server)
    operator.sign_in("olga")
    operator.page("/optouts")
    data = {"number": "13800138000", "kind": "optout", "action": "remove"}
    question = asked(operator.post("/optouts", data))
    assert "不再接收营销短信" in question or "退订" in question
    assert OptOut.select().count() == 1
    assert operator.post("/optouts", {**data, "confirmed": "1"}).status == 303
    assert OptOut.select().count() == 0
    # Adding is not destructive: no question.
    assert operator.post("/optouts", {**data, "action": "add"}).status == 303


def test_prompt_restore_asks_first(admin_client, web_config):
    custom = prompt_files.custom_path(web_config, "welcome", "zh")
    custom.parent.mkdir(parents=True, exist_ok=True)
    custom.write_bytes(b"RIFF")
    admin_client.page("/prompts/welcome")
    question = asked(admin_client.post("/prompts/welcome/zh/restore"))
    assert "恢复默认提示音" in question and custom.exists()
    assert admin_client.post("/prompts/welcome/zh/restore", {"confirmed": "1"}).status == 303
    assert not custom.exists()


def test_phrase_delete_asks_first_naming_the_phrase(admin_client):
    phrase = Phrase.create(category="问候", text="您好，请问有什么可以帮您？")
    admin_client.page("/phrases")
    question = asked(admin_client.post(f"/phrases/{phrase.id}/delete"))
    assert question and "删除常用短语" in question and "请问有什么可以帮您" in question
    assert Phrase.select().count() == 1
    assert admin_client.post(f"/phrases/{phrase.id}/delete", {"confirmed": "1"}).status == 303
    assert Phrase.select().count() == 0


def test_template_reset_asks_first_naming_the_template_and_language(admin_client):
    templates.put("greeting_x", "zh", "{salutation}您好", category="service", user="root")
    admin_client.page("/templates")
    data = {"key": "greeting_x", "language": "zh"}
    resp = admin_client.post("/templates/reset", data)
    question = asked(resp)
    assert question and "greeting_x" in question and "中文" in question and "恢复为默认" in question
    assert 'name="language" value="zh"' in resp.text and "zh" not in question  # the language in words
    assert Template.select().count() == 1
    admin_client.remember_csrf(resp.text)
    assert admin_client.post("/templates/reset", {**data, "confirmed": "1"}).status == 303
    assert Template.select().count() == 0


def test_department_remove_asks_first(admin_client):
    Department.create(name="理赔部")
    admin_client.page("/departments")
    question = asked(admin_client.post("/departments/remove", {"name": "理赔部"}))
    assert question and "删除部门“理赔部”" in question
    assert Department.select().count() == 1
    assert admin_client.post("/departments/remove", {"name": "理赔部", "confirmed": "1"}).status == 303
    assert Department.select().count() == 0


def test_disabling_a_user_asks_first_and_other_changes_do_not(admin_client):
    make_user("olga", "operator")
    olga = AdminUser.get(AdminUser.username == "olga")
    admin_client.page("/users")
    data = {"role": "operator", "disabled": "1", "action": "update"}
    resp = admin_client.post(f"/users/{olga.id}", data)
    question = asked(resp)
    assert question and "停用用户“olga”" in question and 'name="disabled" value="1"' in resp.text
    assert not AdminUser.get_by_id(olga.id).disabled
    assert admin_client.post(f"/users/{olga.id}", {**data, "confirmed": "1"}).status == 303
    assert AdminUser.get_by_id(olga.id).disabled
    # Enabling again or changing a role is not destructive: no question.
    assert admin_client.post(f"/users/{olga.id}", {"role": "auditor", "action": "update"}).status == 303
    assert not AdminUser.get_by_id(olga.id).disabled and AdminUser.get_by_id(olga.id).role == "auditor"


# --- in a browser ------------------------------------------------------------------------

# The chromium fixture is tests/web/conftest.py's; browser_support (imported in the test: it
# skips a whole module without Chromium) has the page waits and the sign-in.


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_revoke_and_ivr_delete_in_a_browser(chromium, server, width, height):
    from browser_support import fits, loaded_after, sign_in
    from selenium.webdriver.common.by import By
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    make_user("root", "admin")
    tokens.create_token("核心系统", "operator")
    ensure_default_menu()
    sign_in(d, server, "root", PASSWORD, next="/users")

    revoke = d.find_element(By.CSS_SELECTOR, "form[action='/tokens/revoke'] button")
    loaded_after(d, revoke.click)
    assert "核心系统" in d.find_element(By.ID, "confirm-question").text and fits(d)
    d.save_screenshot(str(Path(__file__).resolve().parents[1] / "screenshots" / f"confirm-revoke-{width}.png"))
    loaded_after(d, d.find_element(By.ID, "confirm-back").click)  # Back: nothing happened
    assert not ApiToken.get(ApiToken.name == "核心系统").revoked
    loaded_after(d, d.find_element(By.CSS_SELECTOR, "form[action='/tokens/revoke'] button").click)
    loaded_after(d, d.find_element(By.ID, "confirm-yes").click)
    assert ApiToken.get(ApiToken.name == "核心系统").revoked

    entry = MenuNode.select().where(MenuNode.parent.is_null(False)).order_by(MenuNode.id).first()
    d.get(f"{server}/ivr/{entry.parent_id}")
    loaded_after(d, d.find_element(By.CSS_SELECTOR, f"form[action='/ivr/{entry.id}/delete'] button").click)
    assert entry.title in d.find_element(By.ID, "confirm-question").text and fits(d)
    assert MenuNode.get_or_none(MenuNode.id == entry.id) is not None
    loaded_after(d, d.find_element(By.ID, "confirm-yes").click)
    assert MenuNode.get_or_none(MenuNode.id == entry.id) is None
    assert "/confirm" not in d.current_url and fits(d)
