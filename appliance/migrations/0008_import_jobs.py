# Generated from a schema diff on 2026-11-22 09:49.
from peewee import *


def up(migrator, db):
    class ImportJob(Model):
        kind = CharField(constraints=[Check("kind IN ('customers', 'staff', 'policies', 'payments', 'claims')")])
        filename = CharField()
        path = CharField()
        dry_run = BooleanField(default=False)
        actor = CharField()
        source = CharField(default='')
        state = CharField(index=True, default='queued', constraints=[Check("state IN ('queued', 'running', 'done', 'failed', 'interrupted')")])
        phase = CharField(default='queued', constraints=[Check("phase IN ('queued', 'reading', 'checking', 'writing', 'finished')")])
        total = IntegerField(null=True)
        rows_read = IntegerField(default=0)
        rows_checked = IntegerField(default=0)
        rows_written = IntegerField(default=0)
        created = IntegerField(default=0)
        updated = IntegerField(default=0)
        report = TextField(default='')
        errors = TextField(default='')
        message = TextField(default='')
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'import_job'
    db.create_tables([ImportJob])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('import_job'))
