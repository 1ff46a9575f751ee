# The customer asks a ticket's state (issue 13): an IVR menu action and an SMS keyword
# action `ticket_status`, and the log of every such question (who asked which number, by
# SMS or IVR, found or not), which also limits wrong tries per number and day. The menu
# node (key 6 of the main menu) is added on a box whose menus exist already; a new box gets
# it from appliance/ivr/menus.DEFAULT_MENU.
#
# Both action CHECK constraints widen. The values are read from the database and one is
# added, so whatever an earlier migration (e.g. 0016's staff dial-in) put there is kept.
# SQLite cannot alter a constraint: the table is rebuilt from its own CREATE statement
# (renamed, created anew, copied, dropped; no other table references menu_node or keyword).
# PostgreSQL alters it in place.
import re

from peewee import *

ADDED = 'ticket_status'
NODE = ('ticket_status', '6', '受理进度查询', 'ticket_status_intro')  # name, digit, title, prompt
TABLES = ('menu_node', 'keyword')


def up(migrator, db):
    for table in TABLES:
        if isinstance(db, SqliteDatabase):
            widen_sqlite(db, table)
        else:
            widen_postgresql(db, table)

    class TicketQuery(Model):
        at = DateTimeField(index=True)
        number = CharField(index=True)
        channel = CharField(constraints=[Check("channel IN ('sms', 'ivr')")])
        keyed = CharField(default='')
        ticket_id = IntegerField(null=True)
        found = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'ticket_query'
    db.create_tables([TicketQuery])
    add_node(db)


def widened(values):
    values = list(dict.fromkeys(values + [ADDED]))
    return "action IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def widen_sqlite(db, table):
    create = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                            (table,)).fetchone()[0]
    check = re.search(r"CHECK \((action IN \(([^)]*)\))\)", create)
    new_create = create.replace(check.group(1), widened(re.findall(r"'([^']*)'", check.group(2))))
    indexes = [sql for (sql,) in db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))]
    for (name,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                  "AND sql IS NOT NULL", (table,)).fetchall():
        db.execute_sql(f'DROP INDEX "{name}"')
    db.execute_sql('PRAGMA defer_foreign_keys = ON')  # a node's parent may come after it in the copy
    db.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
    db.execute_sql(new_create)
    db.execute_sql(f'INSERT INTO "{table}" SELECT * FROM "{table}_old"')
    db.execute_sql(f'DROP TABLE "{table}_old"')
    for sql in indexes:
        db.execute_sql(sql)


def widen_postgresql(db, table):
    name = f"{table}_action_check"
    definition = db.execute_sql("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                                (name,)).fetchone()[0]
    db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    check = widened(re.findall(r"'([^']*)'", definition))
    db.execute_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({check})')


def add_node(db):
    """The node under the main menu, unless there is no menu yet (a new box), the name is
    taken, or key 6 is in use there: an admin's own tree is never changed."""
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
    db.execute_sql("DELETE FROM menu_node WHERE action = 'ticket_status'")
    migrator.migrate(migrator.drop_table('ticket_query'))
