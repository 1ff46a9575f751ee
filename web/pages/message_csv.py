"""The inbox and the message history as CSV downloads: the rows the page's filters
show, every page of them (read through the listings' keyset paging, a chunk at a
time), numbers masked as on the page, states and headers in the page's language,
with a BOM so that Excel in China opens the UTF-8 file with its Chinese intact.
"""
import csv
import io

from appliance.errors import InputError
from appliance.sms import history, inbox
from web.pages import N_, page, respond
from web.pages.inbox import (
    HISTORY_FILTERS,
    INBOX_VIEWS,
    customer_names,
    made_by,
    opened_tickets,
)

CHUNK = 1000
INBOX_COLUMNS = (N_("Number"), N_("Received"), N_("From"), N_("Customer"), N_("Text"), N_("State"),
                 N_("Handled by"), N_("Ticket"))
HISTORY_COLUMNS = (N_("Number"), N_("Created"), N_("To"), N_("Text"), N_("Parts"), N_("State"), N_("Category"),
                   N_("By"), N_("Failure reason"))


def every_page(read):
    """Every row of a listing: read(before) gives one Page, newest first."""
    before = None
    while True:
        listed = read(before)
        yield from listed.rows
        if listed.next_before is None:
            return
        before = listed.next_before


def csv_response(ctx, columns, rows, filename):
    out = io.StringIO()
    out.write("\ufeff")  # the BOM (see the module docstring)
    writer = csv.writer(out)
    writer.writerow([ctx._(c) for c in columns])
    writer.writerows(rows)
    return respond(out.getvalue(), headers={"Content-Type": "text/csv; charset=utf-8",
                                            "Content-Disposition": f'attachment; filename="{filename}"'})


@page("/inbox.csv", "inbox")
def inbox_csv(ctx):
    view = ctx.query("view") or "new"
    if view not in INBOX_VIEWS:
        raise InputError("view: unknown", field="view")
    messages = list(every_page(lambda before: inbox.listing(state=view, before=before, limit=CHUNK)))
    names = customer_names(m.customer_id for m in messages)
    tickets = opened_tickets((m.id, getattr(m, "route", None)) for m in messages)
    rows = []
    for m in messages:
        ticket = tickets.get(m.id)
        rows.append([m.id, ctx.when(m.received_at, "%Y-%m-%d %H:%M:%S"), ctx.mobile(m.from_number),
                     names.get(m.customer_id, ""), m.text, ctx._(m.state), m.handled_by,
                     ticket.number if ticket else ""])
    return csv_response(ctx, INBOX_COLUMNS, rows, f"inbox-{view}.csv")


@page("/history.csv", "view")
def history_csv(ctx):
    filters = {k: ctx.query(k) for k in HISTORY_FILTERS}
    mask = ctx.masks("mobile")
    rows = []
    for m in every_page(lambda before: history.listing(**filters, before=before, limit=CHUNK)):
        d = history.as_dict(m, mask=mask)
        rows.append([d["id"], ctx.when(d["created_at"], "%Y-%m-%d %H:%M:%S"), d["to_number"], d["text"],
                     d["part_count"], ctx._(d["state"]), ctx._(d["category"]), made_by(ctx, d["source"], d["created_by"]),
                     d["failure_reason"]])
    return csv_response(ctx, HISTORY_COLUMNS, rows, "messages.csv")

