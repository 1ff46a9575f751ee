"""SMS commands: sim, send, inbox, outbox, modem list, bench sms."""
import datetime
import time

from appliance import clock
from appliance.cli import add_command, bench_subparsers, print_json
from appliance.errors import ApplianceError, InputError
from appliance.sms import history, inbox
from appliance.sms.models import CATEGORIES, MESSAGE_STATES

FAULTS = ("cms", "silence", "garbage", "unplug", "replug", "report", "no_reports", "direct", "quiet", "stored_reports",
          "answer", "say", "clear")


def register(sub):
    sim = add_command(sub, "sim", cmd_sim, "run simulated GSM modems on ptys (DIR/gsm0…), or talk to running ones",
                      needs_db=False)
    sim.add_argument("--modems", type=int, default=4, help="how many modems (default 4)")
    sim.add_argument("--dir", help="directory for the gsmN links, air.jsonl and control.sock")
    sim.add_argument("--latency", type=float, default=None,
                     help="seconds per submit (default a realistic 2-4 s; 0 for benchmarks)")
    sim.add_argument("--pin", default="", help="SIM PIN the simulated SIMs ask for (default none)")
    sim.add_argument("--first-sim", type=int, default=0,
                     help="number the SIMs (IMSI, ICCID, IMEI) from this one, so several simulators (boxes) "
                          "hold different SIMs (default 0)")
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="ACTION")
    inject = add_command(sim_sub, "inject", cmd_sim_inject,
                         "deliver an inbound SMS to a running simulated modem", needs_db=False)
    inject.add_argument("--dir", required=True)
    inject.add_argument("--modem", default="gsm0")
    inject.add_argument("--pdu", help="SMS-DELIVER PDU in hex, SMSC part included (as +CMGR shows it)")
    inject.add_argument("--from", dest="sender", help="instead of --pdu: the sender's number…")
    inject.add_argument("--text", help="…and the text (long texts become several parts)")
    fault = add_command(sim_sub, "fault", cmd_sim_fault, "inject a fault into a running simulated modem",
                        needs_db=False)
    fault.add_argument("--dir", required=True)
    fault.add_argument("--modem", default="gsm0")
    fault.add_argument("kind", choices=FAULTS,
                       help="cms: next submits fail with +CMS ERROR --code; silence: answer nothing for "
                            "--seconds; garbage: bytes that are not text now (--in-answer: inside the next "
                            "answers); unplug/replug: the USB stick; report: next delivery reports carry "
                            "TP-ST --status; no_reports; direct: deliver with +CMT; quiet: store inbound SMS "
                            "without +CMTI; stored_reports: reports on the SIM with +CDSI; answer: answer the next "
                            "submits with --text (e.g. '\\n+CMGS: x\\n\\nOK\\n'); say: the modem says --text now; "
                            "clear: all faults off")
    fault.add_argument("--code", type=int, default=500)
    fault.add_argument("--count", type=int, default=1)
    fault.add_argument("--seconds", type=float, default=3600.0)
    fault.add_argument("--status", type=lambda v: int(v, 0), default=0x41)
    fault.add_argument("--hex", default="")
    fault.add_argument("--in-answer", action="store_true")
    fault.add_argument("--after", type=int, default=0, help="for cms: let this many submits through first")
    fault.add_argument("--text", default=None, help="for answer/say: what the modem says ('\\n' ends a line)")
    fault.add_argument("--off", action="store_true", help="for no_reports/direct: switch off")

    send = add_command(sub, "send", cmd_send, "queue one SMS; prints its id")
    send.add_argument("--to", required=True, help="recipient number (13800138000 or +8613800138000)")
    send.add_argument("--text", required=True)
    send.add_argument("--priority", type=int, default=5, help="1 urgent … 9 bulk (default 5)")
    send.add_argument("--category", default="service", choices=["service", "marketing", "internal"])
    send.add_argument("--not-after", help="window end, 'HH:MM' today or 'YYYY-MM-DD HH:MM': expired, never sent late")
    send.add_argument("--no-report", action="store_true", help="do not ask for a delivery report")

    # The filters are those of the inbox and history pages and of the API; the
    # domain checks them (appliance.sms.inbox.listing, appliance.sms.history.listing).
    received = add_command(sub, "inbox", cmd_inbox, "received SMS, newest first")
    received.add_argument("--state", help=f"{', '.join(inbox.STATE_FILTERS)} (all: every state but deleted)")
    sent = add_command(sub, "outbox", cmd_outbox, "sent and queued SMS with their parts, newest first")
    sent.add_argument("--state", help=", ".join(MESSAGE_STATES))
    sent.add_argument("--category", help=", ".join(CATEGORIES))
    sent.add_argument("--to", help="only messages to this mobile")
    sent.add_argument("--since", help="only messages created on or after this day (YYYY-MM-DD)")
    sent.add_argument("--until", help="only messages created on or before this day (YYYY-MM-DD)")
    for listing in (received, sent):
        listing.add_argument("--json", action="store_true", help="JSON with full text, numbers, state and parts")
        listing.add_argument("--limit", type=int, default=50)
        listing.add_argument("--before", type=int, help="only messages older than this id (the next page)")

    modem = add_command(sub, "modem", None, "the GSM modems", needs_db=False)
    modem_sub = modem.add_subparsers(dest="modem_command", metavar="ACTION", required=True)
    mlist = add_command(modem_sub, "list", cmd_modem_list,
                        "every box on the database and the health of its modems (BOX/gsm0) as its smsd last saw it")
    mlist.add_argument("--json", action="store_true")
    forget = add_command(modem_sub, "forget-box", cmd_modem_forget_box,
                         "remove a box taken out of service (silent, nothing in flight) from the list of boxes")
    forget.add_argument("box", help="its box.name")

    bench = add_command(bench_subparsers(sub), "sms", cmd_bench_sms,
                        "SMS throughput and CPU per part on simulated modems, and pool utilisation",
                        needs_db=False)
    bench.add_argument("--modems", type=int, default=4, help="zero-latency modems for the throughput run")
    bench.add_argument("--parts", type=int, default=2000, help="parts for the throughput run")
    bench.add_argument("--pool-modems", type=int, default=16, help="modems for the utilisation run")
    bench.add_argument("--latency", type=float, default=3.0, help="seconds per submit in the utilisation run")
    bench.add_argument("--duration", type=float, default=30.0, help="seconds of the utilisation run")
    bench.add_argument("--boxes", type=int, default=0,
                       help="instead: throughput of 1 to this many boxes (smsd processes, --modems each) "
                            "on one throw-away PostgreSQL server, and the database's share of the CPU")
    bench.add_argument("--bearer", choices=("modem", "smpp"), default="modem",
                       help="smpp: the SMPP bearer's daemon against the fake SMSC (or --smsc) instead of the modems")
    bench.add_argument("--smsc", help="with --bearer smpp: HOST:PORT of a real SMSC (e.g. Jasmin) instead of the fake one")
    bench.add_argument("--system-id", help="with --smsc: the account's system_id")
    bench.add_argument("--password", help="with --smsc: the account's password")
    bench.add_argument("--window", type=int, default=10, help="with --bearer smpp: smpp.window")
    bench.add_argument("--rate", type=float, default=10000.0, help="with --bearer smpp: smpp.rate (parts/s)")
    bench.add_argument("--json", action="store_true")


