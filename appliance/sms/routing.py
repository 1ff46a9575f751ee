"""Routing rules: which bearer carries each SMS (the modem pool or the SMPP account).

bearer_for(config, category, to_number) is asked when a message is queued
(appliance.sms.outbox stores the answer in Message.bearer); the setting sms.route_<category>
says modem, smpp or cheapest:
- smpp goes over the SMPP account only while smpp.enabled (else the modems: a box whose
  account is switched off keeps sending);
- cheapest compares the carrier's tariff for the number (billing.tariff) with smpp.tariff,
  per part; a tie stays on the modems (the SIMs are paid for anyway), and so does everything
  while smpp.enabled is off.
Saving a route of smpp while smpp.enabled is off is refused (check_together, called by
appliance.config_edit): the admin would believe the traffic goes over SMPP while it silently
stays on the modems. The file branch IT edits by hand may still say so; bearer_for then
falls back to the modems.

overflow_allowance(config, now): with sms.overflow and smpp.enabled, how many modem-routed
parts due today the modems cannot send today (capacity.outlook's modem_day), which the SMPP
bearer may take now. The smpp daemon asks every few seconds: the modems' capacity is kept for
CACHE_SECONDS, the queue is one counting query each time.
"""
import datetime

from peewee import fn

from appliance import clock, phones
from appliance.errors import N_, InputError
from appliance.sms import billing, capacity
from appliance.sms.models import BEARERS, CATEGORIES, Message, MessagePart

ROUTES = ("modem", "smpp", "cheapest")
ROUTE_KEYS = tuple(f"sms.route_{category}" for category in CATEGORIES)
CACHE_SECONDS = 30

_capacity_cache = {}  # key -> (computed at, the modems' parts left today)


def check_route(name, value):
    """A sms.route_* value as the settings page saves it, or InputError naming the key."""
    if value not in ROUTES:
        raise InputError.of(N_("{field}: must be modem, smpp or cheapest, got {value!r}"), field=name, value=value)


def check_together(config):
    """Refuse a route of smpp while smpp.enabled is off (see the module docstring)."""
    if config["smpp.enabled"]:
        return
    for name in ROUTE_KEYS:
        if config[name] == "smpp":
            raise InputError.of(N_("{field}: smpp needs smpp.enabled on; turn SMPP on first, or choose modem or cheapest"),
                                field=name)


def check_bearer(bearer, field="bearer"):
    """An explicit bearer a caller asks for: modem or smpp."""
    if bearer not in BEARERS:
        raise InputError.of(N_("{field}: must be modem or smpp, got {value!r}"), field=field, value=bearer)
    return bearer


def bearer_for(config, category, to_number):
    """The bearer for a new message of `category` to `to_number`."""
    route = config[f"sms.route_{category}"]
    if route == "modem" or not config["smpp.enabled"]:
        return "modem"
    if route == "smpp":
        return "smpp"
    modem_price = billing.tariff(config, phones.carrier_name(to_number))
    return "smpp" if billing.smpp_tariff(config) < modem_price else "modem"


def _modems_left_today(config, now):
    """The SIMs' parts left today (capacity.outlook), kept CACHE_SECONDS."""
    key = (clock.today(now), config["modems.daily_cap"], config["modems.monthly_cap"],
           config["modems.seconds_per_part"], config["modems.min_interval"])
    cached = _capacity_cache.get(key)
    if cached and datetime.timedelta(0) <= now - cached[0] < datetime.timedelta(seconds=CACHE_SECONDS):
        return cached[1]
    parts = capacity.outlook(config, now, days=1)["days"][0]["modem_day"]
    _capacity_cache.clear()
    _capacity_cache[key] = (now, parts)
    return parts


def modem_parts_due_today(now):
    """Queued parts of modem-routed messages due by the end of the box's day and not expired."""
    tomorrow = clock.day_start(clock.today(now) + datetime.timedelta(days=1))
    return (MessagePart.select(fn.COUNT(MessagePart.id)).join(Message)
            .where(MessagePart.state == "queued", Message.state == "queued", Message.bearer == "modem",
                   Message.not_before.is_null() | (Message.not_before < tomorrow),
                   Message.not_after.is_null() | (Message.not_after > now))
            .scalar() or 0)


def overflow_allowance(config, now=None):
    """Parts of the modems' queue the SMPP bearer may take now (0: none)."""
    if not (config["sms.overflow"] and config["smpp.enabled"]):
        return 0
    now = now or clock.now()
    return max(0, modem_parts_due_today(now) - _modems_left_today(config, now))
