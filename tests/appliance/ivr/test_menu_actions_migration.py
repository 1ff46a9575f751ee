"""Migration 0020 on a box whose menus exist: its nodes keep their rows, and the new
actions (announce, transfer) and their columns are accepted — on SQLite and PostgreSQL."""
import pytest
from playhouse.migrations import Runner

from appliance import db as dbmod
from appliance.config import Config
from appliance.ivr.models import MenuNode


def upgrade_a_box_with_menus(db):
    Runner(db, str(dbmod.MIGRATIONS_DIR)).up("0019_staff_greetings")
    db.execute_sql("INSERT INTO menu_node (name, parent_id, digit, title, prompt, action, timeout_ms, retries, "
                   "fallback, position, enabled) VALUES ('main', NULL, '', '主菜单', 'menu_main', 'menu', 5000, 3, "
                   "'goodbye', 0, true)")
    dbmod.migrate(db)
    main = MenuNode.get(MenuNode.name == "main")
    assert (main.prompt, main.transfer_number, main.after_play) == ("menu_main", "", "menu")
    MenuNode(name="notice", parent=main.id, digit="7", prompt="after_hours", action="announce",
             after_play="hangup").save()
    MenuNode(name="line", parent=main.id, digit="#", prompt="operator_transfer", action="transfer",
             transfer_number="8001").save()
    assert {n.name: n.action for n in MenuNode.select()} == {"main": "menu", "notice": "announce", "line": "transfer"}
    with pytest.raises(Exception):  # the CHECK still refuses what is not an action
        db.execute_sql("UPDATE menu_node SET action = 'dance' WHERE name = 'line'")


def test_on_sqlite(tmp_path):
    upgrade_a_box_with_menus(dbmod.open_database(Config({"data_dir": str(tmp_path)})))


def test_on_postgresql(postgres_url, tmp_path):
    upgrade_a_box_with_menus(dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": postgres_url})))
