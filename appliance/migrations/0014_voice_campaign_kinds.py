# Outbound voice, second part (issue 12): campaign kinds (survey, return visit, screening,
# monitor), calling windows and retries, per-customer notice facts, early audio; answers,
# screened numbers and holiday overrides. Written by hand from a schema diff.
#
# The kind and result CHECK constraints widen. SQLite cannot alter a constraint: both
# tables are rebuilt (renamed, created anew, copied, old ones dropped; the child table is
# rebuilt too, so no cascade ever runs). PostgreSQL alters them in place.
from peewee import *


def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class Policy(Model):
        class Meta:
            database = db
            table_name = 'policy'

    class VoiceCampaign(Model):
        name = CharField()
        kind = CharField(default='notice', constraints=[Check("kind IN ('notice', 'survey', 'return_visit', 'screening', 'monitor')")])
        text = TextField(default='')
        notice_type = CharField(default='')
        script = TextField(default='')
        line_group = CharField(default='default')
        window = CharField(default='')
        max_tries = IntegerField(default=3)
        retry_minutes = IntegerField(default=30)
        caller_id = CharField(default='')
        source = CharField(default='')
        state = CharField(index=True, default='draft', constraints=[Check("state IN ('draft', 'running', 'paused', 'done', 'cancelled')")])
        created_by = CharField(default='')
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'voice_campaign'

    class CallAttempt(Model):
        campaign = ForeignKeyField(VoiceCampaign, on_delete='CASCADE')
        number = CharField(index=True)
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        policy = ForeignKeyField(Policy, null=True, on_delete='SET NULL')
        variables = TextField(default='')
        try_no = IntegerField(default=1)
        state = CharField(index=True, default='queued', constraints=[Check("state IN ('queued', 'dialling', 'done', 'unknown', 'skipped')")])
        result = CharField(index=True, default='', constraints=[Check(RESULT_CHECK)])
        line_group = CharField(default='default')
        channel_id = CharField(index=True, default='')
        claimed_by = CharField(default='')
        dial_status = CharField(default='')
        hangup_cause = IntegerField(null=True)
        early_media = BooleanField(default=False)
        talk_seconds = IntegerField(null=True)
        answer_seconds = IntegerField(null=True)
        early_audio = CharField(default='')
        audio_class = CharField(default='')
        keys = CharField(default='')
        detail = TextField(default='')
        queued_at = DateTimeField()
        not_before = DateTimeField(null=True, index=True)
        dialled_at = DateTimeField(null=True)
        ended_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'call_attempt'

    class CallAnswer(Model):
        attempt = ForeignKeyField(CallAttempt, on_delete='CASCADE')
        question = IntegerField()
        answer = CharField()
        recording = CharField(default='')
        answered_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'call_answer'
            indexes = ((('attempt', 'question'), True),)

    class ScreenedNumber(Model):
        number = CharField(unique=True)
        status = CharField(constraints=[Check("status IN ('valid', 'invalid', 'unreachable', 'unknown')")])
        screened_at = DateTimeField()
        audio_class = CharField(default='')
        attempt = ForeignKeyField(CallAttempt, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'screened_number'

    class CallingDay(Model):
        day = DateField(unique=True)
        kind = CharField(constraints=[Check("kind IN ('workday', 'holiday')")])
        note = CharField(default='')
        created_by = CharField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'calling_day'

    if isinstance(db, SqliteDatabase):
        rebuild_sqlite(db, [VoiceCampaign, CallAttempt])
    else:
        alter_postgresql(migrator, db, VoiceCampaign, CallAttempt)
    db.create_tables([CallAnswer, ScreenedNumber, CallingDay])


RESULT_CHECK = ("result IN ('', 'confirmed', 'answered', 'completed', 'machine', 'busy', 'no_answer', "
                "'invalid', 'unreachable', 'rejected', 'congestion', 'failed', 'unknown')")


def rebuild_sqlite(db, models):
    """Parents first in `models`. Old tables are renamed (SQLite rewrites the child's
    reference to the renamed parent), new ones created and filled, old ones dropped
    children first, so no ON DELETE CASCADE fires."""
    old_columns = {}
    for model in models:
        table = model._meta.table_name
        old_columns[table] = [c.name for c in db.get_columns(table)]
        for index in db.get_indexes(table):
            db.execute_sql(f'DROP INDEX "{index.name}"')
        db.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
    db.create_tables(models)
    for model in models:
        table = model._meta.table_name
        kept = [f.column_name for f in model._meta.sorted_fields if f.column_name in old_columns[table]]
        added = [f for f in model._meta.sorted_fields if f.column_name not in old_columns[table] and not f.null]
        columns = ", ".join(f'"{c}"' for c in kept + [f.column_name for f in added])
        values = ", ".join([f'"{c}"' for c in kept] + ["?"] * len(added))
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) SELECT {values} FROM "{table}_old"',
                       [f.db_value(f.default) for f in added])
    for model in reversed(models):
        db.execute_sql(f'DROP TABLE "{model._meta.table_name}_old"')


def alter_postgresql(migrator, db, campaign, attempt):
    db.execute_sql("ALTER TABLE voice_campaign DROP CONSTRAINT IF EXISTS voice_campaign_kind_check")
    db.execute_sql("ALTER TABLE voice_campaign ADD CONSTRAINT voice_campaign_kind_check CHECK "
                   "(kind IN ('notice', 'survey', 'return_visit', 'screening', 'monitor'))")
    db.execute_sql("ALTER TABLE call_attempt DROP CONSTRAINT IF EXISTS call_attempt_result_check")
    db.execute_sql(f"ALTER TABLE call_attempt ADD CONSTRAINT call_attempt_result_check CHECK ({RESULT_CHECK})")
    fields = campaign._meta.fields
    migrator.migrate(*(migrator.add_column('voice_campaign', name, fields[name]) for name in
                       ('notice_type', 'script', 'window', 'max_tries', 'retry_minutes', 'caller_id', 'source')))
    fields = attempt._meta.fields
    migrator.migrate(*(migrator.add_column('call_attempt', name, fields[name.removesuffix('_id')]) for name in
                       ('policy_id', 'variables', 'answer_seconds', 'early_audio', 'audio_class', 'not_before')))


def down(migrator, db):
    for table in ('calling_day', 'screened_number', 'call_answer'):
        migrator.migrate(migrator.drop_table(table))
