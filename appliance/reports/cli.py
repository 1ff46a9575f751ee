"""`appliance report letters|collection|campaign-effect|rates` (registered through the
appliance.commands entry point `reports`): issue 17's reports of appliance.reports over the
box's days --from..--to, as tab-separated tables, JSON (--json) or the page's CSV (--csv, in
English). Bad input exits 2 with one line naming the field. The `report` group is shared
with the SMS statements of appliance/services/cli.py (subparsers(), whoever loads first)."""
import sys

from appliance.cli import ArgumentParser, add_command, print_json

REPORTS = {"letters": "renewal notices priced as letters against what SMS, calls and e-mail cost",
           "collection": "premiums due in the days and paid within N days of a payment reminder, "
                         "by channel, branch and agent",
           "campaign-effect": "reach and response of the campaigns created in the days, and survey results",
           "rates": "SMS delivery, call answer and e-mail acceptance rates per day or week"}


def subparsers(sub):
    """The subparsers of `appliance report`, created on first use (as bench_subparsers)."""
    parser = sub.choices.get("report")
    if parser is None:
        parser = add_command(sub, "report", None, "billing statements and delivery reports", needs_db=False)
        parser.report_subparsers = parser.add_subparsers(dest="report_command", metavar="ACTION",
                                                         parser_class=ArgumentParser, required=True)
    return parser.report_subparsers


def _compute(args, config):
    from appliance.reports import campaigns, collection, letters, period, rates
    rng = period.parse_range(args.first, args.last)
    if args.report == "letters":
        return letters.report(config, rng)
    if args.report == "collection":
        return collection.report(config, rng, args.days)
    if args.report == "rates":
        return rates.report(config, rng, args.step)
    return campaigns.report(config, rng)


def cmd_report(args, config):
    from appliance.reports import export
    data = _compute(args, config)
    if args.csv:
        sys.stdout.write(export.to_csv(data, str)[1:])  # no BOM on a terminal or pipe
    elif args.json:
        print_json({"report": data["name"], "from": data["from"], "to": data["to"],
                    "tables": {t["name"]: t["rows"] for t in data["tables"]}})
    else:
        for table in data["tables"]:
            print(f"# {table['name']}")
            print("\t".join(key for key, _title, _labels in table["columns"]))
            for row in table["rows"]:
                print("\t".join("" if row.get(key) is None else str(row[key]) for key, _t, _l in table["columns"]))
    return 0


def register(sub):
    for name, words in REPORTS.items():
        parser = add_command(subparsers(sub), name, cmd_report, words)
        parser.set_defaults(report=name)
        parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="the first day (default 30 days back)")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="the last day (default today)")
        if name == "collection":
            parser.add_argument("--days", type=int, metavar="N",
                                help="paid within N days of a reminder (default the setting reports.collection_days)")
        if name == "rates":
            parser.add_argument("--step", choices=("day", "week"), default="day", help="per day or ISO week")
        out = parser.add_mutually_exclusive_group()
        out.add_argument("--csv", action="store_true", help="the tables as CSV (English titles)")
        out.add_argument("--json", action="store_true", help="the tables as JSON")
