"""Routing rules: which bearer carries each SMS (the modem pool or the SMPP account).

Contract (issue 18), filled in by the routing work:
- bearer_for(config, category, to_number) -> "modem" | "smpp": chosen when a message is queued
  (appliance.sms.outbox stores it in Message.bearer), by the sms.route_* settings.
- overflow_allowance(config, now) -> how many modem-routed parts the SMPP bearer may take now
  because the modems cannot send them today (sms.overflow); 0 when overflow is off.
"""


def bearer_for(config, category, to_number):
    """The bearer for a new message of `category` to `to_number`."""
    return "modem"


def overflow_allowance(config, now):
    """Parts of the modems' queue the SMPP bearer may take now."""
    return 0
