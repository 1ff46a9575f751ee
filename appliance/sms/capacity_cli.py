"""`appliance sms capacity` (entry point `sms-capacity`): today's and the next days' sending
capacity (appliance.sms.capacity: the SIMs and the SMPP account), the parts queued per day and the notice forecast
(appliance.services.forecast), one line a day, or --json. The `sms` group is shared
(subparsers(): whoever loads first creates it)."""
from appliance.cli import ArgumentParser, add_command, print_json
from appliance.errors import N_, InputError


def subparsers(sub):
    """The subparsers of `appliance sms`, created on first use (as bench_subparsers)."""
    parser = sub.choices.get("sms")
    if parser is None:
        parser = add_command(sub, "sms", None, "the SMS channel as a whole", needs_db=False)
        parser.sms_subparsers = parser.add_subparsers(dest="sms_command", metavar="ACTION",
                                                      parser_class=ArgumentParser, required=True)
    return parser.sms_subparsers


def register(sub):
    cap = add_command(subparsers(sub), "capacity", cmd_capacity,
                      "parts the SIMs in service can send today and the next days, what is queued, "
                      "and the notice run's forecast")
    cap.add_argument("--days", type=int, default=7, help="days to show, today first (1-31)")
    cap.add_argument("--json", action="store_true", help="the figures as JSON")


def cmd_capacity(args, config):
    from appliance.services import forecast
    if not 1 <= args.days <= 31:
        raise InputError.of(N_("{field}: must be from 1 to 31 days"), field="days")
    report = forecast.outlook(config, days=args.days)
    link = report["smpp"]
    if args.json:
        report["seconds_per_part"] = str(report["seconds_per_part"])
        report["smpp"] = dict(link, rate=str(link["rate"]))
        print_json(report)
        return 0
    print(f"SIMs in service: {len(report['sims'])}; seconds per part: {float(report['seconds_per_part']):g}; "
          f"parts queued now: {report['queued']}")
    print(smpp_line(link))
    print("date\tday capacity\twindow capacity\tSIMs day\tSMPP day\tqueued\tforecast parts\tsendable\tleft over"
          "\tforecast held")
    for d in report["days"]:  # the forecast: the services daemon's, stored (appliance/services/forecast.py)
        held = (d["forecast"].get("held") or {}).get("notices", 0)
        print(f"{d['date']}\t{d['day']}\t{d['window']}\t{d['modem_day']}\t{d['smpp_day']}\t{d['queued']}\t"
              f"{d['forecast']['parts']}\t{d['sendable']}\t{d['left_over']}\t{held}")
    return 0


def smpp_line(link):
    """The SMPP account's line: off, or its rate and the state of its link."""
    if not link["enabled"]:
        return "SMPP: off"
    counted = "counted" if link["counted"] else "not counted"
    return f"SMPP: {float(link['rate']):g} parts/s, {link['state']} ({counted})"
