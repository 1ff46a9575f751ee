# Outbound voice (issue 12): campaigns and call attempts. Generated from a schema diff on 2026-11-30 04:53.
from peewee import *


def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class VoiceCampaign(Model):
        name = CharField()
        kind = CharField(default='notice', constraints=[Check("kind IN ('notice')")])
        text = TextField(default='')
        line_group = CharField(default='default')
        state = CharField(index=True, default='draft', constraints=[Check("state IN ('draft', 'running', 'paused', 'done', 'cancelled')")])
        created_by = CharField(default='')
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'voice_campaign'
    db.create_tables([VoiceCampaign])

    class CallAttempt(Model):
        campaign = ForeignKeyField(VoiceCampaign, on_delete='CASCADE')
        number = CharField(index=True)
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        try_no = IntegerField(default=1)
        state = CharField(index=True, default='queued', constraints=[Check("state IN ('queued', 'dialling', 'done', 'unknown', 'skipped')")])
        result = CharField(index=True, default='', constraints=[Check("result IN ('', 'confirmed', 'answered', 'busy', 'no_answer', 'invalid', 'unreachable', 'rejected', 'congestion', 'failed', 'unknown')")])
        line_group = CharField(default='default')
        channel_id = CharField(index=True, default='')
        claimed_by = CharField(default='')
        dial_status = CharField(default='')
        hangup_cause = IntegerField(null=True)
        early_media = BooleanField(default=False)
        talk_seconds = IntegerField(null=True)
        keys = CharField(default='')
        detail = TextField(default='')
        queued_at = DateTimeField()
        dialled_at = DateTimeField(null=True)
        ended_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'call_attempt'
    db.create_tables([CallAttempt])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('call_attempt'))
    migrator.migrate(migrator.drop_table('voice_campaign'))
