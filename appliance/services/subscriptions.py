"""Subscription topics (free health checks, children's products…): customers
subscribe and unsubscribe by SMS (DY / QXDY + topic code) or an admin does it;
a schedule with a topic sends its content to the active subscribers."""
from peewee import JOIN

from appliance import clock, phonebook, phones
from appliance.errors import N_, InputError, NotFound
from appliance.groups import Recipient, salutation
from appliance.models import Customer
from appliance.services.models import Subscription, Topic
from appliance.services.templates import word


def create_topic(code, name, description=""):
    code = (code or "").strip().upper()
    if not code or not code.isalnum():
        raise InputError.of(N_("{field}: letters and digits only, got {code!r}"), field="code", code=code)
    if not (name or "").strip():
        raise InputError.of(N_("{field}: empty"), field="name")
    if Topic.select().where(Topic.code == code).exists():
        raise InputError.of(N_("{field}: topic {code} exists"), field="code", code=code)
    return Topic.create(code=code, name=name.strip(), description=description)


def find_topic(code_or_name):
    """A topic by code (any case) or by its exact name; None when there is none."""
    text = (code_or_name or "").strip()
    if not text:
        return None
    return Topic.get_or_none((Topic.code == text.upper()) | (Topic.name == text))


def get_topic(code_or_name):
    topic = find_topic(code_or_name)
    if topic is None:
        raise NotFound.of(N_("{field}: no topic {code_or_name!r}"), field="topic", code_or_name=code_or_name)
    return topic


def subscribe(topic, number, source="cli"):
    """Subscribe a number; returns True if it was not subscribed already."""
    number = phones.normalize(number, "number")
    customer = phonebook.customer_by_number(number)
    row = Subscription.get_or_none(Subscription.topic == topic, Subscription.number == number)
    if row is None:
        Subscription.create(topic=topic, number=number, customer=customer, source=source)
        return True
    if row.active:
        return False
    row.active, row.cancelled_at, row.source, row.customer = True, None, source, customer
    row.save()
    return True


def unsubscribe(topic, number):
    number = phones.normalize(number, "number")
    return bool(Subscription.update(active=False, cancelled_at=clock.now())
                .where(Subscription.topic == topic, Subscription.number == number,
                       Subscription.active == True).execute())  # noqa: E712


def subscribers(topic):
    """The active subscribers as Recipients (named when the number is a customer's)."""
    rows = (Subscription.select(Subscription.number, Customer.id, Customer.name, Customer.gender,
                                Customer.language)
            .join(Customer, on=(Subscription.customer == Customer.id), join_type=JOIN.LEFT_OUTER)
            .where(Subscription.topic == topic, Subscription.active == True)  # noqa: E712
            .order_by(Subscription.id).tuples())
    out = []
    for number, cid, name, gender, language in rows:
        greeting = salutation(name, gender) if name else word("generic", "customer", language or "zh")
        out.append(Recipient(number, language or "zh", customer_id=cid,
                             variables={"name": name or "", "salutation": greeting}))
    return out


def topics_listing():
    return [{"code": t.code, "name": t.name, "description": t.description,
             "subscribers": t.subscriptions.where(Subscription.active == True).count()}  # noqa: E712
            for t in Topic.select().order_by(Topic.code)]
