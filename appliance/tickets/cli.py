"""`appliance tickets …` (registered through the appliance.commands entry point `tickets`):
list, show and move tickets through their lifecycle, and manage the departments.

Other modules add their own `tickets` subcommands (figures, hand-off) through subparsers(),
whichever entry point loads first. Bad input exits 2 with one line naming the field.
"""
import datetime

from appliance import clock
from appliance.cli import ArgumentParser, add_command, print_json

ACTOR = "cli"


def subparsers(sub):
    """The subparsers of `appliance tickets`, created on first use (as bench_subparsers)."""
    parser = sub.choices.get("tickets")
    if parser is None:
        parser = add_command(sub, "tickets", None, "tickets: list, show, assign, answer, close…", needs_db=False)
        parser.tickets_subparsers = parser.add_subparsers(dest="tickets_command", metavar="ACTION",
                                                          parser_class=ArgumentParser, required=True)
    return parser.tickets_subparsers


# --- tickets ------------------------------------------------------------------------------

COLUMNS = ["number", "status", "kind", "source", "caller", "department", "assignee", "due_at", "overdue"]


def _row(ticket, now):
    from appliance.tickets import listing
    return listing.as_dict(ticket, now=now)  # the API's and the page's serialiser


FILTERS = ("status", "kind", "source", "department", "assignee", "overdue", "number", "since", "until")


def cmd_list(args, config):
    from appliance.tickets import listing
    now = clock.now()
    page = listing.listing(before=args.before, limit=args.limit, now=now,
                           **{name: getattr(args, name) for name in FILTERS})
    rows = [_row(t, now) for t in page.rows]
    if args.json:
        print_json({"tickets": rows, "next_before": page.next_before})
    else:
        for row in rows:
            print("\t".join(_cell(row[c]) for c in COLUMNS))
    return 0


def cmd_show(args, config):
    from appliance.ivr import tickets
    from appliance.tickets import lifecycle
    ticket = tickets.get_ticket(args.number)
    events = [_event(e) for e in lifecycle.history(ticket)]
    row = _row(ticket, clock.now())
    if args.json:
        print_json({**row, "history": events})
        return 0
    for key in ("number", "status", "kind", "source", "caller", "department", "assignee", "created_at", "due_at",
                "overdue", "text", "resolution"):
        print(f"{key}: {_cell(row[key])}")
    print("history:")
    for e in events:
        print("\t".join(_cell(e[c]) for c in ("at", "by", "action", "from_status", "to_status", "text")))
    return 0


def _event(event):
    from appliance.tickets import listing
    return listing.event_dict(event)


def _cell(value):
    if isinstance(value, datetime.datetime):
        return clock.format(value)
    if isinstance(value, bool):
        return "overdue" if value else ""
    return "" if value is None else str(value).replace("\n", " ").replace("\t", " ")


def _moved(ticket):
    print(f"{ticket.number}\t{ticket.status}")
    return 0


def cmd_assign(args, config):
    from appliance.tickets import lifecycle
    return _moved(lifecycle.assign(args.number, by=args.by, department=args.department, assignee=args.assignee or "",
                                   text=args.text or ""))


def cmd_start(args, config):
    from appliance.tickets import lifecycle
    return _moved(lifecycle.start(args.number, by=args.by, text=args.text or ""))


def cmd_answer(args, config):
    from appliance.tickets import lifecycle
    return _moved(lifecycle.answer(args.number, by=args.by, text=args.text, config=config))


def cmd_return(args, config):
    from appliance.tickets import lifecycle
    return _moved(lifecycle.return_for_rework(args.number, by=args.by, text=args.text))


def cmd_close(args, config):
    from appliance.tickets import lifecycle
    return _moved(lifecycle.close(args.number, by=args.by, text=args.text or ""))


def cmd_reopen(args, config):
    from appliance.tickets import lifecycle
    return _moved(lifecycle.reopen(args.number, by=args.by, text=args.text, config=config))


def cmd_note(args, config):
    from appliance.tickets import lifecycle
    return _moved(lifecycle.note(args.number, by=args.by, text=args.text))


