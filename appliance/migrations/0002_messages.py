"""SMS outbox, parts, inbound messages, reassembly buffer and modem health (frozen copy)."""
from peewee import *


def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class Staff(Model):
        class Meta:
            database = db
            table_name = 'staff'

    class InboundMessage(Model):
        from_number = CharField(index=True)
        text = TextField()
        sent_at = DateTimeField(null=True)
        received_at = DateTimeField(index=True)
        modem = CharField(default='')
        part_count = IntegerField(default=1)
        complete = BooleanField(default=True)
        state = CharField(default='new', constraints=[Check("state IN ('new', 'handled', 'deleted')")])
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        handled_by = CharField(default='')
        handled_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'inbound_message'
    db.create_tables([InboundMessage])

    class InboundPart(Model):
        from_number = CharField()
        concat_ref = IntegerField()
        total = IntegerField()
        seq = IntegerField()
        text = TextField()
        sent_at = DateTimeField(null=True)
        received_at = DateTimeField()
        modem = CharField(default='')
        class Meta:
            database = db
            table_name = 'inbound_part'
            indexes = ((('from_number', 'concat_ref', 'total', 'seq'), True),)
    db.create_tables([InboundPart])

    class Message(Model):
        to_number = CharField(index=True)
        text = TextField()
        encoding = CharField(default='ucs2', constraints=[Check("encoding IN ('gsm7', 'ucs2')")])
        part_count = IntegerField(default=1)
        state = CharField(default='queued', constraints=[Check("state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'unknown', 'cancelled')")])
        category = CharField(default='service', constraints=[Check("category IN ('service', 'marketing', 'internal')")])
        priority = IntegerField(default=5)
        not_before = DateTimeField(null=True)
        not_after = DateTimeField(null=True)
        delivery_report = BooleanField(default=True)
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        final_at = DateTimeField(null=True)
        failure_reason = CharField(default='')
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        source = CharField(default='')
        created_by = CharField(default='')
        department = CharField(default='')
        campaign_id = IntegerField(index=True, null=True)
        dedupe_key = CharField(unique=True, null=True)
        class Meta:
            database = db
            table_name = 'message'
            indexes = ((('state', 'priority', 'id'), False),)
    db.create_tables([Message])

    class MessagePart(Model):
        message = ForeignKeyField(Message, on_delete='CASCADE')
        seq = IntegerField()
        state = CharField(default='queued', constraints=[Check("state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'unknown', 'cancelled')")])
        pdu = TextField(default='')
        concat_ref = IntegerField(null=True)
        modem = CharField(default='')
        imsi = CharField(default='')
        reference = IntegerField(null=True)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(null=True)
        sent_at = DateTimeField(index=True, null=True)
        status_at = DateTimeField(null=True)
        status_code = IntegerField(null=True)
        error = CharField(default='')
        cost = DecimalField(max_digits=8, decimal_places=4, default=0)
        carrier = CharField(default='')
        class Meta:
            database = db
            table_name = 'message_part'
            indexes = ((('message', 'seq'), True), (('modem', 'reference'), False))
    db.create_tables([MessagePart])

    class ModemStatus(Model):
        port = CharField(unique=True)
        device = CharField(default='')
        state = CharField(default='starting', constraints=[Check("state IN ('starting', 'ok', 'resetting', 'removed', 'absent')")])
        imei = CharField(default='')
        imsi = CharField(default='')
        iccid = CharField(default='')
        sim_state = CharField(default='')
        registration = CharField(default='')
        operator = CharField(default='')
        carrier = CharField(default='')
        signal_dbm = IntegerField(null=True)
        sent_today = IntegerField(default=0)
        sent_month = IntegerField(default=0)
        received = IntegerField(default=0)
        errors = IntegerField(default=0)
        busy = BooleanField(default=False)
        last_activity = DateTimeField(null=True)
        alarm = CharField(default='')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'modem_status'
    db.create_tables([ModemStatus])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('modem_status'))
    migrator.migrate(migrator.drop_table('message_part'))
    migrator.migrate(migrator.drop_table('message'))
    migrator.migrate(migrator.drop_table('inbound_part'))
    migrator.migrate(migrator.drop_table('inbound_message'))
