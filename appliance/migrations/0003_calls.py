"""IVR: tickets, call records, menu tree, policy lockouts and agent checks (frozen copy).

(Written once by a developer tool from the models of that time; frozen since.)
"""
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

    class Staff(Model):
        class Meta:
            database = db
            table_name = 'staff'

    class Ticket(Model):
        number = CharField(unique=True, null=True)
        kind = CharField(index=True, constraints=[Check("kind IN ('complaint', 'callback', 'phone-application', 'agent-report', 'alert')")])
        source = CharField(constraints=[Check("source IN ('ivr', 'sms', 'web', 'system')")])
        status = CharField(index=True, default='open', constraints=[Check("status IN ('open', 'in_progress', 'closed')")])
        caller = CharField(index=True, default='')
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        policy = ForeignKeyField(Policy, null=True, on_delete='SET NULL')
        text = TextField(default='')
        recording = CharField(default='')
        call_id = IntegerField(null=True)
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        handled_by = CharField(default='')
        resolution = TextField(default='')
        closed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'ticket'
    db.create_tables([Ticket])

    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class Staff(Model):
        class Meta:
            database = db
            table_name = 'staff'

    class Call(Model):
        uniqueid = CharField(index=True, default='')
        script = CharField(default='ivr')
        channel = CharField(default='')
        caller_id = CharField(index=True, default='')
        caller_name = CharField(default='')
        called_number = CharField(default='')
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        language = CharField(default='zh')
        started_at = DateTimeField(index=True)
        ended_at = DateTimeField(null=True)
        path = TextField(default='[]')
        keys = TextField(default='[]')
        outcome = CharField(index=True, default='in_progress', constraints=[Check("outcome IN ('in_progress', 'completed', 'caller_hung_up', 'transferred', 'error', 'interrupted')")])
        ended_in = CharField(default='')
        detail = TextField(default='')
        class Meta:
            database = db
            table_name = 'call'
    db.create_tables([Call])

    class MenuNode(Model):
        name = CharField(unique=True)
        parent = ForeignKeyField('self', null=True, on_delete='CASCADE')
        digit = CharField(max_length=1, default='')
        title = CharField(default='')
        prompt = CharField()
        action = CharField(default='menu', constraints=[Check("action IN ('menu', 'policy', 'agent_check', 'claim', 'message', 'callback', 'phone_application', 'operator')")])
        timeout_ms = IntegerField(default=5000)
        retries = IntegerField(default=3)
        fallback = CharField(default='goodbye', constraints=[Check("fallback IN ('goodbye', 'operator', 'back')")])
        position = IntegerField(default=0)
        enabled = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'menu_node'
            indexes = ((('parent', 'digit'), False),)
    db.create_tables([MenuNode])

    class Policy(Model):
        class Meta:
            database = db
            table_name = 'policy'

    class Staff(Model):
        class Meta:
            database = db
            table_name = 'staff'

    class AgentCheck(Model):
        at = DateTimeField(index=True)
        caller = CharField(default='')
        badge_no = CharField()
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        result = CharField(constraints=[Check("result IN ('active', 'suspended', 'left', 'unknown')")])
        call_id = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'agent_check'
    db.create_tables([AgentCheck])

    class PolicyLockout(Model):
        policy = ForeignKeyField(Policy, unique=True, on_delete='CASCADE')
        failures = IntegerField(default=0)
        last_failure_at = DateTimeField(null=True)
        locked_until = DateTimeField(null=True)
        last_caller = CharField(default='')
        class Meta:
            database = db
            table_name = 'policy_lockout'
    db.create_tables([PolicyLockout])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('policy_lockout'))
    migrator.migrate(migrator.drop_table('agent_check'))
    migrator.migrate(migrator.drop_table('menu_node'))
    migrator.migrate(migrator.drop_table('call'))
    migrator.migrate(migrator.drop_table('ticket'))
