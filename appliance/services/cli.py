"""Command line of the SMS services (registered through the appliance.commands
entry point `services`): notices, import, groups, templates, phrases,
campaigns, surveys, schedules, topics, opt-out, keywords, reports, and
`bench campaign`. Listings take --json."""
import datetime
import sys

from appliance import clock
from appliance.cli import add_command, bench_subparsers, print_json
from appliance.errors import InputError
from appliance.reports.cli import subparsers as report_subparsers


def _date(text, field="date"):
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InputError(f"{field}: must be YYYY-MM-DD, got {text!r}", field=field) from None


def _datetime(text, field):
    """'YYYY-MM-DD HH:MM' on the box's wall clock -> the instant."""
    if text is None:
        return None
    try:
        return clock.parse(text.replace("T", " "))
    except ValueError:
        raise InputError(f"{field}: must be 'YYYY-MM-DD HH:MM', got {text!r}", field=field) from None


def _vars(pairs):
    values = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError(f"var: {pair!r} must be NAME=VALUE", field="var")
        values[name] = value
    return values


def _table(rows, columns):
    """A plain text table: one line per row, tab-separated columns."""
    for row in rows:
        print("\t".join(_cell(row.get(c, "")) for c in columns))


def _cell(value):
    """Times in listings are the box's wall-clock time."""
    return clock.format(value) if isinstance(value, datetime.datetime) else str(value)


def _out(args, data, columns=None):
    if getattr(args, "json", False) or columns is None:
        print_json(data)
    else:
        _table(data, columns)
    return 0


# --- notices -------------------------------------------------------------------------

def cmd_notices_run(args, config):
    from appliance.services import notices
    now = clock.now()
    if args.date:  # a run for another day is taken at this time of the box's day
        now = clock.instant(datetime.datetime.combine(_date(args.date), clock.local(now).time()))
    result = notices.run(config, now, dry_run=args.dry_run)
    if args.json:
        return _out(args, result)
    for n in result["notices"]:
        print(f"{n['type']}\t{n['key']}\t{n['text']}")
    for n in result["withheld"]:  # facts missing or contradicting the type: not sent
        print(f"withheld\t{n['key']}\t{n['reason']}", file=sys.stderr)
    for n in result["no_mobile"]:  # the agent or staff member has no mobile on file
        print(f"no mobile\t{n['key']}\tstaff {n['badge_no']}", file=sys.stderr)
    held = result["held"]
    if held and held["notices"]:  # paced (notices.pace): beyond the day's capacity
        not_sent = sum(g["not_sent"] for g in held["greetings"])
        print(f"held\t{held['notices']} notice(s), {held['parts']} parts ({held['service']} service, "
              f"{held['marketing']} marketing; {not_sent} greeting(s) not sent on their date)", file=sys.stderr)
    verb = "would queue" if args.dry_run else "queued"
    print(f"{result['date']}: {verb} {result['queued']} notice(s), {result['skipped']} skipped (opt-out/DND), "
          f"{len(result['withheld'])} withheld (facts missing or contradicting the notice)",
          file=sys.stderr)
    return 0


def cmd_notices_types(args, config):
    from appliance.services import notices
    return _out(args, notices.catalogue(), ["type", "about", "category", "title"])


def cmd_notices_send(args, config):
    from appliance.services import notices
    message = notices.send_event(config, args.type, policy_no=args.policy, customer_no=args.customer,
                                 claim_no=args.claim, event_id=args.event_id, variables=_vars(args.var),
                                 source="cli", created_by="cli")
    print(message.id)
    return 0


# --- import ------------------------------------------------------------------------------

def cmd_import(args, config):
    from appliance import importer
    try:
        report = importer.import_file(args.kind, args.file, mapping=importer.parse_mapping(args.map),
                                      dry_run=args.dry_run)
    except importer.ImportFailed as exc:
        if len(exc.errors) > 1:  # every problem first, then the one-line summary
            for error in exc.errors:
                print(f"  {error}", file=sys.stderr)
        raise
    if args.json:
        return _out(args, report)
    verb = "would import" if args.dry_run else "imported"
    print(f"{args.kind}: {verb} {report['rows']} row(s): {report['created']} new, {report['updated']} updated, "
          f"{report['numbers_cleaned']} phone number(s) cleaned"
          + (f"; ignored columns: {', '.join(report['ignored_columns'])}" if report["ignored_columns"] else ""))
    return 0


