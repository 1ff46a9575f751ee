# Generated from a schema diff on 2026-11-22 08:30.
from peewee import *


def up(migrator, db):
    class ContactGroup(Model):
        class Meta:
            database = db
            table_name = 'contact_group'

    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class InboundMessage(Model):
        class Meta:
            database = db
            table_name = 'inbound_message'

    class Campaign(Model):
        name = CharField()
        kind = CharField(default='bulk', constraints=[Check("kind IN ('bulk', 'survey', 'schedule', 'subscription', 'bench')")])
        category = CharField(default='marketing', constraints=[Check("category IN ('service', 'marketing', 'internal')")])
        template_key = CharField(default='')
        text = TextField(default='')
        group = ForeignKeyField(ContactGroup, null=True, on_delete='SET NULL')
        question = TextField(default='')
        created_by = CharField(default='')
        department = CharField(default='')
        created_at = DateTimeField(index=True)
        queued = IntegerField(default=0)
        skipped = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'campaign'
    db.create_tables([Campaign])

    class InboundRoute(Model):
        inbound = ForeignKeyField(InboundMessage, unique=True, on_delete='CASCADE')
        action = CharField()
        detail = TextField(default='')
        reply_id = IntegerField(null=True)
        routed_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'inbound_route'
    db.create_tables([InboundRoute])

    class Keyword(Model):
        keyword = CharField(unique=True)
        action = CharField(constraints=[Check("action IN ('policies', 'payments', 'claims', 'performance', 'subscribe', 'unsubscribe', 'optout', 'reply')")])
        template_key = CharField(default='')
        enabled = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'keyword'
    db.create_tables([Keyword])

    class NoticeRun(Model):
        run_date = DateField(index=True)
        started_at = DateTimeField()
        queued = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'notice_run'
    db.create_tables([NoticeRun])

    class OptOut(Model):
        number = CharField()
        kind = CharField(constraints=[Check("kind IN ('optout', 'dnd')")])
        reason = CharField(default='')
        source = CharField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'opt_out'
            indexes = ((('number', 'kind'), True),)
    db.create_tables([OptOut])

    class Phrase(Model):
        category = CharField(index=True)
        text = TextField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'phrase'
    db.create_tables([Phrase])

    class Topic(Model):
        code = CharField(unique=True)
        name = CharField()
        description = TextField(default='')
        class Meta:
            database = db
            table_name = 'topic'
    db.create_tables([Topic])

    class Schedule(Model):
        name = CharField(unique=True)
        category = CharField(default='marketing', constraints=[Check("category IN ('service', 'marketing', 'internal')")])
        template_key = CharField(default='')
        text = TextField(default='')
        group = ForeignKeyField(ContactGroup, null=True, on_delete='CASCADE')
        topic = ForeignKeyField(Topic, null=True, on_delete='CASCADE')
        numbers = TextField(default='')
        cron = CharField(default='')
        run_at = DateTimeField(null=True)
        window = CharField(default='')
        expires_at = DateTimeField(null=True)
        next_run_at = DateTimeField(index=True, null=True)
        last_run_at = DateTimeField(null=True)
        enabled = BooleanField(default=True)
        created_by = CharField(default='')
        department = CharField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'schedule'
    db.create_tables([Schedule])

    class Subscription(Model):
        topic = ForeignKeyField(Topic, on_delete='CASCADE')
        number = CharField(index=True)
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        active = BooleanField(default=True)
        source = CharField(default='')
        created_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'subscription'
            indexes = ((('topic', 'number'), True),)
    db.create_tables([Subscription])

    class SurveyAnswer(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        number = CharField()
        score = IntegerField(constraints=[Check('score BETWEEN 1 AND 5')])
        inbound = ForeignKeyField(InboundMessage, null=True, on_delete='SET NULL')
        answered_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'survey_answer'
            indexes = ((('campaign', 'number'), True),)
    db.create_tables([SurveyAnswer])

    class Template(Model):
        key = CharField()
        language = CharField(max_length=2, constraints=[Check("language IN ('zh', 'en')")])
        text = TextField()
        category = CharField(default='service', constraints=[Check("category IN ('service', 'marketing', 'internal')")])
        title = CharField(default='')
        updated_at = DateTimeField()
        updated_by = CharField(default='')
        class Meta:
            database = db
            table_name = 'template'
            indexes = ((('key', 'language'), True),)
    db.create_tables([Template])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('template'))
    migrator.migrate(migrator.drop_table('survey_answer'))
    migrator.migrate(migrator.drop_table('subscription'))
    migrator.migrate(migrator.drop_table('schedule'))
    migrator.migrate(migrator.drop_table('topic'))
    migrator.migrate(migrator.drop_table('phrase'))
    migrator.migrate(migrator.drop_table('opt_out'))
    migrator.migrate(migrator.drop_table('notice_run'))
    migrator.migrate(migrator.drop_table('keyword'))
    migrator.migrate(migrator.drop_table('inbound_route'))
    migrator.migrate(migrator.drop_table('campaign'))
