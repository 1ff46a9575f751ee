# The staff line in the IVR (内部联系, issue 13): a PIN per staff member (hashed), the
# failures in a row and the lockout's end; the menu action `staff_line`, and its node under
# the main menu (key 8, not announced: staff are told it) on a box whose menus exist already.
# A new box gets the node from appliance/ivr/menus.DEFAULT_MENU instead.
#
# The menu_node action CHECK widens. The values are read from the database and one is
# added, so it keeps whatever is there (0017 widens the same way after it). SQLite cannot
# alter a constraint: the table is rebuilt from its own CREATE statement (renamed, created
# anew, copied, dropped; no other table references menu_node). PostgreSQL alters it in place.
import re

from peewee import *

ADDED = 'staff_line'
NODE = ('staff_line', '8', '内部联系', 'staff_intro')  # name, digit, title, prompt


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('staff', 'pin_hash', CharField(default='')),
        migrator.add_column('staff', 'pin_failures', IntegerField(default=0)),
        migrator.add_column('staff', 'pin_locked_until', DateTimeField(null=True)),
    )
    if isinstance(db, SqliteDatabase):
        widen_sqlite(db)
    else:
        widen_postgresql(db)
    add_node(db)


def widened(values):
    values = list(dict.fromkeys(values + [ADDED]))
    return "action IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def widen_sqlite(db):
    create = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'menu_node'").fetchone()[0]
    check = re.search(r"CHECK \((action IN \(([^)]*)\))\)", create)
    new_create = create.replace(check.group(1), widened(re.findall(r"'([^']*)'", check.group(2))))
    rows = db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'menu_node' "
                          "AND sql IS NOT NULL").fetchall()
    for name, _ in rows:
        db.execute_sql(f'DROP INDEX "{name}"')
    db.execute_sql('PRAGMA defer_foreign_keys = ON')  # a node's parent may come after it in the copy
    db.execute_sql('ALTER TABLE "menu_node" RENAME TO "menu_node_old"')
    db.execute_sql(new_create)
    db.execute_sql('INSERT INTO "menu_node" SELECT * FROM "menu_node_old"')
    db.execute_sql('DROP TABLE "menu_node_old"')
    for _, sql in rows:
        db.execute_sql(sql)


def widen_postgresql(db):
    name = "menu_node_action_check"
    definition = db.execute_sql("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                                (name,)).fetchone()[0]
    db.execute_sql(f'ALTER TABLE "menu_node" DROP CONSTRAINT "{name}"')
    check = widened(re.findall(r"'([^']*)'", definition))
    db.execute_sql(f'ALTER TABLE "menu_node" ADD CONSTRAINT "{name}" CHECK ({check})')


def add_node(db):
    """The staff line under the main menu, unless there is no menu yet (a new box), the
    name is taken, or key 8 is in use there: an admin's own tree is never changed."""
    main = db.execute_sql("SELECT id FROM menu_node WHERE name = 'main' AND parent_id IS NULL").fetchone()
    if main is None:
        return
    name, digit, title, prompt = NODE
    taken = db.execute_sql(f"SELECT count(*) FROM menu_node WHERE name = {db.param} OR "
                           f"(parent_id = {db.param} AND digit = {db.param})", (name, main[0], digit)).fetchone()[0]
    if taken:
        return
    position = db.execute_sql("SELECT coalesce(max(position), 0) + 1 FROM menu_node").fetchone()[0]
    db.execute_sql("INSERT INTO menu_node (name, parent_id, digit, title, prompt, action, timeout_ms, retries, "
                   f"fallback, position, enabled) VALUES ({', '.join([db.param] * 11)})",
                   (name, main[0], digit, title, prompt, ADDED, 5000, 3, 'goodbye', position, True))


def down(migrator, db):
    db.execute_sql("DELETE FROM menu_node WHERE action = 'staff_line'")
    for column in ('pin_locked_until', 'pin_failures', 'pin_hash'):
        migrator.migrate(migrator.drop_column('staff', column))