# --- groups, templates, phrases ---------------------------------------------------------

def cmd_group_create(args, config):
    from appliance import groups
    group = groups.create(args.name, args.kind, args.rule or "", args.value or "", args.description or "")
    print(group.id)
    return 0


def cmd_group_list(args, config):
    from appliance import groups
    return _out(args, groups.listing(), ["id", "name", "kind", "rule", "rule_value", "members"])


def cmd_group_add(args, config):
    from appliance import groups
    print(groups.add_members(groups.get_group(args.group), args.members))
    return 0


def cmd_group_remove(args, config):
    from appliance import groups
    print(groups.remove_members(groups.get_group(args.group), args.members))
    return 0


def cmd_group_members(args, config):
    from appliance import groups
    from appliance.privacy import mask_mobile
    rows = [{"number": r.number if args.json else mask_mobile(r.number), "name": r.variables.get("name", ""),
             "customer_id": r.customer_id, "staff_id": r.staff_id}
            for r in groups.recipients(groups.get_group(args.group))]
    return _out(args, rows, ["number", "name"])


def cmd_template_list(args, config):
    from appliance.services import templates
    rows = templates.listing()
    for row in rows:
        row["edited"] = ",".join(row["edited"])
    return _out(args, rows, ["key", "category", "edited", "title"])


def cmd_template_show(args, config):
    from appliance.services import templates
    text, category = templates.get(args.key, args.lang)
    if args.json:
        return _out(args, {"key": args.key, "language": args.lang, "category": category, "text": text,
                           "variables": sorted(templates.variables_of(text))})
    print(text)
    return 0


def cmd_template_set(args, config):
    from appliance.models import audit
    from appliance.services import templates
    templates.put(args.key, args.lang, args.text, category=args.category, user="cli")
    audit("cli", "template.update", f"{args.key}:{args.lang}", source="cli")
    return 0


def cmd_template_reset(args, config):
    from appliance.services import templates
    templates.reset(args.key, args.lang)
    return 0


def cmd_template_preview(args, config):
    from appliance.services import templates
    from appliance.sms.text import preview
    text = templates.Renderer(args.key, config).render(_vars(args.var), args.lang)
    info = preview(text)
    if args.json:
        return _out(args, {"text": text, **info})
    print(text)
    print(f"{info['encoding']}, {info['parts']} part(s), {info['left_in_part']} left in the last part",
          file=sys.stderr)
    return 0


def cmd_phrase_add(args, config):
    from appliance.services import phrases
    print(phrases.add(args.category, args.text).id)
    return 0


def cmd_phrase_list(args, config):
    from appliance.services import phrases
    return _out(args, phrases.listing(args.category), ["id", "category", "text"])


def cmd_phrase_remove(args, config):
    from appliance.services import phrases
    phrases.remove(args.id)
    return 0


# --- campaigns, surveys, schedules ----------------------------------------------------------

def _recipients(args):
    from appliance import groups
    from appliance.services import subscriptions
    if bool(args.group) == bool(getattr(args, "topic", None)):
        raise InputError("target: give --group or --topic", field="target")
    if args.group:
        group = groups.get_group(args.group)
        return group, groups.recipients(group, with_email=getattr(args, "channel", "sms") != "sms")
    return None, subscriptions.subscribers(subscriptions.get_topic(args.topic))


