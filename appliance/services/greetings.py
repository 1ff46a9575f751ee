"""Customer greetings (birthdays, festivals) as dated targets of the notice run.

A target is one date's greeting to a set of customers: the birthdays of a date, or a
festival (a name in notices.festivals) to every customer holding a policy in force. A
paced run (notices.pace) sees the targets of today and the next notices.greeting_lead_days
days, so a big festival is spread over the days before it (appliance/services/pacing.py);
an unpaced run sees today's only. Never after the date: on the day after, a target is gone.

Counting is cheap on a big book: the recipients of a target are one COUNT, those already
greeted another (a range of the unique dedupe_key index: every key of a target starts with
its prefix), so a run knows how many are left without reading a customer. The dedupe keys
name the target's date's year (holiday:春节:2027:ID, birthday:ID:2027), so a greeting sent
early for New Year's Day is the one of the new year.
"""
import datetime
import functools
import operator
from dataclasses import dataclass, field

import peewee

from appliance import db as dbmod
from appliance.mail import outbox as mail_outbox
from appliance.mail.models import MailMessage
from appliance.models import Customer, Policy, surname
from appliance.services import optout
from appliance.services.festivals import greeting_festivals
from appliance.services.models import OptOut
from appliance.services.templates import word
from appliance.sms.models import Message

# Greetings are read and queued Chinese first (most of the book; English texts often take more parts).
LANGUAGES = ("zh", "en")


def _reading_order(language):
    return (LANGUAGES.index(language) if language in LANGUAGES else len(LANGUAGES), language)


# Texts with these words say "today": they go on the date itself, never early.
TODAY_WORDS = ("今天", "今日", "today")


