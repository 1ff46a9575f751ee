# Singletons elected through the database (issue 16): one lease row per singleton, taken and
# renewed by conditional UPDATEs (appliance/cluster/leadership.py).
from peewee import *


def up(migrator, db):
    class Lease(Model):
        name = CharField(primary_key=True)
        holder = CharField(default='')
        token = IntegerField(default=0)
        taken_at = DateTimeField(null=True)
        expires_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'lease'

    db.create_tables([Lease])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('lease'))
