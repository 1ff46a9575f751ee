# Generated from a schema diff on 2026-11-22 08:29.
from peewee import *


def up(migrator, db):
    class AdminUser(Model):
        class Meta:
            database = db
            table_name = 'admin_user'

    class ApiToken(Model):
        name = CharField(unique=True)
        token_hash = CharField(unique=True)
        role = CharField(default='operator', constraints=[Check("role IN ('admin', 'operator', 'auditor')")])
        created_at = DateTimeField()
        created_by = CharField(default='')
        last_used = DateTimeField(null=True)
        revoked = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'api_token'
    db.create_tables([ApiToken])

    class WebSession(Model):
        session_hash = CharField(unique=True)
        user = ForeignKeyField(AdminUser, on_delete='CASCADE')
        csrf_token = CharField()
        created_at = DateTimeField()
        last_seen = DateTimeField()
        expires_at = DateTimeField(index=True)
        source = CharField(default='')
        flash = TextField(default='')
        class Meta:
            database = db
            table_name = 'web_session'
    db.create_tables([WebSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('web_session'))
    migrator.migrate(migrator.drop_table('api_token'))
