# The IVR editor's two new menu actions (issue 14): `announce` plays the node's prompt,
# then goes back to the menu or hangs up (after_play); `transfer` dials a number the admin
# typed (transfer_number) through the operator's line, as key 0 does.
#
# The menu_node action CHECK widens. The values are read from the database and the new ones
# added, so whatever an earlier migration put there is kept (as 0016 and 0017 do). SQLite
# cannot alter a constraint: the table is rebuilt from its own CREATE statement (renamed,
# created anew, copied, dropped; no other table references menu_node). PostgreSQL alters it
# in place. The columns are added first, so the rebuilt table has them.
import re

from peewee import *

ADDED = ['announce', 'transfer']


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('menu_node', 'transfer_number', CharField(default='')),
        migrator.add_column('menu_node', 'after_play', CharField(default='menu')),
    )
    if isinstance(db, SqliteDatabase):
        widen_sqlite(db)
    else:
        widen_postgresql(db)


def widened(values):
    values = list(dict.fromkeys(values + ADDED))
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


def down(migrator, db):
    db.execute_sql("DELETE FROM menu_node WHERE action IN ('announce', 'transfer')")
    migrator.migrate(migrator.drop_column('menu_node', 'after_play'),
                     migrator.drop_column('menu_node', 'transfer_number'))