# --- simulator --------------------------------------------------------------------

def cmd_sim(args, config):
    from appliance.daemon import stop_event_on_signals
    from modem.sim import Simulator
    if not args.dir:
        raise InputError("--dir: needed (where the gsmN links go)", field="dir")
    if not 1 <= args.modems <= 64:
        raise InputError("--modems: must be 1..64", field="modems")
    stop = stop_event_on_signals()
    sim = Simulator(args.dir, args.modems, latency=args.latency, pin=args.pin, first_sim=args.first_sim).start()
    latency = "2-4 s" if args.latency is None else f"{args.latency:g} s"
    print(f"simulating {args.modems} modem(s) in {args.dir} (gsm0…gsm{args.modems - 1}, {latency} per submit);"
          f" Ctrl-C stops", flush=True)
    try:
        stop.wait()
    finally:
        sim.stop()
    return 0


def _control(args):
    from modem.sim import SimControl
    return SimControl(args.dir)


def _ask(call):
    try:
        answer = call()
    except (ConnectionError, OSError) as exc:
        raise ApplianceError(str(exc)) from None
    if "error" in answer:
        raise InputError(answer["error"])
    return answer


def cmd_sim_inject(args, config):
    from modem import pdu as pdumod
    if args.pdu:
        pdus = [args.pdu]
    elif args.sender and args.text:
        pdus = pdumod.deliver_parts(args.sender, args.text, reference=int(time.time()) % 256)
    else:
        raise InputError("--pdu, or --from with --text, is needed", field="pdu")
    control = _control(args)
    for hex_pdu in pdus:
        answer = _ask(lambda: control.inject(args.modem, hex_pdu))
        where = f"stored at index {answer['index']}" if "index" in answer else "delivered with +CMT"
        print(f"{args.modem}: {where}")
    return 0