# --- departments --------------------------------------------------------------------------

def cmd_departments_list(args, config):
    from appliance.tickets import departments
    rows = departments.listing()
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print("\t".join(str(row[c]) for c in ("name", "head", "head_badge", "open")))
    return 0


def cmd_departments_add(args, config):
    from appliance.tickets import departments
    print(departments.add(args.name, args.head, actor=ACTOR, source="cli").id)
    return 0


def cmd_departments_remove(args, config):
    from appliance.tickets import departments
    departments.remove(args.name, actor=ACTOR, source="cli")
    return 0


def cmd_departments_set_head(args, config):
    from appliance.tickets import departments
    departments.set_head(args.name, args.badge, actor=ACTOR, source="cli")
    return 0


# --- the parser ---------------------------------------------------------------------------

def register(sub):
    from appliance.tickets.models import TICKET_KINDS, TICKET_SOURCES, TICKET_STATUSES
    tsub = subparsers(sub)
    listing = add_command(tsub, "list", cmd_list, "list tickets, newest first")
    listing.add_argument("--status", choices=TICKET_STATUSES)
    listing.add_argument("--kind", choices=TICKET_KINDS)
    listing.add_argument("--source", choices=TICKET_SOURCES)
    listing.add_argument("--department", help="a department's name or id")
    listing.add_argument("--assignee", help="the person it is assigned to")
    listing.add_argument("--overdue", action="store_true", help="only tickets past due and not yet answered")
    listing.add_argument("--number", help="the ticket's or the caller's number in any form, or its last digits")
    listing.add_argument("--since", help="opened on or after this day (YYYY-MM-DD)")
    listing.add_argument("--until", help="opened on or before this day (YYYY-MM-DD)")
    listing.add_argument("--before", help="only tickets older than this id (the next page)")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="print JSON")
    show = add_command(tsub, "show", cmd_show, "a ticket with its history")
    show.add_argument("number", help="the ticket's number (or id)")
    show.add_argument("--json", action="store_true", help="print JSON")

    def action(name, handler, help, text=None):
        parser = add_command(tsub, name, handler, help)
        parser.add_argument("number", help="the ticket's number (or id)")
        if text:
            parser.add_argument("text", help=text)
        else:
            parser.add_argument("--text", help="what to add to the history")
        parser.add_argument("--by", default=ACTOR, help=f"who acts, for the history (default {ACTOR})")
        return parser

    assign = action("assign", cmd_assign, "assign a ticket to a department and/or a person")
    assign.add_argument("--department", help="department name")
    assign.add_argument("--assignee", help="an admin user's name")
    action("start", cmd_start, "start handling an assigned or returned ticket")
    action("answer", cmd_answer, "answer a ticket (the customer is told by SMS)", text="the answer")
    action("return", cmd_return, "send an answered ticket back for re-handling", text="why")
    action("close", cmd_close, "close an answered ticket (confirmed to the customer)")
    action("reopen", cmd_reopen, "reopen a closed ticket", text="why")
    action("note", cmd_note, "add a note to a ticket's history", text="the note")

    deps = add_command(tsub, "departments", None, "departments that handle tickets", needs_db=False)
    dsub = deps.add_subparsers(dest="departments_command", metavar="ACTION", parser_class=ArgumentParser,
                               required=True)
    dlist = add_command(dsub, "list", cmd_departments_list, "list departments with their head and open tickets")
    dlist.add_argument("--json", action="store_true", help="print JSON")
    dadd = add_command(dsub, "add", cmd_departments_add, "add a department; prints its id")
    dadd.add_argument("name")
    dadd.add_argument("--head", metavar="BADGE", help="the head's staff badge number")
    dremove = add_command(dsub, "remove", cmd_departments_remove, "remove a department without open tickets")
    dremove.add_argument("name")
    dhead = add_command(dsub, "set-head", cmd_departments_set_head, "make a staff member the department's head")
    dhead.add_argument("name")
    dhead.add_argument("badge", metavar="BADGE")
