"""The IVR's subcommands: `appliance calls`, `appliance prompts …`, `appliance bench agi`
(`appliance bench dialer`: agi/dialer_bench.py)."""
import sys

from agi import dialer_bench, prompts, staff_cli, voice_cli
from appliance import clock
from appliance.cli import add_command, bench_subparsers, print_json
from appliance.errors import InputError
from appliance.ivr import calls, prompt_files
from appliance.ivr.models import CALL_OUTCOMES, Call


def register(subparsers):
    listing = add_command(subparsers, "calls", cmd_calls, "list IVR call records, newest first")
    listing.add_argument("--json", action="store_true", help="JSON for scripts")
    listing.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    listing.add_argument("--outcome", choices=CALL_OUTCOMES, help="only calls that ended so")
    listing.add_argument("--since", help="only calls started at or after YYYY-MM-DD[THH:MM]")
    listing.add_argument("--until", help="only calls started before YYYY-MM-DD[THH:MM]")
    listing.add_argument("--caller", help="only calls from this number (any form: 13800138000, +8613800138000)")
    listing.add_argument("--before", type=int, help="only calls older than this id (the next page)")

    parser = add_command(subparsers, "prompts", None, "build, list, upload, record or restore IVR prompts",
                         needs_db=False)
    sub = parser.add_subparsers(dest="prompts_command", metavar="ACTION", required=True,
                                parser_class=type(parser))
    build = add_command(sub, "build", cmd_prompts_build,
                        "generate missing or changed default prompts with espeak-ng and sox", needs_db=False)
    build.add_argument("--force", action="store_true", help="regenerate every default prompt")
    show = add_command(sub, "list", cmd_prompts_list, "every prompt, its texts and its files", needs_db=False)
    show.add_argument("--json", action="store_true", help="JSON for scripts")
    upload = add_command(sub, "upload", cmd_prompts_upload,
                         "replace prompt NAME with an audio file (converted to 8 kHz mono and checked)",
                         needs_db=False)
    upload.add_argument("name", metavar="NAME")
    upload.add_argument("file", metavar="FILE")
    upload.add_argument("--lang", default="zh", help="zh (default) or en")
    record = add_command(sub, "record", cmd_prompts_record,
                         "record prompt NAME from this machine's microphone", needs_db=False)
    record.add_argument("name", metavar="NAME")
    record.add_argument("--lang", default="zh", help="zh (default) or en")
    record.add_argument("--seconds", type=float, default=8.0, help="how long to record (default 8)")
    record.add_argument("--device", type=int, help="PyAudio input device index (default: the first)")
    restore = add_command(sub, "restore", cmd_prompts_restore,
                          "remove the replacement of prompt NAME: callers hear the default again", needs_db=False)
    restore.add_argument("name", metavar="NAME")
    restore.add_argument("--lang", default="zh", help="zh (default) or en")

    dial = add_command(subparsers, "dial", cmd_dial,
                       "place a test call to the running IVR as Asterisk would; print what the caller hears")
    dial.add_argument("keys", nargs="*", metavar="KEYS",
                      help="what the caller keys at each question, in order (e.g. 2 35010001# 1 '*'); "
                           "'rec' leaves a 3 s message; after the last, the caller hangs up")
    dial.add_argument("--from", dest="caller", default="13800138000", help="caller ID (default 13800138000)")
    dial.add_argument("--to", dest="did", default="95500", help="number dialled (default 95500)")

    bench = add_command(bench_subparsers(subparsers), "agi", cmd_bench_agi,
                        "concurrent scripted calls against a FastAGI server; p50/p99 per command",
                        needs_db=False)
    bench.add_argument("--calls", type=int, default=120, help="concurrent calls (default 120)")
    bench.add_argument("--rounds", type=int, default=3, help="calls per caller (default 3)")
    bench.add_argument("--pace", type=float, default=250.0,
                       help="mean ms the fake Asterisk takes per prompt or input before replying "
                            "(default 250, shorter than any real prompt; 0 = all at once, flat out)")
    bench.add_argument("--dir", help="keep the scratch data dir here")

    dialer_bench.register(subparsers)
    voice_cli.register(subparsers)
    staff_cli.register(subparsers)


