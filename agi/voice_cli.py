"""`appliance voice …`: outbound voice campaigns from the command line, and the dialer.

    appliance voice create NAME --numbers 13800138000,13900139000 [--text TEXT] [--start]
    appliance voice create NAME --group GROUP | --file numbers.csv|customers.xlsx [...]
    appliance voice start|pause|resume|cancel ID
    appliance voice show ID [--json]        counts, answer rate, confirmation rate, attempts
    appliance voice list [--json]
    appliance voice results ID [--result R] [--state S] [--number N] [--csv]
    appliance voice dial [--until-idle]     run the dialer ([voice] settings) in the foreground
    appliance voice days list [--json] | add DATE holiday|workday [--note N] | remove DATE
                                            days declared on the box, beating China's calendar
"""
import signal
import sys
from pathlib import Path

from appliance.cli import add_command, print_json
from appliance.errors import ConfigError, InputError
from appliance.voice import days
from appliance.voice import campaigns, control, listing, sources
from appliance.voice.models import CallAttempt, VoiceCampaign

STATE_OF = {"start": "running", "resume": "running", "pause": "paused", "cancel": "cancelled"}


def register(subparsers):
    from appliance.cli import ArgumentParser
    parser = add_command(subparsers, "voice", None, "outbound voice notice campaigns and the dialer", needs_db=False)
    sub = parser.add_subparsers(dest="voice_command", metavar="ACTION", required=True, parser_class=ArgumentParser)
    create = add_command(sub, "create", cmd_create, "create a campaign from a list of numbers; prints its id")
    create.add_argument("name")
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--numbers", help="comma-separated numbers")
    source.add_argument("--group", help="a contact group's name or id: everyone in it with a mobile")
    source.add_argument("--file", help="a CSV or XLSX file: a column of numbers (number, mobile, 手机号 or no "
                                       "header) or of customers (customer_no, 客户号)")
    create.add_argument("--text", default="", help="the notice, spoken to whoever answers")
    create.add_argument("--kind", default="notice", help="notice (default), survey, return_visit or screening")
    create.add_argument("--notice-type", default="", help="a notice of the SMS catalogue (renewal_due…), spoken "
                                                          "with each customer's facts: needs --group or a file of customers")
    create.add_argument("--script", help="a survey's questions: a JSON file "
                                         "([{\"text\": …, \"type\": \"scale\"|\"yes_no\"|\"choice\", \"options\": […]}])")
    create.add_argument("--line-group", default="default", help="[voice] line_groups name (default: default)")
    create.add_argument("--start", action="store_true", help="start it at once")
    create.add_argument("--window", default="", help="calling window, e.g. 'workday 18:30-20:30; "
                        "restday 09:00-12:00,15:00-21:00' or 'always' (default: [voice] windows)")
    create.add_argument("--tries", type=int, help="calls per number, retries included (default 3)")
    create.add_argument("--retry-minutes", type=int, help="minutes between tries (default 30)")
    create.add_argument("--caller-id", default="", help="number presented to callees (default: [voice] caller_id)")
    create.add_argument("--json", action="store_true", help="print JSON")
    for action in STATE_OF:
        one = add_command(sub, action, cmd_state, f"{action} a campaign")
        one.add_argument("id", type=int)
    show = add_command(sub, "show", cmd_show, "a campaign's counts, answer and confirmation rates, attempts")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help="print JSON")
    results = add_command(sub, "results", cmd_results, "a campaign's calls and what they came to (all of them)")
    results.add_argument("id", type=int)
    results.add_argument("--result", help="only calls with this result (busy, no_answer, invalid…)")
    results.add_argument("--state", help="only calls in this state (queued, done…)")
    results.add_argument("--number", help="only this number (any form, or its last digits)")
    results.add_argument("--csv", action="store_true", help="CSV (the numbers in full), for a spreadsheet")
    listing = add_command(sub, "list", cmd_list, "every campaign, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON")
    from agi import monitor_cli  # `voice monitor [report]`: answer monitoring
    monitor_cli.register(sub)
    from agi import screening_cli  # `voice reference …`, `bench screening`: number screening
    screening_cli.register(sub, subparsers)
    dial = add_command(sub, "dial", cmd_dial, "run the dialer in the foreground (AMI from [voice] settings)")
    dial.add_argument("--until-idle", action="store_true",
                      help="return once no running campaign has a number left to call")
    days_command = add_command(sub, "days", None,
                               "holidays and working days declared on the box (beat China's calendar)")
    days_sub = days_command.add_subparsers(dest="days_command", metavar="ACTION", required=True,
                                           parser_class=ArgumentParser)
    listing_days = add_command(days_sub, "list", cmd_days_list, "the declared days, and what the calendar knows")
    listing_days.add_argument("--json", action="store_true", help="print JSON")
    add_day = add_command(days_sub, "add", cmd_days_add, "declare a date a holiday or a working day")
    add_day.add_argument("date", help="YYYY-MM-DD")
    add_day.add_argument("kind", help="holiday or workday")
    add_day.add_argument("--note", default="", help="why (e.g. 2027 元旦)")
    remove_day = add_command(days_sub, "remove", cmd_days_remove, "remove a declaration: the calendar decides again")
    remove_day.add_argument("date", help="YYYY-MM-DD")