def cmd_campaign_preview(args, config):
    from appliance.privacy import mask_mobile
    from appliance.services import campaigns
    _, recipients = _recipients(args)
    result = campaigns.preview(config, recipients, template_key=args.template, text=args.text,
                               category=args.category, extra=_vars(args.var),
                               expires_at=_datetime(args.expires, "expires"))
    if args.json:
        return _out(args, result)
    for sample in result["samples"]:
        print(f"{mask_mobile(sample['to'])}\t{sample['parts']} part(s)\t{sample['text']}")
    print(f"{result['recipients']} recipient(s), {result['skipped']} skipped, {result['parts']} part(s), "
          f"cost {result['cost']:.2f}")
    pace = result["pace"]
    if pace["paced"]:  # services.campaign_pace: what goes when (appliance/services/campaign_pacing.py)
        print(f"today {pace['today']} message(s) ({pace['today_parts']} parts); following days {pace['later']} "
              f"({pace['later_parts']} parts); will not go before the end {pace['not_going']} "
              f"({pace['not_going_parts']} parts)")
    return 0


def cmd_campaign_send(args, config):
    from appliance.services import campaigns
    group, recipients = _recipients(args)
    campaign = campaigns.send(config, args.name, recipients, template_key=args.template, text=args.text,
                              category=args.category, group=group, extra=_vars(args.var),
                              created_by=args.user, department=args.department, source="cli",
                              window=args.window or "", expires_at=_datetime(args.expires, "expires"),
                              channel=args.channel)
    if args.json:
        return _out(args, {"id": campaign.id, "name": campaign.name, "queued": campaign.queued,
                           "skipped": campaign.skipped, "pending": campaign.pending})
    print(f"campaign {campaign.id}: {campaign.queued} queued, {campaign.skipped} skipped"
          + (f", {campaign.pending} for the following days" if campaign.pending else ""))
    return 0


def cmd_campaign_list(args, config):
    from appliance.services import campaigns
    return _out(args, campaigns.listing(), ["id", "name", "kind", "category", "queued", "skipped", "created_at"])


def cmd_survey_send(args, config):
    from appliance.services import surveys
    campaign = surveys.send(config, args.name, args.group, args.question, created_by=args.user,
                            department=args.department, source="cli")
    print(f"survey {campaign.id}: {campaign.queued} queued, {campaign.skipped} skipped")
    return 0


def cmd_survey_results(args, config):
    from appliance.services import surveys
    result = surveys.tally(args.id)
    if args.json:
        return _out(args, result)
    print(f"{result['name']}: {result['answers']} of {result['sent']} answered, average {result['average']}")
    for score, count in result["scores"].items():
        print(f"{score}\t{count}")
    return 0


def cmd_schedule_add(args, config):
    from appliance.services import schedules
    schedule = schedules.create(
        config, args.name, template_key=args.template, text=args.text, category=args.category,
        group=args.group, topic=args.topic, numbers=args.numbers.split(",") if args.numbers else (),
        cron=args.cron or "", run_at=_datetime(args.at, "at"), window=args.window or "",
        expires_at=_datetime(args.expires, "expires"), created_by=args.user, department=args.department)
    print(f"schedule {schedule.id}: next run {clock.format(schedule.next_run_at)}")
    return 0


def cmd_schedule_list(args, config):
    from appliance.services import schedules
    return _out(args, schedules.listing(), ["id", "name", "target", "cron", "window", "next_run_at", "enabled"])


def cmd_schedule_run(args, config):
    from appliance.services import schedules
    fired = schedules.run_due(config, _datetime(args.now, "now"))
    for campaign in fired:
        print(f"campaign {campaign.id} ({campaign.name}): {campaign.queued} queued")
    return 0


def cmd_schedule_enable(args, config):
    from appliance.services import schedules
    schedules.set_enabled(args.schedule, args.action == "enable")
    return 0


# --- topics, opt-out, keywords ----------------------------------------------------------

def cmd_topic_add(args, config):
    from appliance.services import subscriptions
    print(subscriptions.create_topic(args.code, args.name, args.description or "").id)
    return 0


def cmd_topic_list(args, config):
    from appliance.services import subscriptions
    return _out(args, subscriptions.topics_listing(), ["code", "name", "subscribers"])


def cmd_subscribe(args, config):
    from appliance.services import subscriptions
    topic = subscriptions.get_topic(args.topic)
    if args.action == "subscribe":
        subscriptions.subscribe(topic, args.number, source="cli")
    else:
        subscriptions.unsubscribe(topic, args.number)
    return 0


