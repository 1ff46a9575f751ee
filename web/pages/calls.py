"""The IVR's call records on the admin page: filters (days, the caller in any written
form or by its last digits, outcome, script), keyset paging, a CSV export of what the
filters select, and the caller's recorded message where the call left one (a ticket's
recording, served by the ticket page's route, which gives out only files under
data_dir/recordings). Every outcome and script is shown in the page's language.

The records and their query are the domain's (appliance.ivr.calls); this module adds
only the last-digits match, as the tickets' listing does.
"""
import csv
import io

from appliance import listings
from appliance.errors import InputError
from appliance.ivr import calls, tickets
from appliance.ivr.models import CALL_OUTCOMES, Call, MenuNode
from appliance.tickets.models import Ticket
from appliance.voice.listing import number_digits
from web.pages import N_, page, page_url, respond
from web.pages.reports import OUTCOME_LABELS

SCRIPT_LABELS = {"ivr": N_("Phone menu (IVR)"), "notify": N_("Notification call"),
                 "survey": N_("Survey call"), "screen": N_("Number screening call")}
FILTERS = ("since", "until", "caller", "outcome", "script")
# What Asterisk gives as the caller ID of a call whose number was not sent.
WITHHELD = {"", "anonymous", "unknown", "restricted", "private"}
CSV_LIMIT = 100_000  # a year of a branch's calls; more is a job for the API


def filtered(filters):
    """The records the filters select (a peewee query); InputError names a bad field."""
    query = calls.calls_query(outcome=filters["outcome"] or None, script=filters["script"] or None)
    for condition in listings.day_range(Call.started_at, filters["since"], filters["until"]):
        query = query.where(condition)
    caller = filters["caller"]
    if caller and any(c.isdigit() for c in caller):
        # Stored as Asterisk gave it (national or E.164): the digits match at the end.
        query = query.where(Call.caller_id.endswith(number_digits(caller, "caller")))
    elif caller:
        query = query.where(Call.caller_id.in_(calls.caller_forms(caller)))  # e.g. 'anonymous'
    return query


def recordings(config, rows):
    """{call id: ticket id} for the calls whose recorded message is on the box."""
    found = Ticket.select().where(Ticket.call_id.in_([c.id for c in rows]), Ticket.recording != "") if rows else []
    return {t.call_id: t.id for t in found if tickets.recording_file(config, t)}


def titles():
    """{menu node name: its title}: a call's path shown as the admins named the menus."""
    return {n.name: n.title or n.name for n in MenuNode.select(MenuNode.name, MenuNode.title)}


def words(ctx):
    def word(table, code):
        return ctx._(table[code]) if code in table else code
    return lambda code: word(OUTCOME_LABELS, code), lambda code: word(SCRIPT_LABELS, code)


def as_dict(ctx, call):
    """A record as the page and the CSV show it: the number masked as the role sees it, a
    withheld caller ID in words."""
    row = call.to_dict(mask=ctx.masks("mobile"))
    if call.caller_id.strip().lower() in WITHHELD:
        row["caller_id"] = ctx._("number withheld")
    return row


@page("/calls", "view", nav=("Call records", 36))
def calls_page(ctx):
    filters = {name: ctx.query(name) for name in FILTERS}
    error, status = None, 200
    try:
        listed = listings.keyset(filtered(filters), Call.id, ctx.query_int("before"))
    except InputError as exc:
        error, status, listed = ctx.error_text(exc), 400, listings.Page([])
    outcome_word, script_word = words(ctx)
    scripts = sorted(set(SCRIPT_LABELS) | {s for (s,) in Call.select(Call.script).distinct().tuples()})
    body = ctx.render("calls", title=ctx._("Call records"), error=error, filters=filters,
                      rows=[as_dict(ctx, c) for c in listed.rows],
                      played=recordings(ctx.config, listed.rows), outcomes=CALL_OUTCOMES, scripts=scripts,
                      outcome_word=outcome_word, script_word=script_word, titles=titles(),
                      csv_url=page_url("/calls.csv", **filters),
                      next_url=page_url("/calls", before=listed.next_before, **filters) if listed.next_before else None)
    return respond(body, status)


@page("/calls.csv", "view")
def calls_csv(ctx):
    """What the filters select, as a spreadsheet (numbers masked as on the page)."""
    filters = {name: ctx.query(name) for name in FILTERS}
    query = filtered(filters).order_by(Call.id.desc()).limit(CSV_LIMIT)
    outcome_word, script_word = words(ctx)
    named = titles()
    _ = ctx._
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Started"), _("Caller"), _("Script"), _("Outcome"), _("Seconds"), _("Menu path"),
                     _("Detail")])
    for call in query:
        row = as_dict(ctx, call)
        writer.writerow([ctx.when(row["started_at"], "%Y-%m-%d %H:%M:%S"), row["caller_id"],
                         script_word(row["script"]), outcome_word(row["outcome"]),
                         "" if row["duration_s"] is None else round(row["duration_s"]),
                         " > ".join(named.get(n, n) for n in row["path"]), row["detail"]])
    # A BOM, so that Excel in China opens the UTF-8 file with its Chinese intact.
    return respond("\ufeff" + out.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="calls.csv"',
        "Cache-Control": "no-store"})
