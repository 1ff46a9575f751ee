"""The IVR editor's page: free key by default, prompts from the prompt list with play,
the new actions (announcement, transfer to a number) saved and checked, the operator's
hours with day boxes and time fields."""
import re

import tomllib

from appliance.ivr.menus import ensure_default_menu
from appliance.ivr.models import MenuNode
from appliance.models import AuditLog


def selected(html, select_id):
    block = re.search(rf'<select name="\w+" id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="([^"]*)"\s+selected', block).group(1)


def main_menu():
    ensure_default_menu()
    return MenuNode.get(MenuNode.name == "main")


def child_form(**fields):
    return {"digit": "7", "name": "entry", "title": "通知", "prompt": "after_hours", "action": "menu",
            "transfer_number": "", "after_play": "menu", **fields}


def test_add_form_defaults_to_a_free_key_and_marks_taken_ones(admin_client):
    main = main_menu()
    html = admin_client.page(f"/ivr/{main.id}").text
    assert selected(html, "child-digit") == "7"  # 1-6 and 8 are the default menu's
    assert re.search(r'<option value="1"\s+disabled>1 · 已被“保单服务”占用', html)
    MenuNode(name="seven", parent=main.id, digit="7", title="七", prompt="after_hours", action="announce").save()
    assert selected(admin_client.page(f"/ivr/{main.id}").text, "child-digit") == "#"
    MenuNode(name="hash", parent=main.id, digit="#", title="井", prompt="after_hours", action="announce").save()
    full = admin_client.page(f"/ivr/{main.id}").text
    assert 'id="ivr-no-free-key"' in full and 'id="ivr-child-form"' not in full


def test_prompts_are_chosen_from_the_prompt_list_with_play(admin_client):
    main = main_menu()
    html = admin_client.page(f"/ivr/{main.id}").text
    assert '<select name="prompt" id="child-prompt"' in html  # the add form chooses from the list too
    html = admin_client.page(f"/ivr/{MenuNode.get(MenuNode.name == 'claim').id}").text
    assert selected(html, "ivr-prompt") == "claim_intro"
    assert not re.search(r'<input name="prompt"', html)
    chooser = re.search(r'id="ivr-prompt".*?</select>', html, re.S).group(0)
    assert {"after_hours", "menu_main", "claim_intro"} <= set(re.findall(r'<option value="(\w+)"', chooser))
    assert 'data-role="play"' in html and "/static/ivr.js" in html
    unknown = admin_client.post(f"/ivr/{main.id}/children", child_form(prompt="no_such_prompt"))
    assert unknown.status == 400 and "no_such_prompt" in unknown.text
    assert not MenuNode.select().where(MenuNode.name == "entry").exists()


def test_announcement_saved_with_its_next_step(admin_client):
    main = main_menu()
    admin_client.page(f"/ivr/{main.id}")
    resp = admin_client.post(f"/ivr/{main.id}/children", child_form(action="announce", after_play="hangup"))
    assert resp.status == 303
    node = MenuNode.get(MenuNode.name == "entry")
    assert (node.action, node.after_play, node.prompt, node.digit) == ("announce", "hangup", "after_hours", "7")
    html = admin_client.page(f"/ivr/{node.id}").text
    assert selected(html, "ivr-action") == "announce" and selected(html, "ivr-after") == "hangup"
    assert "播放一段通知" in admin_client.page(f"/ivr/{main.id}").text


def test_transfer_number_checked_at_save_time(admin_client):
    main = main_menu()
    admin_client.page(f"/ivr/{main.id}")
    bad = admin_client.post(f"/ivr/{main.id}/children", child_form(action="transfer", transfer_number="0591-8765"))
    assert bad.status == 400 and "转接号码：应为 3 到 20 位数字" in bad.text
    assert 'value="0591-8765"' in bad.text  # what was typed stays in the form
    assert not MenuNode.select().where(MenuNode.name == "entry").exists()
    ok = admin_client.post(f"/ivr/{main.id}/children", child_form(action="transfer", transfer_number="059187654321"))
    assert ok.status == 303
    node = MenuNode.get(MenuNode.name == "entry")
    assert (node.action, node.transfer_number) == ("transfer", "059187654321")
    admin_client.page(f"/ivr/{node.id}")
    edit = {"title": "理赔专线", "prompt": "after_hours", "action": "transfer", "digit": "7", "transfer_number": "",
            "after_play": "menu", "timeout_ms": "5000", "retries": "3", "fallback": "goodbye", "position": "0",
            "enabled": "1"}
    assert admin_client.post(f"/ivr/{node.id}", edit).status == 400
    assert MenuNode.get_by_id(node.id).transfer_number == "059187654321"


def test_operator_hours_with_day_boxes_and_times(admin_client, web_config, tmp_path):
    config_file = tmp_path / "appliance.toml"
    config_file.write_text('[agi]\nbusiness_hours = "08:30-17:30"\nbusiness_days = "1-5"\n')
    web_config.path = str(config_file)
    html = admin_client.page("/ivr").text
    assert re.search(r'name="day" value="5" checked', html) and not re.search(r'name="day" value="6" checked', html)
    assert 'type="time" name="start" id="ivr-start" value="08:30"' in html
    bad = admin_client.post("/ivr/hours", {"start": "09:00", "end": "18:00"})
    assert bad.status == 400 and "工作日：请至少选择一天" in bad.text
    backwards = admin_client.post("/ivr/hours", {"day": ["1"], "start": "18:00", "end": "09:00"})
    assert backwards.status == 400 and "结束时间" in backwards.text
    assert "1-5" in config_file.read_text()  # nothing written on a bad form
    resp = admin_client.post("/ivr/hours", {"day": ["1", "2", "3", "4", "5", "6"], "start": "09:00", "end": "18:00"})
    assert resp.status == 303 and resp.getheader("Location").endswith("/settings")
    agi = tomllib.loads(config_file.read_text())["agi"]
    assert (agi["business_days"], agi["business_hours"]) == ("1,2,3,4,5,6", "09:00-18:00")
    assert AuditLog.select().order_by(AuditLog.id.desc()).get().action == "settings.update"
