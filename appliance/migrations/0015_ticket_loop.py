# Closed-loop tickets (issue 13): the new states (open -> new), more kinds and sources,
# departments and assignment, service-level due times and escalations, hand-off to another
# box, and the history table. Written by hand from a schema diff.
#
# The kind, source and status CHECK constraints change. SQLite cannot alter a constraint:
# the ticket table (no table references it) is renamed, created anew, copied and dropped.
# PostgreSQL alters it in place.
from peewee import *

KIND_CHECK = ("kind IN ('complaint', 'callback', 'phone-application', 'agent-report', 'alert', 'return-visit', "
              "'mobile-change', 'inquiry')")
SOURCE_CHECK = "source IN ('ivr', 'sms', 'web', 'system', 'api', 'voice', 'remote')"
STATUS_CHECK = "status IN ('new', 'assigned', 'in_progress', 'answered', 'returned', 'closed')"
ADDED = ('message_id', 'department_id', 'assignee', 'due_at', 'escalations', 'escalated_at', 'answered_at',
         'customer_told_at', 'remote', 'remote_number')


def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class Staff(Model):
        class Meta:
            database = db
            table_name = 'staff'

    class Policy(Model):
        class Meta:
            database = db
            table_name = 'policy'

    class Department(Model):
        name = CharField(unique=True)
        head = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'department'

    class Ticket(Model):
        number = CharField(null=True, unique=True)
        kind = CharField(index=True, constraints=[Check(KIND_CHECK)])
        source = CharField(constraints=[Check(SOURCE_CHECK)])
        status = CharField(index=True, default='new', constraints=[Check(STATUS_CHECK)])
        caller = CharField(index=True, default='')
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        policy = ForeignKeyField(Policy, null=True, on_delete='SET NULL')
        text = TextField(default='')
        recording = CharField(default='')
        call_id = IntegerField(null=True)
        message_id = IntegerField(null=True)
        department = ForeignKeyField(Department, null=True, on_delete='SET NULL')
        assignee = CharField(default='')
        due_at = DateTimeField(null=True, index=True)
        escalations = IntegerField(default=0)
        escalated_at = DateTimeField(null=True)
        answered_at = DateTimeField(null=True)
        customer_told_at = DateTimeField(null=True)
        remote = CharField(default='')
        remote_number = CharField(default='')
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        handled_by = CharField(default='')
        resolution = TextField(default='')
        closed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'ticket'

    class TicketEvent(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        at = DateTimeField(index=True)
        by = CharField(default='')
        action = CharField(constraints=[Check("action IN ('opened', 'assigned', 'started', 'answered', 'returned', "
                                              "'closed', 'reopened', 'escalated', 'noted', 'notified', "
                                              "'handed_off', 'remote_update')")])
        from_status = CharField(default='')
        to_status = CharField(default='')
        department = CharField(default='')
        assignee = CharField(default='')
        text = TextField(default='')
        class Meta:
            database = db
            table_name = 'ticket_event'

    db.create_tables([Department])
    if isinstance(db, SqliteDatabase):
        rebuild_sqlite(db, Ticket)
    else:
        alter_postgresql(migrator, db, Ticket)
    db.execute_sql("UPDATE ticket SET status = 'new' WHERE status = 'open'")
    db.create_tables([TicketEvent])


def rebuild_sqlite(db, model):
    old = [c.name for c in db.get_columns('ticket')]
    for index in db.get_indexes('ticket'):
        db.execute_sql(f'DROP INDEX "{index.name}"')
    db.execute_sql('ALTER TABLE ticket RENAME TO ticket_old')
    db.create_tables([model])
    kept = [f.column_name for f in model._meta.sorted_fields if f.column_name in old]
    added = [f for f in model._meta.sorted_fields if f.column_name not in old and not f.null]
    columns = ", ".join(f'"{c}"' for c in kept + [f.column_name for f in added])
    values = ", ".join(["CASE status WHEN 'open' THEN 'new' ELSE status END" if c == 'status' else f'"{c}"'
                        for c in kept] + ["?"] * len(added))
    db.execute_sql(f'INSERT INTO ticket ({columns}) SELECT {values} FROM ticket_old',
                   [f.db_value(f.default) for f in added])
    db.execute_sql('DROP TABLE ticket_old')


def alter_postgresql(migrator, db, model):
    for column in ('kind', 'source', 'status'):
        db.execute_sql(f"ALTER TABLE ticket DROP CONSTRAINT IF EXISTS ticket_{column}_check")
    db.execute_sql("UPDATE ticket SET status = 'new' WHERE status = 'open'")
    for column, check in (('kind', KIND_CHECK), ('source', SOURCE_CHECK), ('status', STATUS_CHECK)):
        db.execute_sql(f"ALTER TABLE ticket ADD CONSTRAINT ticket_{column}_check CHECK ({check})")
    fields = model._meta.fields
    migrator.migrate(*(migrator.add_column('ticket', name, fields[name.removesuffix('_id')]
                                           if name in ('department_id',) else fields[name])
                       for name in ADDED))


def down(migrator, db):
    migrator.migrate(migrator.drop_table('ticket_event'))
