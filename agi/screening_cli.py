"""`appliance voice reference …` and `appliance bench screening`: the announcement library
of the early-audio classifier, and its measurement.

    appliance voice reference list [--json]          shipped and added reference recordings
    appliance voice reference add ATTEMPT_ID CLASS   a real call's early audio becomes a reference
    appliance voice reference remove CLASS NAME      remove an added one (shipped ones stay)
    appliance bench screening [--per-class N]        accuracy per class and CPU per call

Classes (appliance/voice/screening.py): kong_hao 空号 (invalid), ting_ji 停机, guan_ji 关机,
wu_fa_jie_tong 暂时无法接通 (unreachable). A carrier's own recording, added from a call
that played it, is matched far more surely than the synthesised ones shipped.
"""
from appliance.cli import add_command, bench_subparsers, print_json
from appliance.voice import screening


def register(sub, subparsers):
    """Add `reference` to the `voice` subcommands and `screening` to `bench`."""
    parser = add_command(sub, "reference", None,
                         "the announcement library of number screening: list, add from a call, remove")
    actions = parser.add_subparsers(dest="reference_command", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    listing = add_command(actions, "list", cmd_list, "every reference recording, shipped and added",
                          needs_db=False)
    listing.add_argument("--json", action="store_true", help="print JSON")
    add = add_command(actions, "add", cmd_add, "copy a call's early audio into the library as CLASS")
    add.add_argument("attempt", type=int, metavar="ATTEMPT_ID", help="the call attempt (appliance voice show)")
    add.add_argument("audio_class", metavar="CLASS", help=", ".join(screening.ANNOUNCEMENT_CLASSES))
    remove = add_command(actions, "remove", cmd_remove, "remove an added reference (shipped ones stay)",
                         needs_db=False)
    remove.add_argument("audio_class", metavar="CLASS")
    remove.add_argument("name", metavar="NAME", help="its file name (appliance voice reference list)")

    bench = add_command(bench_subparsers(subparsers), "screening", cmd_bench,
                        "the early-audio classifier on a generated test set: accuracy per class, CPU per call",
                        needs_db=False)
    bench.add_argument("--per-class", type=int, default=40, help="recordings per class (default 40)")
    bench.add_argument("--seed", type=int, default=1, help="the test set's random seed (default 1)")


def cmd_list(args, config):
    rows = []
    for name, path in screening.reference_files(config.data_dir):
        shipped = path.parent == screening.SHIPPED
        rows.append({"class": name, "name": path.name, "source": "shipped" if shipped else "added",
                     "seconds": round(max(0, path.stat().st_size - 44) / 16000, 1), "path": str(path)})
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(f"{row['class']:16} {row['source']:8} {row['seconds']:5.1f} s  {row['name']}")
    return 0


def cmd_add(args, config):
    target = screening.add_reference(config.data_dir, args.attempt, args.audio_class)
    print(f"reference {args.audio_class}: {target.name} added from call attempt {args.attempt} ({target})")
    return 0


def cmd_remove(args, config):
    if screening.remove_reference(config.data_dir, args.audio_class, args.name):
        print(f"reference {args.audio_class}/{args.name} removed")
    else:
        print(f"no added reference {args.audio_class}/{args.name}")
    return 0


def cmd_bench(args, config):
    from appliance.voice.screening_bench import run_bench
    return run_bench(per_class=args.per_class, seed=args.seed)