def cmd_calls(args, config):
    rows = calls.listing(outcome=args.outcome, caller=args.caller, since=args.since, until=args.until,
                         before=args.before, limit=args.limit).rows
    if args.json:
        print_json([row.to_dict() for row in rows])
        return 0
    if not rows:
        print("no calls")
        return 0
    print(f"{'id':>5}  {'started':19}  {'caller':16}  {'called':8}  {'secs':>5}  {'outcome':22}  path")
    for row in rows:
        data = row.to_dict()
        secs = f"{data['duration_s']:.0f}" if data["duration_s"] is not None else "-"
        outcome = data["outcome_text"] + (f" at {row.ended_in}" if row.outcome == "caller_hung_up" else "")
        print(f"{row.id:>5}  {clock.format(row.started_at, '%Y-%m-%d %H:%M:%S')}  {data['caller_id']:16}  "
              f"{row.called_number:8}  {secs:>5}  {outcome:22}  {' > '.join(data['path'])}")
    return 0


def cmd_prompts_build(args, config):
    built, kept = prompts.build(config, force=args.force)
    print(f"prompts: {built} built, {kept} up to date, in {prompt_files.prompts_dir(config)}")
    return 0


def cmd_prompts_list(args, config):
    rows = prompt_files.listing(config)
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(f"{row['name']:28} zh:{row['zh_file'] or 'missing':8} en:{row['en_file'] or 'missing':8} "
              f"{row['zh'] or row['en']}")
    return 0


def cmd_prompts_upload(args, config):
    target, seconds = prompt_files.install(config, args.name, args.file, args.lang)
    print(f"prompt {args.name} ({args.lang}) replaced: {target} ({seconds:.1f} s)")
    return 0


def cmd_prompts_record(args, config):
    def started():
        print(f"recording {args.name} for {args.seconds:.0f} s: speak now…", file=sys.stderr)
    target, seconds = prompts.record(config, args.name, args.lang, args.seconds, args.device, started)
    print(f"prompt {args.name} ({args.lang}) recorded: {target} ({seconds:.1f} s)")
    return 0


def cmd_prompts_restore(args, config):
    if prompt_files.restore_default(config, args.name, args.lang):
        print(f"prompt {args.name} ({args.lang}): replacement removed, the default plays again")
    else:
        print(f"prompt {args.name} ({args.lang}) had no replacement")
    return 0


NUMBER_PIECES = {"yuan", "jiao", "fen", "year", "month", "day", "point"}


def cmd_dial(args, config):
    from agi.asterisk_peer import FakeAsterisk, Step
    from agi.server import parse_listen
    steps = [Step("?", record_seconds=3) if keys == "rec" else Step("?", keys=keys) for keys in args.keys]
    steps.append(Step("?", hangup=True))
    address = parse_listen(config["agi.listen"])
    try:
        peer = FakeAsterisk(address, steps, callerid=args.caller, dnid=args.did, timeout=30).run()
    except OSError as exc:
        raise InputError(f"agi.listen: no FastAGI server at {config['agi.listen']} ({exc.strerror}); "
                         "start one with `appliance run agi`", field="agi.listen") from None
    spoken = []  # number pieces (n_3, yuan, month…) are printed together on one line
    for kind, what in peer.events + [("end", "")]:
        name = what.rsplit("/", 1)[-1]
        if kind == "heard" and (name.startswith(("n_", "month")) or name in NUMBER_PIECES):
            spoken.append(prompts.text_of(config, what, "en" if "/en/" in what else "zh"))
            continue
        if spoken:
            print(f"  ♪ {' '.join(spoken) if '/en/' in what else ''.join(spoken)}")
            spoken = []
        if kind == "heard":
            print(f"  ♪ {prompts.text_of(config, what, 'en' if '/en/' in what else 'zh')}")
        elif kind == "caller":
            print(f"caller {what}")
    record = Call.select().where(Call.uniqueid == peer.uniqueid).first()
    if record is not None:
        data = record.to_dict()
        print(f"call record {record.id}: {data['outcome_text']} at {record.ended_in}; "
              f"path {' > '.join(data['path'])}; keys {data['keys']}; {record.detail}")
    return 0


def cmd_bench_agi(args, config):
    from agi.bench import run_bench
    return run_bench(calls=args.calls, rounds=args.rounds, pace=args.pace / 1000, keep_dir=args.dir)