@dataclass
class Target:
    date: datetime.date
    kind: str               # template: birthday | holiday
    festival: str = ""      # the festival's name (lunar_python's), for holiday
    left: dict = field(default_factory=dict)    # language -> recipients not greeted yet
    bounds: dict = field(default_factory=dict)  # language -> most parts one greeting takes
    share: int = 0          # greetings to queue today (pacing.shares), read language by language (LANGUAGES)

    @property
    def remaining(self):
        return sum(self.left.values())

    def groups(self):
        """(language, left, parts bound) in the order greetings are read and queued."""
        return [(language, self.left[language], self.bounds.get(language, 1))
                for language in sorted(self.left, key=_reading_order) if self.left[language]]

    def parts(self, count):
        """Most parts the first `count` greetings still left take."""
        total = 0
        for _, left, bound in self.groups():
            take = min(left, count)
            total, count = total + take * bound, count - take
        return total

    def most_within(self, parts):
        """How many of the greetings left fit into `parts`."""
        count = 0
        for _, left, bound in self.groups():
            take = min(left, parts // bound)
            count, parts = count + take, parts - take * bound
            if take < left:
                break
        return count

    def quotas(self):
        """{language: greetings to queue today}: the share, language by language."""
        out, count = {}, self.share
        for language, left, _ in self.groups():
            out[language] = min(left, count)
            count -= out[language]
        return {language: n for language, n in out.items() if n}

    @property
    def prefix(self):
        """What every dedupe key of a festival's greeting starts with."""
        return f"holiday:{self.festival}:{self.date.year}:"

    def key_of(self, customer_id):
        if self.kind == "holiday":
            return f"{self.prefix}{customer_id}"
        return f"birthday:{customer_id}:{self.date.year}"

    def label(self):
        return f"{self.kind}:{self.festival}:{self.date}" if self.festival else f"{self.kind}:{self.date}"


def targets(config, today, lead_days):
    """The greeting targets of dates today … today + lead_days, nearest first."""
    found = []
    for offset in range(lead_days + 1):
        day = today + datetime.timedelta(days=offset)
        if config["notices.birthday"]:
            found.append(Target(day, "birthday"))
        found += [Target(day, "holiday", name) for name in greeting_festivals(day, config["notices.festivals"])]
    return found


def birthdays_on(day):
    """The (month, day) birthdays greeted on `day`: 29 February ones on 28 February in
    other years."""
    leap_day = day.month == 2 and day.day == 28 and not _is_leap(day.year)
    return [(day.month, day.day)] + ([(2, 29)] if leap_day else [])


def born_on(column, days):
    return functools.reduce(operator.or_, [(column.month == month) & (column.day == day) for month, day in days])


def _is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def recipients(target, bounds=None, blocked=False):
    """The customers a target greets (holders of a policy in force, reachable by SMS or
    mail, on neither the opt-out nor the do-not-disturb list: one query counts and reads
    the same people), within the id range `bounds` (low, high) when given. `blocked`:
    those it does not greet for their opt-out or DND instead."""
    holders = Policy.select(Policy.holder).where(Policy.status == "in_force")
    reachable = Customer.mobile.is_null(False) | ((Customer.channel == "email") & Customer.email.is_null(False))
    allowed = (Customer.opt_out == False) & (  # noqa: E712  greetings are marketing
        Customer.mobile.is_null() | Customer.mobile.not_in(
            OptOut.select(OptOut.number).where(OptOut.kind.in_(optout.BLOCKED_BY["marketing"]))))
    query = (Customer.select(Customer.id, Customer.name, Customer.gender, Customer.mobile, Customer.language,
                             Customer.birth_date, Customer.email, Customer.channel, Customer.opt_out)
             .where(reachable, ~allowed if blocked else allowed))
    if bounds is not None:
        holders = holders.where(Policy.holder >= bounds[0], Policy.holder < bounds[1])
        query = query.where(Customer.id >= bounds[0], Customer.id < bounds[1])
    query = query.where(Customer.id.in_(holders))
    if target.kind == "birthday":
        days = [f"{month:02d}-{day:02d}" for month, day in birthdays_on(target.date)]
        query = query.where(Customer.birth_date.is_null(False), _month_day(Customer.birth_date).in_(days))
    return query


def _birthday_rows(found):
    """(target, id, language) of every birthday target's recipients, in one pass over the book
    (the month and day as one 'MM-DD' a row, not a date function per day asked)."""
    of_day = {f"{month:02d}-{day:02d}": target for target in found for month, day in birthdays_on(target.date)}
    month_day = _month_day(Customer.birth_date)
    query = (recipients(Target(found[0].date, "all")).select(Customer.id, Customer.language, month_day)
             .where(Customer.birth_date.is_null(False), month_day.in_(list(of_day))))
    for customer_id, language, day in query.tuples():
        yield of_day[day], customer_id, language


def _month_day(column):
    """'MM-DD' of a date column: SQLite keeps dates as ISO text, PostgreSQL formats them."""
    if isinstance(dbmod.database.obj, peewee.PostgresqlDatabase):
        return peewee.fn.to_char(column, "MM-DD")
    return peewee.fn.substr(column, 6, 5)


def already(target, ids):
    """The ids among `ids` whose greeting of this target went already, by SMS or by mail."""
    keys = {target.key_of(i): i for i in ids}
    done, listed = set(), list(keys)
    for start in range(0, len(listed), 500):
        for model in (Message, MailMessage):
            done.update(keys[k] for (k,) in model.select(model.dedupe_key)
                        .where(model.dedupe_key.in_(listed[start:start + 500])).tuples())
    return done


def _after(prefix):
    """The least string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def count_remaining(found):
    """Set each target's `left` ({language: recipients not greeted yet}). The festivals'
    recipients are one grouped COUNT (the same people for every festival), those greeted
    another each (its dedupe keys are one range of the unique index); the birthdays' cohorts
    are read in one pass and looked up by key (a day's births are few)."""
    festivals = [t for t in found if t.kind == "holiday"]
    if festivals:
        everyone = dict(recipients(festivals[0]).select(Customer.language, peewee.fn.COUNT(Customer.id))
                        .group_by(Customer.language).tuples())
    for target in festivals:
        done = {}
        for model in (Message, MailMessage):
            for language, n in (model.select(Customer.language, peewee.fn.COUNT(model.id))
                                .join(Customer, on=(model.customer == Customer.id))
                                .where(model.dedupe_key >= target.prefix, model.dedupe_key < _after(target.prefix))
                                .group_by(Customer.language).tuples()):
                done[language] = done.get(language, 0) + n
        target.left = {language: max(0, n - done.get(language, 0)) for language, n in everyone.items()}
    birthdays = [t for t in found if t.kind == "birthday"]
    cohorts = {id(t): [] for t in birthdays}
    for target, customer_id, language in (_birthday_rows(birthdays) if birthdays else ()):
        cohorts[id(target)].append((customer_id, language))
    for target in birthdays:
        rows = cohorts[id(target)]
        greeted = already(target, [i for i, _ in rows])
        target.left = {}
        for i, language in rows:
            if i not in greeted:
                target.left[language] = target.left.get(language, 0) + 1
    return found


def says_today(text):
    """Does a greeting text say "today" (then it must not go early)?"""
    lowered = text.lower()
    return any(word in lowered for word in TODAY_WORDS)


def longest_name():
    """The longest customer name (characters): the per-template upper bound of a greeting's parts."""
    return Customer.select(peewee.fn.MAX(peewee.fn.LENGTH(Customer.name))).scalar() or 0


# What a greeting needs of its customer; recipients() reads more (birth date, language,
# opt-out), held for up to 50,000 rows a slice: ~10 MB less at a festival run's peak.
READ_COLUMNS = (Customer.id, Customer.name, Customer.gender, Customer.mobile, Customer.email, Customer.channel)


def read(config, target, language, quota, opening, slices, renderer, composer, show=True):
    """The first `quota` greetings of a target in `language` not gone yet, a slice of
    customers (id ranges `slices`) at a time: yields (sms rows for outbox.queue_planned, mail
    rows, [{type, key, to, text}]) per slice and stops reading once the quota is used.
    The database leaves out who was greeted (a lookup of each one's dedupe key in the unique
    index) and stops at the quota, so only what is queued is read, as plain rows. Without
    `show` the third list stays empty (a run without details: 50,000 dicts a slice less)."""
    not_before, not_after = opening
    festival = word("festival", target.festival, language) if target.festival else None
    if target.kind == "birthday":
        slices = [None]  # a day's births: one query, not one per slice of the book
    for bounds in slices:
        if quota <= 0:
            return
        rows = list(pending(target, bounds).where(Customer.language == language)
                    .select(*READ_COLUMNS).order_by(Customer.id).limit(quota).namedtuples())
        quota -= len(rows)
        sms, mails, shown = [], [], []
        for customer in rows:
            variables = {"name": customer.name, "salutation": salutation(customer.name, customer.gender)}
            if festival:
                variables["festival"] = festival
            key = target.key_of(customer.id)
            email = mail_outbox.mail_address(customer)
            if email:  # the customer prefers e-mail: the same greeting, the same window
                composed = composer.compose(variables, language)
                if show:
                    shown.append({"type": target.kind, "key": key, "to": email, "channel": "email",
                                  "text": composed[1]})
                mails.append(mail_outbox.row(email, composed, category="marketing", kind=target.kind,
                                             language=language, not_before=not_before, not_after=not_after,
                                             customer=customer.id, source="notice", created_by="notices",
                                             dedupe_key=key, priority=7))
                continue
            text = renderer.render(variables, language)
            if show:
                shown.append({"type": target.kind, "key": key, "to": customer.mobile, "text": text})
            sms.append({"to_number": customer.mobile, "text": text, "category": "marketing",
                        "not_before": not_before, "not_after": not_after, "customer": customer.id,
                        "source": "notice", "created_by": "notices", "dedupe_key": key, "priority": 7})
        yield sms, mails, shown


def pending(target, bounds=None):
    """recipients() whose greeting of this target has not gone yet, by SMS or by mail."""
    if target.kind == "holiday":
        key = peewee.Value(target.prefix).concat(Customer.id.cast("text"))
    else:
        key = peewee.Value("birthday:").concat(Customer.id.cast("text")).concat(f":{target.date.year}")
    gone = [~peewee.fn.EXISTS(model.select(model.id).where(model.dedupe_key == key)) for model in (Message, MailMessage)]
    return recipients(target, bounds).where(*gone)


def salutation(name, gender):
    """Customer.salutation of a plain row: 张先生 / 李女士, or the full name without a gender."""
    return surname(name) + {"M": "先生", "F": "女士"}[gender] if gender else name