def cmd_optout(args, config):
    from appliance.services import optout
    kind = "dnd" if args.dnd else "optout"
    if args.action == "add":
        optout.add(args.number, kind, reason=args.reason or "", source="cli")
    else:
        optout.remove(args.number, kind)
    return 0


def cmd_optout_list(args, config):
    from appliance.services import optout
    return _out(args, optout.listing(), ["number", "kind", "source", "created_at"])


def cmd_keyword_list(args, config):
    from appliance.services import autoreply
    return _out(args, autoreply.listing(), ["keyword", "action", "template", "enabled"])


def cmd_keyword_set(args, config):
    from appliance.services import autoreply
    autoreply.set_keyword(args.keyword, args.action, args.template or "", enabled=not args.disable)
    return 0


def cmd_inbound_action(args, config):
    from appliance.sms import inbox_actions
    if args.inbound_command == "reply":
        print(inbox_actions.reply(args.id, args.text, "cli", "cli", config=config).id)
    elif args.inbound_command == "forward":
        print(inbox_actions.forward(args.id, args.number, "cli", config, "cli").id)
    else:
        inbox_actions.set_state(args.id, args.inbound_command, "cli", "cli")
    return 0


def cmd_inbound_route(args, config):
    from appliance.services import inbound as inbound_router
    print(inbound_router.route_pending(config))
    return 0


# --- reports ------------------------------------------------------------------------------

def cmd_report_statement(args, config):
    from appliance.sms import billing
    result = billing.statement(config, args.month, args.department)
    if args.json:
        return _out(args, result)
    for dept in result["departments"]:
        print(f"{dept['department'] or '-'}\t{dept['parts']} part(s)\t{dept['cost']:.2f}")
        for user in dept["by_user"]:
            print(f"  {user['user'] or '-'}\t{user['parts']}\t{user['cost']:.2f}")
    for bearer in result["by_bearer"]:  # the modem pool's SIMs and the SMPP account, apart
        print(f"by {bearer['bearer']}\t{bearer['parts']} part(s)\t{bearer['cost']:.2f}")
    print(f"total\t{result['total_parts']} part(s)\t{result['total_cost']:.2f}")
    return 0


def cmd_report_daily(args, config):
    from appliance.sms import billing
    end = _date(args.to, "to") if args.to else clock.today()
    start = _date(args.since, "from") if args.since else end - datetime.timedelta(days=6)
    rows = billing.daily_report(start, end)
    if args.json:
        return _out(args, rows)
    for row in rows:
        print(f"{row['day']}\t{row['messages']}\t{row['states']}\trate={row['delivery_rate']}\t"
              f"{row['failure_reasons']}")
    return 0


def cmd_report_campaigns(args, config):
    from appliance.sms import billing
    rows = billing.campaign_report(args.ids or None, config)
    if args.json:
        return _out(args, rows)
    for row in rows:
        print(f"{row['campaign_id']}\t{row['name']}\t{row['messages']}\t{row['states']}\t"
              f"rate={row['delivery_rate']}\t{row['cost']:.2f}\t{row['failure_reasons']}")
    return 0


# --- bench -----------------------------------------------------------------------------

def cmd_bench_campaign(args, config):
    from appliance.services.bench import bench_campaign
    result = bench_campaign(config, args.recipients)
    if args.json:
        return _out(args, result)
    print(f"campaign to {result['recipients']} recipients with personal templates: "
          f"queued {result['queued']} in {result['seconds']:.2f} s "
          f"({result['per_second']:.0f}/s; setup {result['setup_seconds']:.1f} s not counted)")
    return 0