def cmd_create(args, config):
    if args.file:
        callees, source = sources.from_file(args.file), f"file {Path(args.file).name}"
    elif args.group:
        callees, source = sources.from_group(args.group), f"group {args.group}"
    else:
        callees, source = sources.from_text(args.numbers), "list"
    script = None
    if args.script:
        try:
            script = Path(args.script).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"script: cannot read {args.script}: {exc}", field="script") from None
    campaign = control.create(args.name, callees, line_group=args.line_group, text=args.text, created_by="cli",
                              source=f"cli: {source}", kind=args.kind, notice_type=args.notice_type, script=script,
                              config=config, window=args.window, max_tries=args.tries,
                              retry_minutes=args.retry_minutes, caller_id=args.caller_id)
    if args.start:
        campaigns.set_state(campaign.id, "running")
    if args.json:
        print_json(campaigns.summary(campaign.id))
    else:
        print(campaign.id)
    return 0


def cmd_state(args, config):
    campaign = control.change(args.id, args.voice_command)  # the API's and the page's rule
    print(f"campaign {args.id}: {campaign.state}")
    return 0


def attempt_dict(attempt):
    return {"id": attempt.id, "number": attempt.number, "state": attempt.state, "result": attempt.result,
            "keys": attempt.keys, "talk_seconds": attempt.talk_seconds, "dial_status": attempt.dial_status,
            "hangup_cause": attempt.hangup_cause, "early_media": attempt.early_media,
            "dialled_at": attempt.dialled_at, "ended_at": attempt.ended_at, "detail": attempt.detail}


def cmd_show(args, config):
    if VoiceCampaign.get_or_none(VoiceCampaign.id == args.id) is None:
        raise InputError(f"id: no voice campaign {args.id}", field="id")
    report = campaigns.summary(args.id)
    attempts = CallAttempt.select().where(CallAttempt.campaign == args.id).order_by(CallAttempt.id)
    if args.json:
        print_json({**report, "attempt_list": [attempt_dict(a) for a in attempts]})
        return 0
    rate = (lambda r: "-" if r is None else f"{r:.1%}")
    print(f"campaign {report['id']} {report['name']!r}: {report['state']}; {report['attempts']} numbers, "
          f"{report['queued']} queued, {report['dialling']} dialling, {report['done']} done, "
          f"{report['unknown']} unknown")
    print(f"answer rate {rate(report['answer_rate'])}, confirmation rate {rate(report['confirmation_rate'])}")
    print("  ".join(f"{name} {count}" for name, count in report["results"].items() if count))
    for a in attempts:
        talk = "-" if a.talk_seconds is None else f"{a.talk_seconds}s"
        print(f"{a.id:>6}  {a.number:16}  {a.state:9}  {a.result or '-':12}  {talk:>5}  {a.keys or '-':4}  {a.detail}")
    return 0


def cmd_results(args, config):
    control.get(args.id)
    filters = {"result": args.result, "state": args.state, "number": args.number}
    if args.csv:
        sys.stdout.write(listing.csv_text(args.id, mask=False, **filters))
        return 0
    before, shown = None, 0
    while True:  # every call, a page at a time (the listing's keyset paging), newest first
        page = listing.attempts(args.id, before=before, limit=500, **filters)
        for a in page.rows:
            talk = "-" if a.talk_seconds is None else f"{a.talk_seconds}s"
            print(f"{a.id:>6}  {a.number:16}  {a.state:9}  {a.result or '-':12}  {talk:>5}  {a.keys or '-':4}  {a.detail}")
        shown += len(page.rows)
        if page.next_before is None:
            break
        before = page.next_before
    if not shown:
        print("no calls match")
    return 0


def cmd_list(args, config):
    rows = [campaigns.summary(c.id) for c in VoiceCampaign.select().order_by(VoiceCampaign.id.desc())]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']:>5}  {r['state']:9}  {r['attempts']:>6} numbers  {r['done']:>6} done  {r['name']}")
    if not rows:
        print("no voice campaigns")
    return 0


def cmd_dial(args, config):
    from agi.ami import AMIError, Manager
    from agi.dialer_daemon import make_dialer
    from agi.server import parse_listen
    from appliance.voice import screening
    host, port = parse_listen(config["voice.ami"])
    try:
        ami = Manager(host, port, config["voice.ami_user"], config["voice.ami_secret"])
    except (OSError, AMIError) as exc:
        raise ConfigError(f"voice.ami: cannot log in to the Asterisk manager at {host}:{port}: {exc}",
                          field="voice.ami") from None
    screening.prepare(config.data_dir)
    dialer = make_dialer(config, ami)  # the same dialer as `appliance run dialer`
    signal.signal(signal.SIGTERM, lambda *_: dialer.stop())  # the loop acts on it, not the handler
    try:
        dialer.run(until_idle=args.until_idle)
    except KeyboardInterrupt:
        pass
    finally:
        ami.close()
    return 0


def cmd_days_list(args, config):
    rows = [{"date": d.day.isoformat(), "kind": d.kind, "note": d.note, "by": d.created_by} for d in days.declared()]
    status, _, detail = days.calendar_check()
    if args.json:
        print_json({"declared": rows, "calendar": {"status": status, "detail": detail}})
        return 0
    for row in rows:
        print(f"{row['date']}  {row['kind']:8}  {row['note']}")
    if not rows:
        print("no days declared")
    print(f"calendar: {detail}")
    return 0


def cmd_days_add(args, config):
    row = days.declare(args.date, args.kind, note=args.note, actor="cli", source="cli")
    print(f"{row.day.isoformat()}: {row.kind}")
    return 0


def cmd_days_remove(args, config):
    days.undeclare(args.date, actor="cli", source="cli")
    print(f"{args.date.strip()}: as the calendar says")
    return 0
