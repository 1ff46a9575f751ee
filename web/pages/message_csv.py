"""The inbox and the message history as CSV downloads: the rows the page's filters
show, every page of them (read through the listings' keyset paging and sent a chunk
at a time), numbers masked as on the page, states and headers in the page's language,
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


def pages(read):
    """Every page of a listing, a chunk at a time: read(before) gives one Page, newest
    first. The first is read at once, so a bad filter is refused (400) before the
    download starts; the others as the file is sent."""
    listed = read(None)

    def rest(listed):
        while True:
            yield listed.rows
            if listed.next_before is None:
                return
            listed = read(listed.next_before)
    return rest(listed)


def csv_response(ctx, columns, chunks, filename):
    """The CSV sent as it is written, a chunk of rows at a time (a year of messages
    is a million rows: never all of them in memory at once)."""
    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        out.write("\ufeff")  # the BOM (see the module docstring)
        writer.writerow([ctx._(c) for c in columns])
        for rows in chunks:
            writer.writerows(rows)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()
    return respond(lines(), headers={"Content-Type": "text/csv; charset=utf-8",
                                     "Content-Disposition": f'attachment; filename="{filename}"'})


@page("/inbox.csv", "inbox")
def inbox_csv(ctx):
    view = ctx.query("view") or "new"
    if view not in INBOX_VIEWS:
        raise InputError.of(N_("{field}: unknown"), field="view")

    def rows(messages):
        names = customer_names(m.customer_id for m in messages)
        tickets = opened_tickets((m.id, getattr(m, "route", None)) for m in messages)
        return [[m.id, ctx.when(m.received_at, "%Y-%m-%d %H:%M:%S"), ctx.mobile(m.from_number),
                 names.get(m.customer_id, ""), m.text, ctx._(m.state), m.handled_by,
                 tickets[m.id].number if m.id in tickets else ""] for m in messages]
    chunks = pages(lambda before: inbox.listing(state=view, before=before, limit=CHUNK))
    return csv_response(ctx, INBOX_COLUMNS, (rows(c) for c in chunks), f"inbox-{view}.csv")


@page("/history.csv", "view")
def history_csv(ctx):
    filters = {k: ctx.query(k) for k in HISTORY_FILTERS}
    mask = ctx.masks("mobile")

    def row(m):
        d = history.as_dict(m, mask=mask)
        return [d["id"], ctx.when(d["created_at"], "%Y-%m-%d %H:%M:%S"), d["to_number"], d["text"],
                d["part_count"], ctx._(d["state"]), ctx._(d["category"]), made_by(ctx, d["source"], d["created_by"]),
                d["failure_reason"]]
    chunks = pages(lambda before: history.listing(**filters, before=before, limit=CHUNK))
    return csv_response(ctx, HISTORY_COLUMNS, ([row(m) for m in c] for c in chunks), "messages.csv")
