# Paced campaigns (issue 18, services.campaign_pace): a campaign never queues more than can go out in its
# window. What does not fit the launch day waits in campaign_pending (rendered) and the services
# daemon queues each next day's share; the campaign row keeps its progress (pending, unsent, the
# share of the day still to queue, the day of the next share) and what the shares need (window,
# expiry, priority, source). Only adds columns and a table.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('campaign', 'pending', IntegerField(default=0)),
        migrator.add_column('campaign', 'unsent', IntegerField(default=0)),
        migrator.add_column('campaign', 'share_left', IntegerField(default=0)),
        migrator.add_column('campaign', 'next_share_on', DateField(null=True)),
        migrator.add_column('campaign', 'window', CharField(default='')),
        migrator.add_column('campaign', 'expires_at', DateTimeField(null=True)),
        migrator.add_column('campaign', 'priority', IntegerField(default=7)),
        migrator.add_column('campaign', 'source', CharField(default='campaign')),
    )

    class Campaign(Model):
        class Meta:
            database = db
            table_name = 'campaign'

    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class CampaignPending(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        seq = IntegerField()
        to_number = CharField()
        text = TextField()
        parts = IntegerField()
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        staff_id = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'campaign_pending'
            indexes = ((('campaign', 'seq'), True),)

    db.create_tables([CampaignPending])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('campaign_pending'))
    for column in ('source', 'priority', 'expires_at', 'window', 'next_share_on', 'share_left', 'unsent', 'pending'):
        migrator.migrate(migrator.drop_column('campaign', column))