def cmd_sim_fault(args, config):
    options = {"code": args.code, "count": args.count, "seconds": args.seconds, "status": args.status,
               "in_answer": args.in_answer, "on": not args.off, "after": args.after}
    if args.text is not None:
        options["text"] = args.text.replace("\\n", "\n")
    if args.hex:
        options["hex"] = args.hex
    _ask(lambda: _control(args).fault(args.modem, args.kind, **options))
    print(f"{args.modem}: {args.kind}")
    return 0


# --- messages ---------------------------------------------------------------------

def _window_end(text, now=None):
    """--not-after as an instant: 'HH:MM' today or 'YYYY-MM-DD HH:MM', both the
    box's wall-clock time. A time already past is refused, not queued to expire."""
    if not text:
        return None
    now = now or clock.now()
    for fmt in ("%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%H:%M":
            parsed = datetime.datetime.combine(clock.today(now), parsed.time())
        end = clock.instant(parsed)
        if end <= now:
            raise InputError(f"--not-after: {text} has already passed ({clock.format(now)} now)",
                             field="not_after")
        return end
    raise InputError(f"--not-after: '{text}' is not HH:MM or YYYY-MM-DD HH:MM", field="not_after")


def cmd_send(args, config):
    # The rules every entry point keeps (opt-out, do-not-disturb, the marketing window).
    from appliance.services import sending
    message = sending.send_one(config, args.to, args.text, priority=args.priority, category=args.category,
                               not_after=_window_end(args.not_after), source="cli", created_by="cli",
                               delivery_report=not args.no_report)
    print(message.id)
    return 0


def cmd_outbox(args, config):
    page = history.listing(state=args.state, category=args.category, to=args.to, since=args.since,
                           until=args.until, before=args.before, limit=args.limit)
    if args.json:  # scripts on the box see the numbers in full
        print_json([history.as_dict(m, mask=False) for m in page.rows])
        return 0
    for row in map(history.as_dict, page.rows):
        parts = " ".join(f"{p['seq']}:{p['state']}" for p in row["parts"])
        print(f"{row['id']:>6}  {row['state']:<9} {row['to_number']:<16} "
              f"{clock.format(row['created_at'])}  [{parts}]  {_short(row['text'])}"
              + (f"  ({row['failure_reason']})" if row["failure_reason"] else ""))
    return 0


def cmd_inbox(args, config):
    page = inbox.listing(state=args.state, before=args.before, limit=args.limit)
    if args.json:
        print_json([inbox.as_dict(m, mask=False) for m in page.rows])
        return 0
    for row in map(inbox.as_dict, page.rows):
        mark = "" if row["complete"] else " (incomplete)"
        print(f"{row['id']:>6}  {row['state']:<8} {row['from_number']:<16} "
              f"{clock.format(row['received_at'])}  {_short(row['text'])}{mark}")
    return 0


def _short(text, width=40):
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[:width - 1] + "…"


def cmd_modem_list(args, config):
    from appliance.cluster import boxes
    from appliance.sms.models import ModemStatus
    known = {b["name"]: b for b in boxes.listing(config["box.heartbeat_timeout"])}
    rows = [{"name": f"{m.box}/{m.port}" if m.box else m.port, "box": m.box,
             "box_alive": known[m.box]["alive"] if m.box in known else None,
             "port": m.port, "device": m.device, "state": m.state, "alarm": m.alarm, "imei": m.imei,
             "imsi": m.imsi, "iccid": m.iccid, "sim_state": m.sim_state, "registration": m.registration,
             "operator": m.operator, "carrier": m.carrier, "signal_dbm": m.signal_dbm,
             "sent_today": m.sent_today, "sent_month": m.sent_month, "received": m.received,
             "errors": m.errors, "busy": m.busy, "last_activity": m.last_activity, "updated_at": m.updated_at}
            for m in ModemStatus.select().order_by(ModemStatus.box, ModemStatus.port)]
    if args.json:
        print_json(rows)
        return 0
    for box in known.values():  # several boxes on one database: which are alive
        beat = f"last heartbeat {box['seconds_since_beat']:g} s ago"
        print(f"box {box['name']}: " + ("alive" if box["alive"] else "SILENT") + f" ({beat})")
    if not rows:
        print("no modem seen yet (is `appliance run smsd` running?)")
        return 0
    width = max(8, *(len(r["name"]) for r in rows))
    print(f"{'modem':<{width}} {'state':<9} {'carrier':<14} {'signal':>7} {'network':<14} {'today':>6} "
          f"{'month':>6} {'errors':>6}  last activity")
    for r in rows:
        signal = f"{r['signal_dbm']} dBm" if r["signal_dbm"] is not None else "-"
        seen = clock.format(r["last_activity"], "%H:%M:%S") if r["last_activity"] else "-"
        silent = "  (its box is silent: as last seen)" if r["box_alive"] is False else ""
        print(f"{r['name']:<{width}} {r['state']:<9} {r['carrier'] or '-':<14} {signal:>7} "
              f"{r['registration'] or '-':<14} {r['sent_today']:>6} {r['sent_month']:>6} {r['errors']:>6}  {seen}"
              + (f"  ALARM: {r['alarm']}" if r["alarm"] else "") + silent)
    return 0


def cmd_modem_forget_box(args, config):
    from appliance.cluster import boxes
    from appliance.models import audit
    modems = boxes.forget(args.box, config["box.heartbeat_timeout"])
    audit("cli", "box.forget", args.box, f"{modems} modem row(s) removed", "cli")
    print(f"box {args.box} forgotten ({modems} modem row(s) removed)")
    return 0


def cmd_bench_sms(args, config):
    if args.bearer == "smpp":
        if args.parts < 1 or args.window < 1 or args.rate <= 0:
            raise InputError("--parts, --window and --rate: must be more than 0", field="parts")
        from modem.smpp.bench import run_smpp_bench
        result = run_smpp_bench(args)
    elif args.boxes:
        if not 1 <= args.boxes <= 8:
            raise InputError("--boxes: must be 1..8", field="boxes")
        from modem.bench_boxes import run_boxes_bench
        result = run_boxes_bench(args)
    else:
        from modem.bench import run_bench
        result = run_bench(args)
    if args.json:
        print_json(result)
    return 0 if result else 1

