# Ticket hand-off between boxes (issue 13, 分总分): one row per hand-off on each side, the
# outbox of what is still to be sent to the peer and the memory of what came from it.
from peewee import *


def up(migrator, db):
    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    class TicketHandoff(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        peer = CharField()
        direction = CharField(constraints=[Check("direction IN ('out', 'in')")])
        key = CharField()
        remote_number = CharField(default='')
        created_at = DateTimeField()
        delivered_at = DateTimeField(null=True, index=True)
        sent_through = IntegerField(default=0)
        received_through = IntegerField(default=0)
        attempts = IntegerField(default=0)
        next_at = DateTimeField(null=True)
        last_error = TextField(default='')
        class Meta:
            database = db
            table_name = 'ticket_handoff'
            indexes = ((('peer', 'direction', 'key'), True),)

    db.create_tables([TicketHandoff])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('ticket_handoff'))
