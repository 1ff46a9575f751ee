"""Numbers not to call, decided at dial time (the lists change while a campaign waits):

- on the do-not-call list (imported, added by an admin, key 8 in a call);
- found `invalid` (空号) by number screening, except in screening campaigns, which exist
  to check numbers again.

Their attempts become `skipped`, with a detail saying why.
"""
from appliance import clock, phones
from appliance.errors import InputError
from appliance.voice.campaigns import do_not_call
from appliance.voice.models import ScreenedNumber


def reasons(attempts):
    """{attempt id: why} for those of `attempts` (selected with their campaign) not to dial now."""
    blocked = do_not_call([a.number for a in attempts])
    invalid = screened_invalid([a.number for a in attempts if a.campaign.kind != "screening"])
    found = {}
    for attempt in attempts:
        if attempt.number in blocked:
            found[attempt.id] = "on the do-not-call list"
        elif attempt.number in invalid and attempt.campaign.kind != "screening":
            found[attempt.id] = invalid[attempt.number]
    return found


def screened_invalid(numbers):
    """{number: why} for those of `numbers` screening last found invalid (as dialled or as
    normalised: screening may store either form)."""
    forms = {}
    for number in numbers:
        forms.setdefault(number, number)
        try:
            forms.setdefault(phones.normalize(number, "number"), number)
        except InputError:  # an extension, a test number: only its own form
            pass
    if not forms:
        return {}
    rows = ScreenedNumber.select().where(ScreenedNumber.number.in_(list(forms)), ScreenedNumber.status == "invalid")
    return {forms[row.number]: f"screened invalid on {clock.format(row.screened_at, '%Y-%m-%d')}" for row in rows}
