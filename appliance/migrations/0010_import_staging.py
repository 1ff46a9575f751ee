"""Imports staged, then published in short batches: the job's owner and
published count, and the staged rows. Written by hand: two added columns and
a frozen table."""
from peewee import CharField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class ImportJob(Model):
        class Meta:
            database = db
            table_name = 'import_job'

    class ImportRow(Model):
        job = ForeignKeyField(ImportJob, on_delete='CASCADE')
        seq = IntegerField()
        data = TextField()

        class Meta:
            database = db
            table_name = 'import_row'
            indexes = ((('job', 'seq'), True),)
    migrator.migrate(
        migrator.add_column('import_job', 'owner', CharField(default='')),
        migrator.add_column('import_job', 'published', IntegerField(null=True)),
    )
    db.create_tables([ImportRow])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('import_row'),
                     migrator.drop_column('import_job', 'published'),
                     migrator.drop_column('import_job', 'owner'))
