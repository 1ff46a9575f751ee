"""`appliance voice monitor [report]`: answer monitoring (接通率监控) from the command line.

    appliance voice monitor [--json]                     each target's last test and verdict
    appliance voice monitor report [--days N] [--json]   the daily answer rate per target

The tests themselves are placed by `appliance run dialer` (agi/dialer_daemon.py) on the
schedule of the voice.monitor_* settings; the rules are appliance/voice/monitor.py's.
"""
from appliance.cli import add_command, print_json
from appliance.voice import monitor


def register(sub):
    """Add `monitor` to the `voice` subcommands."""
    parser = add_command(sub, "monitor", cmd_monitor,
                         "answer monitoring: each monitored number's last test, or the daily report")
    parser.add_argument("what", nargs="?", choices=["report"], help="report: the daily answer rate per target")
    parser.add_argument("--days", type=int, default=7, help="report: days back, today included (default 7)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def cmd_monitor(args, config):
    if args.what == "report":
        return print_report(monitor.daily(config, days=args.days), args.json)
    rows = monitor.status(config)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no monitored numbers (set voice.monitor_numbers)")
        return 0
    print(f"{'target':12}  {'number':16}  {'last test':20}  {'result':10}  {'answer':>6}  verdict")
    for r in rows:
        seconds = "-" if r["answer_seconds"] is None else f"{r['answer_seconds']} s"
        print(f"{r['target']:12}  {r['number']:16}  {(r['last_test'] or 'never')[:19]:20}  "
              f"{r['result'] or '-':10}  {seconds:>6}  {r['verdict'] or '-'}")
    return 0


def print_report(rows, as_json):
    if as_json:
        print_json(rows)
        return 0
    if not rows:
        print("no monitoring tests in those days")
        return 0
    print(f"{'day':10}  {'target':12}  {'tests':>5}  {'answered':>8}  {'in time':>7}  {'rate':>6}  "
          f"{'mean':>6}  {'slowest':>7}")
    for r in rows:
        mean = "-" if r["mean_answer_seconds"] is None else f"{r['mean_answer_seconds']} s"
        slowest = "-" if r["slowest_answer_seconds"] is None else f"{r['slowest_answer_seconds']} s"
        print(f"{r['day']:10}  {r['target']:12}  {r['tests']:>5}  {r['answered']:>8}  {r['in_time']:>7}  "
              f"{r['answer_rate']:>6.1%}  {mean:>6}  {slowest:>7}")
    return 0