def cmd_bench_import(args, config):
    from appliance.services.bench import bench_import
    result = bench_import(config, args.rows, modems=args.modems, latency=args.latency)
    if args.json:
        _out(args, result)
        return 0 if result["ok"] else 1
    print(f"import of {result['rows']:,} customers through the web daemon: {result['seconds']} s "
          f"({result['rows_per_second']:,} rows/s; target >= 5,000)")
    print(f"meanwhile smsd sent {result['parts_sent_during']} parts on {result['modems']} simulated modems "
          f"({result['latency_s']} s per submit): longest gap between two {result['longest_send_gap_s']} s "
          f"(target <= 2 s)")
    print(f"pages: {result['page_requests']} requests, p95 {result['page_p95_ms']} ms, max {result['page_max_ms']} ms "
          f"(target p95 <= 200 ms)")
    for error in result["errors"]:
        print(f"error: {error}", file=sys.stderr)
    print("all targets met" if result["ok"] else "TARGETS MISSED")
    return 0 if result["ok"] else 1


def cmd_bench_notices(args, config):
    from appliance.services.bench import bench_notices
    if args.festival:
        return _bench_festival(args, config)
    result = bench_notices(config, args.policies, data_dir=args.dir, dry_run=args.dry_run)
    if args.json:
        _out(args, result)
        return 0 if result["ok"] else 1
    if result["filled_in_s"] is not None:
        print(f"generated {result['policies']:,} policies in {result['filled_in_s']} s")
    print(f"notice run for {result['day']} over {result['policies']:,} policies: {result['queued']:,} notices "
          f"{'planned' if result['dry_run'] else 'queued'} in {result['seconds']} s (target <= 15 s), "
          f"peak RSS {result['max_rss_mb']} MB (target <= 200 MB)")
    print("all targets met" if result["ok"] else "TARGETS MISSED")
    return 0 if result["ok"] else 1


