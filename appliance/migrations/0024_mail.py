# The e-mail channel (issue 17, 邮件外呼): a customer's address, the channel their notices
# prefer and the last permanent failure recorded against them; a campaign's channel; and the
# e-mail outbox (appliance/mail/models.py). Only adds columns and a table. The channels have a
# DEFAULT in the database too: bulk inserts that name no channel (the importer, the bench) get 'sms'.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('customer', 'email', CharField(null=True)),
        migrator.add_column('customer', 'channel', CharField(
            default='sms', constraints=[SQL("DEFAULT 'sms'"), Check("channel IN ('sms', 'email')")])),
        migrator.add_column('customer', 'email_failed_at', DateTimeField(null=True)),
        migrator.add_column('campaign', 'channel', CharField(
            default='sms', constraints=[SQL("DEFAULT 'sms'"), Check("channel IN ('sms', 'email', 'preference')")])),
    )

    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class Staff(Model):
        class Meta:
            database = db
            table_name = 'staff'

    class MailMessage(Model):
        to_address = CharField()
        subject = CharField()
        text_body = TextField()
        html_body = TextField()
        language = CharField(max_length=2, default='zh')
        state = CharField(default='queued', constraints=[Check(
            "state IN ('queued', 'sending', 'sent', 'failed', 'expired', 'unknown', 'cancelled')")])
        category = CharField(default='service', constraints=[Check(
            "category IN ('service', 'marketing', 'internal')")])
        kind = CharField(default='')
        priority = IntegerField(default=5)
        not_before = DateTimeField(null=True)
        not_after = DateTimeField(null=True)
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        policy_no = CharField(default='')
        campaign_id = IntegerField(null=True, index=True)
        source = CharField(default='')
        created_by = CharField(default='')
        dedupe_key = CharField(null=True, unique=True)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(null=True)
        claimed_by = CharField(default='')
        attempted_at = DateTimeField(null=True, index=True)
        sent_at = DateTimeField(null=True)
        smtp_code = IntegerField(null=True)
        failure_reason = CharField(default='')
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'mail_message'
            indexes = ((('state', 'priority', 'id'), False),)

    db.create_tables([MailMessage])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('mail_message'),
        migrator.drop_column('campaign', 'channel'),
        migrator.drop_column('customer', 'email_failed_at'),
        migrator.drop_column('customer', 'channel'),
        migrator.drop_column('customer', 'email'),
    )
