"""The core tables: customers and their phone index, staff, products, policies,
payments, claims, contact groups, admin users, API tokens and browser sessions,
import jobs and the audit log.

Messages, templates, campaigns, calls and tickets live in the modules of the
features that own them. Enumerations are CHECK constraints in the schema, so a
bad value is refused by the database too, not only by this code.
"""

import email_validator
from peewee import (
    BooleanField,
    CharField,
    Check,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from appliance import clock, idcard, phones
from appliance.db import BaseModel, write_transaction
from appliance.errors import N_, InputError

GENDERS = ("M", "F", "")
CHANNELS = ("sms", "email")  # how a customer prefers notices (appliance/mail/channels.py)
LANGUAGES = ("zh", "en")
STAFF_STATUSES = ("active", "suspended", "left")
POLICY_STATUSES = ("in_force", "lapsed", "matured", "terminated")
FREQUENCIES = ("single", "annual", "semiannual", "quarterly", "monthly")
PRODUCT_KINDS = ("main", "rider")
# How a product's rate table is read (appliance/products): a rate per 1,000 yuan of sum
# insured, or a premium per unit (a unit being unit_amount yuan of sum insured).
RATE_BASES = ("per_thousand", "per_unit")
PAYMENT_STATUSES = ("received", "failed")
CLAIM_STATUSES = ("reported", "accepted", "investigating", "approved", "declined", "paid", "closed")
GROUP_KINDS = ("customer", "staff")
GROUP_RULES = ("", "region", "product", "department", "branch")  # '' = hand-picked
ROLES = ("admin", "operator", "auditor")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容",
                     "令狐", "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "南宫", "西门")


def one_of(column, values):
    quoted = ", ".join(f"'{v}'" for v in values)
    return Check(f"{column} IN ({quoted})")


class Customer(BaseModel):
    """A policyholder or insured person."""
    customer_no = CharField(unique=True, null=True)  # the core system's key
    name = CharField()
    gender = CharField(max_length=1, default="", constraints=[one_of("gender", GENDERS)])
    mobile = CharField(null=True, index=True)  # E.164
    other_phones = TextField(default="")  # E.164, comma-separated
    id_number = CharField(max_length=18, unique=True, null=True)
    birth_date = DateField(null=True)
    region = CharField(default="")
    language = CharField(max_length=2, default="zh", constraints=[one_of("language", LANGUAGES)])
    opt_out = BooleanField(default=False)  # no marketing; service notices still go
    created_at = DateTimeField(default=clock.now)
    # E-mail (0024): the address, the channel notices prefer, and the last permanent
    # failure (a 5xx from the relay) recorded against the contact.
    email = CharField(null=True)
    channel = CharField(default="sms", constraints=[one_of("channel", CHANNELS)])
    email_failed_at = DateTimeField(null=True)

    def save(self, *args, **kwargs):
        self.clean()
        with write_transaction():
            result = super().save(*args, **kwargs)
            _sync_phones(self)
        return result

    def clean(self):
        """Normalise phones and check the ID number; birth date and gender derive from it."""
        if not (self.name or "").strip():
            raise InputError.of(N_("{field}: empty"), field="name")
        if self.gender not in GENDERS:
            raise InputError.of(N_("{field}: must be M or F, got {gender!r}"), field="gender", gender=self.gender)
        if self.mobile:
            self.mobile = phones.normalize(self.mobile, "mobile")
        if self.email:
            self.email = check_email(self.email)
        elif self.email is not None:
            self.email = None
        if self.channel not in CHANNELS:
            raise InputError.of(N_("{field}: must be sms or email"), field="channel")
        if self.channel == "email" and not self.email:
            raise InputError.of(N_("{field}: e-mail chosen but no address given"), field="email")
        if self.other_phones:
            self.other_phones = ",".join(phones.normalize(p, "other_phones")
                                         for p in self.other_phones.split(",") if p.strip())
        if self.id_number:
            self.id_number = idcard.check_id_number(self.id_number)
            derived = idcard.birth_date(self.id_number)
            if self.birth_date is None:
                self.birth_date = derived
            elif self.birth_date != derived:
                raise InputError.of(N_("{field}: {birth_date} differs from the ID number's {derived}"),
                                    field="birth_date", birth_date=self.birth_date, derived=derived)
            if not self.gender:
                self.gender = idcard.gender(self.id_number)

    @property
    def salutation(self):
        """张先生 / 李女士, or the full name when gender is unknown."""
        if not self.gender:
            return self.name
        return surname(self.name) + {"M": "先生", "F": "女士"}[self.gender]

    @property
    def masked_name(self):
        """张先生 / 李女士 / 王客户: what a text to someone else (the agent) says of the
        customer; with the policy number it says whom it means, and never the full name."""
        return surname(self.name) + {"M": "先生", "F": "女士"}.get(self.gender, "客户")


def check_email(address, field="email"):
    """The address normalised (domain lower-cased, IDN encoded), or InputError naming the field.
    email-validator's syntax check only: a box on a branch LAN cannot ask DNS."""
    try:
        return email_validator.validate_email(address.strip(), check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        raise InputError.of(N_("{field}: not an e-mail address: {address}"), field=field,
                            address=address) from None


def surname(name):
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


class Staff(BaseModel):
    """An agent (业务员) or an employee of the branch."""
    badge_no = CharField(unique=True)  # 工号
    name = CharField()
    gender = CharField(max_length=1, default="", constraints=[one_of("gender", GENDERS)])
    mobile = CharField(null=True, index=True)
    branch = CharField(default="")
    department = CharField(default="")
    status = CharField(default="active", constraints=[one_of("status", STAFF_STATUSES)])
    licence_no = CharField(default="")  # 执业证号
    birthday = DateField(null=True)
    created_at = DateTimeField(default=clock.now)
    # The IVR's staff line (内部联系): a PIN hashed as admin passwords are (appliance/users.py),
    # failures in a row, and the end of a lockout (appliance/ivr/staff_access.py).
    pin_hash = CharField(default="")
    pin_failures = IntegerField(default=0)
    pin_locked_until = DateTimeField(null=True)
    # No birthday greeting to them and no reminder about them to colleagues (notices).
    greetings_opt_out = BooleanField(default=False)

    def save(self, *args, **kwargs):
        if not (self.badge_no or "").strip():
            raise InputError.of(N_("{field}: empty"), field="badge_no")
        if self.status not in STAFF_STATUSES:
            raise InputError.of(N_("{field}: must be one of {choices}"),
                                field="status", choices=', '.join(STAFF_STATUSES))
        if self.mobile:
            self.mobile = phones.normalize(self.mobile, "mobile")
        return super().save(*args, **kwargs)


class Product(BaseModel):
    code = CharField(unique=True)
    name = CharField()
    kind = CharField(default="main", constraints=[one_of("kind", PRODUCT_KINDS)])
    # Premium rules (appliance/products, migration 0023): the rate table's basis, the sum
    # insured of one unit, and the key a caller presses for it on the IVR ('' = not offered).
    rate_basis = CharField(default="per_thousand", constraints=[one_of("rate_basis", RATE_BASES)])
    unit_amount = DecimalField(max_digits=16, decimal_places=2, default=1000,
                               constraints=[Check("unit_amount > 0")])
    ivr_key = CharField(default="")


class Policy(BaseModel):
    policy_no = CharField(unique=True)
    product = ForeignKeyField(Product, backref="policies", on_delete="RESTRICT")
    holder = ForeignKeyField(Customer, backref="policies_held", on_delete="RESTRICT")
    insured = ForeignKeyField(Customer, backref="policies_insured", null=True, on_delete="RESTRICT")
    agent = ForeignKeyField(Staff, backref="policies", null=True, on_delete="SET NULL")
    premium = DecimalField(max_digits=14, decimal_places=2, constraints=[Check("premium >= 0")])
    frequency = CharField(default="annual", constraints=[one_of("frequency", FREQUENCIES)])
    sum_assured = DecimalField(max_digits=16, decimal_places=2, default=0,
                               constraints=[Check("sum_assured >= 0")])
    issue_date = DateField(null=True)
    next_due_date = DateField(null=True, index=True)
    grace_end = DateField(null=True, index=True)
    maturity_date = DateField(null=True)
    status = CharField(default="in_force", constraints=[one_of("status", POLICY_STATUSES)], index=True)
    created_at = DateTimeField(default=clock.now)


class Payment(BaseModel):
    policy = ForeignKeyField(Policy, backref="payments", on_delete="CASCADE")
    amount = DecimalField(max_digits=14, decimal_places=2, constraints=[Check("amount >= 0")])
    due_date = DateField(null=True)  # the due period this payment covers
    paid_on = DateField(index=True)
    method = CharField(default="")  # bank transfer, card, cash…
    status = CharField(default="received", constraints=[one_of("status", PAYMENT_STATUSES)])
    reference = CharField(default="")
    failure_reason = CharField(default="")


class Claim(BaseModel):
    claim_no = CharField(unique=True)
    policy = ForeignKeyField(Policy, backref="claims", on_delete="RESTRICT")
    status = CharField(default="reported", constraints=[one_of("status", CLAIM_STATUSES)])
    amount_claimed = DecimalField(max_digits=14, decimal_places=2, default=0)
    amount_paid = DecimalField(max_digits=14, decimal_places=2, default=0)
    reported_on = DateField()
    decided_on = DateField(null=True)
    paid_on = DateField(null=True)
    decline_reason = CharField(default="")


class ContactGroup(BaseModel):
    """A group of customers or staff: by a rule (region, product, department,
    branch equal to rule_value) or hand-picked members."""
    name = CharField(unique=True)
    kind = CharField(constraints=[one_of("kind", GROUP_KINDS)])
    rule = CharField(default="", constraints=[one_of("rule", GROUP_RULES)])
    rule_value = CharField(default="")
    description = TextField(default="")
    created_at = DateTimeField(default=clock.now)


class GroupMember(BaseModel):
    group = ForeignKeyField(ContactGroup, backref="members", on_delete="CASCADE")
    customer = ForeignKeyField(Customer, null=True, on_delete="CASCADE")
    staff = ForeignKeyField(Staff, null=True, on_delete="CASCADE")

    class Meta:
        constraints = [Check("(customer_id IS NULL) <> (staff_id IS NULL)")]
        indexes = ((("group", "customer", "staff"), True),)


class AdminUser(BaseModel):
    username = CharField(unique=True)
    password_hash = CharField()
    role = CharField(constraints=[one_of("role", ROLES)])
    must_change_password = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    last_login = DateTimeField(null=True)
    disabled = BooleanField(default=False)


class AuditLog(BaseModel):
    """Who did what, when, from where. Details never hold secrets or unmasked IDs."""
    at = DateTimeField(default=clock.now, index=True)
    actor = CharField()        # user name, 'api:TOKEN-NAME', 'cli', 'system'
    action = CharField()       # 'customer.update', 'sms.send', …
    target = CharField(default="")
    detail = TextField(default="")
    source = CharField(default="")  # IP address or 'cli'


def audit(actor, action, target="", detail="", source=""):
    """Record one admin action in the audit log."""
    return AuditLog.create(actor=actor, action=action, target=str(target), detail=detail, source=source)


class CustomerPhone(BaseModel):
    customer = ForeignKeyField(Customer, on_delete="CASCADE", backref="phone_rows")
    number = CharField(index=True)  # E.164

    class Meta:
        table_name = "customer_phone"
        indexes = ((("customer", "number"), True),)


def phone_numbers_of(customer):
    """The E.164 numbers a customer can be reached at or call from, mobile first."""
    numbers = [customer.mobile] if customer.mobile else []
    for number in (customer.other_phones or "").split(","):
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def _sync_phones(customer):
    """Make the index rows match the customer's numbers. Customer.save() calls it
    inside the transaction of the save itself."""
    CustomerPhone.delete().where(CustomerPhone.customer == customer.id).execute()
    rows = [{"customer": customer.id, "number": n} for n in phone_numbers_of(customer)]
    if rows:
        CustomerPhone.insert_many(rows).execute()


class ApiToken(BaseModel):
    """A bearer token for the JSON API, used by the insurer's core systems."""
    name = CharField(unique=True)
    token_hash = CharField(unique=True)
    role = CharField(default="operator", constraints=[one_of("role", ROLES)])
    created_at = DateTimeField(default=clock.now)
    created_by = CharField(default="")
    last_used = DateTimeField(null=True)
    revoked = BooleanField(default=False)


class WebSession(BaseModel):
    """A signed-in browser. The cookie holds the secret; the row holds its hash."""
    session_hash = CharField(unique=True)
    user = ForeignKeyField(AdminUser, backref="sessions", on_delete="CASCADE")
    csrf_token = CharField()
    created_at = DateTimeField(default=clock.now)
    last_seen = DateTimeField(default=clock.now)
    expires_at = DateTimeField(index=True)
    source = CharField(default="")  # IP address at sign-in
    flash = TextField(default="")   # one message for the next page ("kind:text")


IMPORT_KINDS = ("customers", "staff", "policies", "payments", "claims")  # importer.SPECS
IMPORT_STATES = ("queued", "running", "done", "failed", "interrupted")


IMPORT_PHASES = ("queued", "reading", "checking", "writing", "finished")


class ImportJob(BaseModel):
    """One uploaded file being (or having been) imported."""
    kind = CharField(constraints=[one_of("kind", IMPORT_KINDS)])
    filename = CharField()
    path = CharField()                      # the uploaded copy, deleted when the job ends
    dry_run = BooleanField(default=False)
    actor = CharField()
    source = CharField(default="")
    state = CharField(default="queued", index=True, constraints=[one_of("state", IMPORT_STATES)])
    phase = CharField(default="queued", constraints=[one_of("phase", IMPORT_PHASES)])
    total = IntegerField(null=True)         # data rows in the file, once read
    rows_read = IntegerField(default=0)
    rows_checked = IntegerField(default=0)
    rows_written = IntegerField(default=0)
    created = IntegerField(default=0)
    updated = IntegerField(default=0)
    report = TextField(default="")          # JSON: the importer's report when done
    errors = TextField(default="")          # JSON: the row errors when refused
    message = TextField(default="")         # one line: why it failed
    created_at = DateTimeField(default=clock.now)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    owner = CharField(default="")           # host:pid of the process running it
    published = IntegerField(null=True)     # staged rows published so far; None: not publishing

    class Meta:
        table_name = "import_job"


class ImportRow(BaseModel):
    """A checked row staged for its job, published (and deleted) in short batches."""
    job = ForeignKeyField(ImportJob, on_delete="CASCADE")
    seq = IntegerField()
    data = TextField()                      # JSON: the row's converted values
    undo = TextField(null=True)             # JSON, on a published batch's last row: how to take it back

    class Meta:
        table_name = "import_row"
        indexes = ((("job", "seq"), True),)
