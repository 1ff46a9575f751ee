"""Foundation: the insurance data model, admin users and the audit log (frozen copy)."""
from peewee import *


def up(migrator, db):
    class AdminUser(Model):
        username = CharField(unique=True)
        password_hash = CharField()
        role = CharField(constraints=[Check("role IN ('admin', 'operator', 'auditor')")])
        must_change_password = BooleanField(default=True)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField()
        last_login = DateTimeField(null=True)
        disabled = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'admin_user'
    db.create_tables([AdminUser])

    class AuditLog(Model):
        at = DateTimeField(index=True)
        actor = CharField()
        action = CharField()
        target = CharField(default='')
        detail = TextField(default='')
        source = CharField(default='')
        class Meta:
            database = db
            table_name = 'audit_log'
    db.create_tables([AuditLog])

    class Product(Model):
        code = CharField(unique=True)
        name = CharField()
        kind = CharField(default='main', constraints=[Check("kind IN ('main', 'rider')")])
        class Meta:
            database = db
            table_name = 'product'
    db.create_tables([Product])

    class Customer(Model):
        customer_no = CharField(unique=True, null=True)
        name = CharField()
        gender = CharField(max_length=1, default='', constraints=[Check("gender IN ('M', 'F', '')")])
        mobile = CharField(index=True, null=True)
        other_phones = TextField(default='')
        id_number = CharField(unique=True, null=True, max_length=18)
        birth_date = DateField(null=True)
        region = CharField(default='')
        language = CharField(max_length=2, default='zh', constraints=[Check("language IN ('zh', 'en')")])
        opt_out = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'customer'
    db.create_tables([Customer])

    class Staff(Model):
        badge_no = CharField(unique=True)
        name = CharField()
        gender = CharField(max_length=1, default='', constraints=[Check("gender IN ('M', 'F', '')")])
        mobile = CharField(index=True, null=True)
        branch = CharField(default='')
        department = CharField(default='')
        status = CharField(default='active', constraints=[Check("status IN ('active', 'suspended', 'left')")])
        licence_no = CharField(default='')
        birthday = DateField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'staff'
    db.create_tables([Staff])

    class Policy(Model):
        policy_no = CharField(unique=True)
        product = ForeignKeyField(Product, on_delete='RESTRICT')
        holder = ForeignKeyField(Customer, on_delete='RESTRICT')
        insured = ForeignKeyField(Customer, null=True, on_delete='RESTRICT')
        agent = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        premium = DecimalField(max_digits=14, decimal_places=2, constraints=[Check('premium >= 0')])
        frequency = CharField(default='annual', constraints=[Check("frequency IN ('single', 'annual', 'semiannual', 'quarterly', 'monthly')")])
        sum_assured = DecimalField(max_digits=16, decimal_places=2, default=0, constraints=[Check('sum_assured >= 0')])
        issue_date = DateField(null=True)
        next_due_date = DateField(index=True, null=True)
        grace_end = DateField(index=True, null=True)
        maturity_date = DateField(null=True)
        status = CharField(index=True, default='in_force', constraints=[Check("status IN ('in_force', 'lapsed', 'matured', 'terminated')")])
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'policy'
    db.create_tables([Policy])

    class Claim(Model):
        claim_no = CharField(unique=True)
        policy = ForeignKeyField(Policy, on_delete='RESTRICT')
        status = CharField(default='reported', constraints=[Check("status IN ('reported', 'accepted', 'investigating', 'approved', 'declined', 'paid', 'closed')")])
        amount_claimed = DecimalField(max_digits=14, decimal_places=2, default=0)
        amount_paid = DecimalField(max_digits=14, decimal_places=2, default=0)
        reported_on = DateField()
        decided_on = DateField(null=True)
        paid_on = DateField(null=True)
        decline_reason = CharField(default='')
        class Meta:
            database = db
            table_name = 'claim'
    db.create_tables([Claim])

    class ContactGroup(Model):
        name = CharField(unique=True)
        kind = CharField(constraints=[Check("kind IN ('customer', 'staff')")])
        rule = CharField(default='', constraints=[Check("rule IN ('', 'region', 'product', 'department', 'branch')")])
        rule_value = CharField(default='')
        description = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'contact_group'
    db.create_tables([ContactGroup])

    class GroupMember(Model):
        group = ForeignKeyField(ContactGroup, on_delete='CASCADE')
        customer = ForeignKeyField(Customer, null=True, on_delete='CASCADE')
        staff = ForeignKeyField(Staff, null=True, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'group_member'
            constraints = [Check('(customer_id IS NULL) <> (staff_id IS NULL)')]
            indexes = ((('group', 'customer', 'staff'), True),)
    db.create_tables([GroupMember])

    class Payment(Model):
        policy = ForeignKeyField(Policy, on_delete='CASCADE')
        amount = DecimalField(max_digits=14, decimal_places=2, constraints=[Check('amount >= 0')])
        due_date = DateField(null=True)
        paid_on = DateField(index=True)
        method = CharField(default='')
        status = CharField(default='received', constraints=[Check("status IN ('received', 'failed')")])
        reference = CharField(default='')
        failure_reason = CharField(default='')
        class Meta:
            database = db
            table_name = 'payment'
    db.create_tables([Payment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('payment'))
    migrator.migrate(migrator.drop_table('group_member'))
    migrator.migrate(migrator.drop_table('contact_group'))
    migrator.migrate(migrator.drop_table('claim'))
    migrator.migrate(migrator.drop_table('policy'))
    migrator.migrate(migrator.drop_table('staff'))
    migrator.migrate(migrator.drop_table('customer'))
    migrator.migrate(migrator.drop_table('product'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('admin_user'))
