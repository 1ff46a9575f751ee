"""`appliance tickets figures` (registered through the appliance.commands entry point
`tickets-figures`): the ticket figures of appliance.tickets.figures per week or month, as a
table of the main numbers, the whole as JSON (--json), or the CSV of the API and the page
(--csv). Bad input exits 2 with one line naming the field."""
import sys

from appliance.cli import add_command, print_json
from appliance.tickets.cli import subparsers as tickets_subparsers  # whoever loads first

TABLE = ("label", "first", "last", "opened", "met", "missed", "overdue", "pending", "complaints", "open",
         "past_due")


def _summary(row):
    backlog = row["backlog"] or {}
    return {"label": row["label"], "first": row["first"], "last": row["last"], "opened": row["opened"],
            **row["sla"], "complaints": row["complaints"], "open": backlog.get("open", ""),
            "past_due": backlog.get("past_due", "")}


def cmd_figures(args, config):
    from appliance.tickets import figures
    data = figures.figures(args.period, figures.parse_day(args.first, "from"),
                           figures.parse_day(args.last, "to"))
    if args.csv:
        figures.write_csv(data, sys.stdout)
    elif args.json:
        print_json(data)
    else:
        print("\t".join(TABLE))
        for row in data["periods"]:
            summary = _summary(row)
            print("\t".join(str(summary[c]) for c in TABLE))
    return 0


def register(sub):
    parser = add_command(tickets_subparsers(sub), "figures", cmd_figures,
                         "ticket figures per week or month: counts by category, source, department, handler; "
                         "service level; complaints per agent and department; the backlog by age")
    parser.add_argument("--period", choices=("week", "month"), default="week",
                        help="weeks (Monday to Sunday) or months of the box's calendar (default week)")
    parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD",
                        help="the first day (its week or month); default: 8 weeks or 6 months back")
    parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="the last day (default today)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="every number as CSV (a row per figure)")
    out.add_argument("--json", action="store_true", help="everything as JSON")
