# Several boxes on one database (issue 16): the `box` table (each box's smsd heartbeat), the
# box that claimed each part (message_part.claimed_by: only that box recovers its `sending`
# parts at start, the others once its heartbeat stopped), and the box each modem's health
# row is for (modem_status.box: every box has a gsm0, so a modem is (box, port)).
#
# modem_status is a cache smsd rewrites every few seconds: its rows are dropped rather than
# guessed a box (the next smsd start writes them again under its own name). Parts already
# `sending` keep claimed_by '': any box recovers those at start, as one box did before.
from peewee import *


def up(migrator, db):
    class Box(Model):
        name = CharField(unique=True)
        started_at = DateTimeField()
        last_beat = DateTimeField(index=True)
        version = CharField(default='')
        class Meta:
            database = db
            table_name = 'box'

    db.create_tables([Box])
    db.execute_sql('DELETE FROM modem_status')
    migrator.migrate(
        migrator.add_column('message_part', 'claimed_by', CharField(default='')),
        migrator.add_index('message_part', ('state', 'claimed_by'), False),
        migrator.add_column('modem_status', 'box', CharField(default='')),
        migrator.drop_index('modem_status', 'modemstatus_port'),
        migrator.add_index('modem_status', ('box', 'port'), True),
    )


def down(migrator, db):
    db.execute_sql('DELETE FROM modem_status')
    migrator.migrate(
        migrator.drop_index('modem_status', 'modem_status_box_port'),
        migrator.drop_column('modem_status', 'box'),
        migrator.add_index('modem_status', ('port',), True),
        migrator.drop_index('message_part', 'message_part_state_claimed_by'),
        migrator.drop_column('message_part', 'claimed_by'),
    )
    migrator.migrate(migrator.drop_table('box'))