def _bench_festival(args, config):
    from appliance.services.bench import bench_notices
    festival = _date(args.festival, "festival")
    for field, value, top in (("sims", args.sims, 10_000), ("smpp-rate", args.smpp_rate, 10_000), ("lead-days", args.lead_days, 30)):
        if not 0 <= value <= top:
            raise InputError(f"{field}: must be from 0 to {top}, got {value:g}", field=field)
    result = bench_notices(config, args.policies, data_dir=args.dir, dry_run=args.dry_run, festival=festival,
                           sims=args.sims, smpp_rate=args.smpp_rate, lead_days=args.lead_days)
    if args.json:
        _out(args, result)
        return 0 if result["ok"] else 1
    if result["filled_in_s"] is not None:
        print(f"generated {result['policies']:,} policies in {result['filled_in_s']} s")
    print(f"festival {result['festival']}, {result['policies']:,} policies, {args.sims} SIMs + SMPP at "
          f"{args.smpp_rate:g} parts/s, greetings from {args.lead_days} days before")
    print("day\tcapacity (day/window)\tservice SMS (parts)\tgreetings (parts)\tfestival share\theld\t"
          "not sent\ttime\tpeak RSS")
    for run in result["runs"]:
        c, held = run["counts"], run["counts"]["held"]
        free = c.get("capacity") or {}
        print(f"{run['day']}\t{free.get('day', '-')}/{free.get('window', '-')}\t{c['service']} ({c['service_parts']})\t"
              f"{c['greetings']} ({c['greeting_parts']})\t{run['greeting_share']}\t{held['notices']}\t"
              f"{sum(g['not_sent'] for g in held['greetings'])}\t{run['seconds']} s\t{run['max_rss_mb']} MB"
              + ("\t(the book's first run: every catch-up at once; not in the time check)" if run.get("first_run") else ""))
    print(", ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in result["checks"].items()))
    return 0 if result["ok"] else 1


# --- registration --------------------------------------------------------------------------

def _sub(parser, dest):
    from appliance.cli import ArgumentParser
    return parser.add_subparsers(dest=dest, metavar="ACTION", parser_class=ArgumentParser, required=True)


def _json(parser):
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _message_source(parser, variables=True):
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--template", help="template key (appliance template list)")
    group.add_argument("--text", help="the text itself, with {variables}")
    parser.add_argument("--category", choices=["service", "marketing", "internal"],
                        help="default: the template's; 'service' for a text")
    if variables:
        parser.add_argument("--var", action="append", metavar="NAME=VALUE", help="a variable for every recipient")


def _charged(parser):
    parser.add_argument("--user", default="cli", help="who it is charged to (default cli)")
    parser.add_argument("--department", default="", help="department it is charged to")


def register(sub):
    notices = add_command(sub, "notices", None, "business notices from policy data", needs_db=False)
    nsub = _sub(notices, "notices_command")
    run = _json(add_command(nsub, "run", cmd_notices_run, "run the daily notice rules now (each notice goes once)"))
    run.add_argument("--date", help="the day to run for, YYYY-MM-DD (default today)")
    run.add_argument("--dry-run", action="store_true", help="show what would be queued; queue nothing")
    _json(add_command(nsub, "types", cmd_notices_types, "list the notice types"))
    send = add_command(nsub, "send", cmd_notices_send, "send one notice now (as a core-system event would)")
    send.add_argument("type")
    send.add_argument("--policy", help="policy number")
    send.add_argument("--customer", help="customer number (birthday, holiday)")
    send.add_argument("--claim", help="claim number (claim notices)")
    send.add_argument("--event-id", help="idempotency key: the same event is sent once")
    send.add_argument("--var", action="append", metavar="NAME=VALUE")

    imp = _json(add_command(sub, "import", cmd_import,
                            "import customers, staff, policies, payments or claims from CSV or XLSX "
                            "(all or nothing per file)"))
    imp.add_argument("kind", choices=["customers", "staff", "policies", "payments", "claims"])
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check everything, import nothing")
    imp.add_argument("--map", action="append", metavar="HEADER=FIELD", help="map a column header to a field")

    group = add_command(sub, "group", None, "groups of customers or staff", needs_db=False)
    gsub = _sub(group, "group_command")
    create = add_command(gsub, "create", cmd_group_create, "create a group; prints its id")
    create.add_argument("name")
    create.add_argument("--kind", required=True, choices=["customer", "staff"])
    create.add_argument("--rule", choices=["region", "product", "department", "branch"],
                        help="members by rule (default: hand-picked)")
    create.add_argument("--value", help="the rule's value (a region, product code, department, branch)")
    create.add_argument("--description")
    _json(add_command(gsub, "list", cmd_group_list, "list groups with their member counts"))
    for name, handler, words in (("add", cmd_group_add, "add hand-picked members"),
                                 ("remove", cmd_group_remove, "remove hand-picked members")):
        p = add_command(gsub, name, handler, f"{words} (customer numbers, badge numbers or mobiles)")
        p.add_argument("group")
        p.add_argument("members", nargs="+")
    members = _json(add_command(gsub, "members", cmd_group_members, "list who a group reaches"))
    members.add_argument("group")

    template = add_command(sub, "template", None, "SMS templates (defaults and admins' edits)", needs_db=False)
    tsub = _sub(template, "template_command")
    _json(add_command(tsub, "list", cmd_template_list, "list every template"))
    for name, handler, words in (("show", cmd_template_show, "print a template's text"),
                                 ("set", cmd_template_set, "change a template (or add one)"),
                                 ("reset", cmd_template_reset, "back to the default text"),
                                 ("preview", cmd_template_preview, "render with variables; parts count")):
        p = _json(add_command(tsub, name, handler, words))
        p.add_argument("key")
        p.add_argument("--lang", default="zh", choices=["zh", "en"])
        if name == "set":
            p.add_argument("--text", required=True)
            p.add_argument("--category", choices=["service", "marketing", "internal"])
        if name == "preview":
            p.add_argument("--var", action="append", metavar="NAME=VALUE")

    phrase = add_command(sub, "phrase", None, "common phrases (常用短语)", needs_db=False)
    psub = _sub(phrase, "phrase_command")
    p = add_command(psub, "add", cmd_phrase_add, "add a phrase; prints its id")
    p.add_argument("category")
    p.add_argument("text")
    p = _json(add_command(psub, "list", cmd_phrase_list, "list phrases"))
    p.add_argument("--category")
    p = add_command(psub, "remove", cmd_phrase_remove, "remove a phrase")
    p.add_argument("id", type=int)

    campaign = add_command(sub, "campaign", None, "bulk sends to a group or a topic's subscribers", needs_db=False)
    csub = _sub(campaign, "campaign_command")
    for name, handler, words in (("preview", cmd_campaign_preview, "rendered samples, parts and cost; sends nothing"),
                                 ("send", cmd_campaign_send, "queue the campaign")):
        p = _json(add_command(csub, name, handler, words))
        p.add_argument("--group")
        p.add_argument("--topic")
        _message_source(p)
        p.add_argument("--expires", help="nothing sent after 'YYYY-MM-DD HH:MM' (the preview counts what will not go)")
        if name == "send":
            p.add_argument("--name", required=True)
            p.add_argument("--window", help="HH:MM-HH:MM (marketing default: services.marketing_window)")
            p.add_argument("--channel", choices=("sms", "email", "preference"), default="sms",
                           help="sms; email (every customer with an address); preference (each customer's)")
            _charged(p)
    _json(add_command(csub, "list", cmd_campaign_list, "list campaigns"))

    survey = add_command(sub, "survey", None, "SMS surveys: replies 1-5 tallied", needs_db=False)
    ssub = _sub(survey, "survey_command")
    p = add_command(ssub, "send", cmd_survey_send, "send a survey question to a group")
    p.add_argument("name")
    p.add_argument("--group", required=True)
    p.add_argument("--question", required=True)
    _charged(p)
    p = _json(add_command(ssub, "results", cmd_survey_results, "answers per score, average, response rate"))
    p.add_argument("id", type=int)

    schedule = add_command(sub, "schedule", None, "scheduled sends (one-off or cron)", needs_db=False)
    scsub = _sub(schedule, "schedule_command")
    p = add_command(scsub, "add", cmd_schedule_add, "add a scheduled send")
    p.add_argument("name")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--group")
    target.add_argument("--topic", help="a topic's subscribers")
    target.add_argument("--numbers", help="comma-separated numbers")
    _message_source(p, variables=False)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help="one-off: 'YYYY-MM-DD HH:MM'")
    when.add_argument("--cron", help="recurring: 'minute hour day month weekday', e.g. '0 10 * * 1'")
    p.add_argument("--window", help="daily send window HH:MM-HH:MM")
    p.add_argument("--expires", help="nothing sent after 'YYYY-MM-DD HH:MM'")
    _charged(p)
    _json(add_command(scsub, "list", cmd_schedule_list, "list schedules"))
    p = add_command(scsub, "run", cmd_schedule_run, "fire the schedules that are due now")
    p.add_argument("--now", help="'YYYY-MM-DD HH:MM' (default: now)")
    for name in ("enable", "disable"):
        p = add_command(scsub, name, cmd_schedule_enable, f"{name} a schedule")
        p.add_argument("schedule")
        p.set_defaults(action=name)

    topic = add_command(sub, "topic", None, "subscription topics and subscribers", needs_db=False)
    tosub = _sub(topic, "topic_command")
    p = add_command(tosub, "add", cmd_topic_add, "add a topic (customers text DY+CODE)")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--description")
    _json(add_command(tosub, "list", cmd_topic_list, "list topics with subscriber counts"))
    for name in ("subscribe", "unsubscribe"):
        p = add_command(tosub, name, cmd_subscribe, f"{name} a number")
        p.add_argument("topic")
        p.add_argument("number")
        p.set_defaults(action=name)

    opt = add_command(sub, "optout", None, "opt-out (no marketing) and do-not-disturb lists", needs_db=False)
    osub = _sub(opt, "optout_command")
    for name in ("add", "remove"):
        p = add_command(osub, name, cmd_optout, f"{name} a number")
        p.add_argument("number")
        p.add_argument("--dnd", action="store_true", help="the do-not-disturb list (only service notices go)")
        p.add_argument("--reason")
        p.set_defaults(action=name)
    _json(add_command(osub, "list", cmd_optout_list, "list both lists"))

    keyword = add_command(sub, "keyword", None, "auto-reply keywords", needs_db=False)
    ksub = _sub(keyword, "keyword_command")
    _json(add_command(ksub, "list", cmd_keyword_list, "list keywords and what they do"))
    p = add_command(ksub, "set", cmd_keyword_set, "add or change a keyword")
    p.add_argument("keyword")
    p.add_argument("action", choices=["policies", "payments", "claims", "performance", "subscribe",
                                      "unsubscribe", "optout", "reply"])
    p.add_argument("--template", help="for 'reply': the template answered")
    p.add_argument("--disable", action="store_true")

    inbound = add_command(sub, "inbound", None, "act on inbound SMS (the list is `appliance inbox`)",
                          needs_db=False)
    isub = _sub(inbound, "inbound_command")
    add_command(isub, "route", cmd_inbound_route,
                "handle inbound SMS not routed yet (auto-reply, opt-out, surveys, tickets)")
    p = add_command(isub, "reply", cmd_inbound_action, "reply to the sender; prints the message id")
    p.add_argument("id", type=int)
    p.add_argument("text")
    p = add_command(isub, "forward", cmd_inbound_action, "forward to a colleague's mobile")
    p.add_argument("id", type=int)
    p.add_argument("number")
    for name, words in (("handled", "mark handled"), ("deleted", "delete (kept, marked deleted)"),
                        ("new", "mark new again")):
        p = add_command(isub, name, cmd_inbound_action, words)
        p.add_argument("id", type=int)

    rsub = report_subparsers(sub)  # shared with issue 17's reports (appliance/reports/cli.py)
    p = _json(add_command(rsub, "statement", cmd_report_statement, "monthly statement per department"))
    p.add_argument("month", help="YYYY-MM")
    p.add_argument("--department")
    p = _json(add_command(rsub, "daily", cmd_report_daily, "counts, delivery rate and failure reasons per day"))
    p.add_argument("--from", dest="since", help="YYYY-MM-DD (default: a week ago)")
    p.add_argument("--to", help="YYYY-MM-DD (default: today)")
    p = _json(add_command(rsub, "campaigns", cmd_report_campaigns, "the same per campaign"))
    p.add_argument("ids", nargs="*", type=int)

    bench = _json(add_command(bench_subparsers(sub), "campaign", cmd_bench_campaign,
                              "queue a campaign to 100,000 recipients with personal templates (target < 10 s)",
                              needs_db=False))
    bench.add_argument("--recipients", type=int, default=100_000)
    bench = _json(add_command(bench_subparsers(sub), "import", cmd_bench_import,
                              "import 200,000 customers in the web daemon while smsd sends on simulated "
                              "modems and pages are requested (targets: >= 5,000 rows/s, longest sending "
                              "gap <= 2 s, page p95 <= 200 ms, no error)", needs_db=False))
    bench.add_argument("--rows", type=int, default=200_000)
    bench.add_argument("--modems", type=int, default=4, help="simulated modems (default 4)")
    bench.add_argument("--latency", type=float, default=0.25, help="seconds per submit (default 0.25)")
    bench = _json(add_command(bench_subparsers(sub), "notices", cmd_bench_notices,
                              "the daily notice run over a generated book of 1,000,000 policies "
                              "(targets: <= 15 s, <= 200 MB RSS)", needs_db=False))
    bench.add_argument("--policies", type=int, default=1_000_000)
    bench.add_argument("--dir", help="keep the generated book here and reuse it (filling takes about a minute)")
    bench.add_argument("--dry-run", action="store_true", help="plan the notices without queueing them")
    bench.add_argument("--festival", nargs="?", const="2027-01-01", metavar="DATE",
                       help="the days before a greeting festival (default New Year's Day 2027-01-01), the day "
                            "itself and the day after, paced to --sims SIMs and an SMPP account at --smpp-rate")
    bench.add_argument("--sims", type=int, default=32, help="festival: SIMs in service (default 32)")
    bench.add_argument("--smpp-rate", type=float, default=10.0, help="festival: the SMPP account's parts/s (0: none)")
    bench.add_argument("--lead-days", type=int, default=3, help="festival: notices.greeting_lead_days (default 3)")
