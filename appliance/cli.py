"""The `appliance` command line.

Core commands live here; modem/, agi/ and web/ add theirs through the
`appliance.commands` entry points (see pyproject.toml), so this package never
imports them. Every command is `handler(args, config) -> exit code`.
Bad input exits 2 with one line on stderr naming the problem; never a traceback.
"""
import argparse
import datetime
import errno
import json
import logging
import os
import sys
import warnings

from appliance import clock, db as dbmod
from appliance.cluster import identity
from appliance.config import ENV_VAR, check_configured, ensure_data_dir, load_config
from appliance.daemon import running_lock
from appliance.errors import ApplianceError, ConfigError, InputError
from appliance.logs import setup_logging
from appliance.plugins import plugins
from appliance.settings import BY_NAME

log = logging.getLogger("appliance")
# python-gsmmodem-new 0.13 compares strings with `is not`; Python warns when it
# compiles that module, which would add noise lines to our one-line errors.
warnings.filterwarnings("ignore", category=SyntaxWarning, module=r".*gsmmodem")
LISTEN_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        # argparse already exits 2; keep it to one line plus the usage.
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_command(subparsers, name, handler, help, needs_db=True, **kwargs):
    """Add a subcommand; needs_db opens and migrates the database before the handler."""
    parser = subparsers.add_parser(name, help=help, description=help, **kwargs)
    parser.set_defaults(handler=handler, needs_db=needs_db)
    return parser


def bench_subparsers(subparsers):
    """The subparsers of the shared `bench` command, created on first use, so each
    area adds its own `bench NAME` (sms, agi, web, campaign…) from its register()."""
    parser = subparsers.choices.get("bench")
    if parser is None:
        parser = add_command(subparsers, "bench", None, "measure throughput and CPU cost (bench NAME --help)",
                             needs_db=False)
        parser.bench_subparsers = parser.add_subparsers(dest="bench_command", metavar="WHAT",
                                                        parser_class=ArgumentParser, required=True)
    return parser.bench_subparsers


def _json_value(value):
    """Times in --json output: instants as ISO 8601 with the box's offset, as the API does."""
    if isinstance(value, datetime.datetime):
        return clock.iso(value)
    return str(value)


def print_json(data):
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=_json_value)
    sys.stdout.write("\n")


# --- core commands -------------------------------------------------------------

def cmd_init(args, config):
    ensure_data_dir(config)
    database = dbmod.open_database(config)
    applied = dbmod.migrate(database)
    print(f"database ready at {config.database_url.split('@')[-1]}"
          f" ({len(applied)} migration(s) applied)")
    return 0


def cmd_config_show(args, config):
    sys.stdout.write(config.to_toml())
    return 0


def cmd_config_check(args, config):
    ensure_data_dir(config)
    print(f"configuration {config.path or '(defaults)'} is valid")
    return 0


def cmd_config_set(args, config):
    """Change one key in the configuration file; VALUE '-' reads it from stdin (for a PIN)."""
    from appliance import config_edit  # tomlkit only for this command
    from appliance.models import audit
    text = sys.stdin.readline().rstrip("\n") if args.value == "-" else args.value
    value = config_edit.parse_text(args.key, text)
    if not config.path:
        config_edit.set_values(None, {})  # the one-line "no configuration file" error, before any database
    config_edit.check(args.key, value, editable_only=False)
    dbmod.open_and_migrate(config)  # the audit log must be reachable before anything is written
    changed = config_edit.set_values(config.path, {args.key: value}, editable_only=False)
    if not changed:
        print(f"{args.key} already has that value; nothing written")
        return 0
    described = config_edit.describe({args.key: value}, changed)
    audit("cli", "settings.update", str(config.path), described, "cli")
    restart = config_edit.restarts_for(changed)
    print(f"{described} written to {config.path}"
          + (f"; takes effect after: {', '.join(config_edit.restart_steps(restart))}" if restart else ""))
    return 0


def cmd_run(args, config):
    daemons = plugins("appliance.daemons")
    if args.daemon not in daemons:
        known = ", ".join(daemons) or "none installed"
        raise InputError(f"unknown daemon '{args.daemon}' (known: {known})", field="daemon")
    ensure_data_dir(config)
    with running_lock(config.data_dir, args.daemon):  # taken before the database is opened: see restore
        dbmod.open_and_migrate(config)
        return _run_daemon(daemons[args.daemon], args, config)


def _run_daemon(entry_point, args, config):
    try:
        return entry_point.load()(config) or 0
    except OSError as exc:
        # A daemon that cannot listen says which setting to change, in one line.
        key = f"{args.daemon}.listen"
        if key in BY_NAME and (exc.errno in LISTEN_ERRORS or "in use" in str(exc)):
            raise ConfigError(f"{key}: cannot listen on {config[key]}: "
                              f"{os.strerror(exc.errno) if exc.errno else 'address already in use'}",
                              field=key) from None
        raise


def cmd_demo(args, config):
    from appliance.demo import run_demo
    return run_demo(args, config)


def cmd_customer_add(args, config):
    from appliance.models import Customer, audit
    customer = Customer(name=args.name, mobile=args.mobile, id_number=args.id_number,
                        gender=args.gender or "", region=args.region or "", customer_no=args.customer_no)
    customer.clean()
    with dbmod.write_transaction():
        customer.save()
        audit("cli", "customer.create", f"customer:{customer.id}", source="cli")
    print(customer.id)
    return 0


def cmd_doctor(args, config):
    from appliance.doctor import box_gettext, run_checks, say
    checks = {name: ep.load() for name, ep in plugins("appliance.doctor").items()}
    results = run_checks(config, checks)
    if args.json:  # for scripts: the English texts
        print_json([dict(status=s, check=w, detail=d) for s, w, d in results])
    else:  # for branch IT: the box's language (status codes stay, one column to scan)
        gettext = box_gettext(config["language"])
        for status, what, detail in (say(line, gettext) for line in results):
            print(f"{status.upper():4}  {what}: {detail}")
    return 1 if any(s == "fail" for s, _, _ in results) else 0


def cmd_backup(args, config):
    from appliance.backup import backup
    print(backup(config, args.output))
    return 0


def cmd_backup_nightly(args, config):
    from appliance.system.nightly_backup import run_nightly
    archive, removed = run_nightly(config)
    print(f"{archive}" + (f"; removed {len(removed)} older nightly backup(s)" if removed else ""))
    return 0


def cmd_upgrade(args, config):
    from appliance.system import upgrade
    units = [f"appliance-{name}.service" for name in args.units.split(",")] if args.units else None
    box = upgrade.Box(config, root=args.root, systemctl=args.systemctl, units=units,
                      deadline=args.deadline, settle=args.settle, python=args.python, image=args.image)
    if args.recover:
        print(upgrade.recover(box))
        return 0
    if not args.bundle:
        raise InputError("upgrade: name the firmware bundle (or --recover)", field="bundle")
    print(f"upgraded to {upgrade.upgrade(box, args.bundle)}")
    return 0


def cmd_network_apply(args, config):
    from appliance.system import network
    changed = network.apply(config, args.root, args.networkctl or None)
    target = f"{args.root.rstrip('/')}/{network.NETWORK_FILE}"
    print(f"{target} {'written' if changed else 'unchanged'}")
    return 0


def cmd_network_show(args, config):
    from appliance.system import network
    sys.stdout.write(network.render(config))
    return 0


def cmd_release_make(args, config):
    from appliance.system.releases import make_bundle
    print(make_bundle(args.wheel_dir, args.version, args.output))
    return 0


def cmd_restore(args, config):
    from appliance.backup import restore
    kept = restore(config, args.archive, all_boxes=args.yes_all_boxes)
    db = dbmod.open_database(config)
    dbmod.migrate(db)  # an older backup meets newer firmware
    shared = ("" if config.database_url.startswith("sqlite:///")
              else f" into PostgreSQL database {db.database}, for every box that uses it")
    print(f"restored from {args.archive}{shared}" + (f"; previous database kept at {kept}" if kept else ""))
    return 0


def build_parser():
    parser = ArgumentParser(prog="appliance",
                            description="Branch communications appliance: SMS pool, IVR, admin page.")
    parser.add_argument("--config", metavar="PATH",
                        help=f"configuration file (TOML); default ${ENV_VAR}, else built-in defaults")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: SQL too)")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)

    add_command(sub, "init", cmd_init, "create the data directory and the database, apply migrations",
                needs_db=False)

    config_parser = add_command(sub, "config", None, "show, check or change the configuration", needs_db=False)
    config_sub = config_parser.add_subparsers(dest="config_command", metavar="ACTION",
                                              parser_class=ArgumentParser, required=True)
    add_command(config_sub, "show", cmd_config_show, "print every key with its value and help (secrets hidden)",
                needs_db=False)
    add_command(config_sub, "check", cmd_config_check, "check the file and that data_dir is writable",
                needs_db=False)
    config_set = add_command(config_sub, "set", cmd_config_set,
                             "change one key in the configuration file (comments kept, audited)",
                             needs_db=False)
    config_set.add_argument("key", metavar="KEY", help="dotted name, e.g. modems.daily_cap")
    config_set.add_argument("value", metavar="VALUE", help="the new value; - reads it from stdin (for a PIN)")

    run_parser = add_command(sub, "run", cmd_run, "run one daemon in the foreground (as systemd does)",
                             needs_db=False)  # cmd_run opens it once the daemon's lock is held
    run_parser.set_defaults(needs_data=True)
    run_parser.add_argument("daemon", metavar="DAEMON",
                            help="which daemon: " + (", ".join(plugins("appliance.daemons")) or "none installed"))

    demo = add_command(sub, "demo", cmd_demo,
                       "run everything on a throw-away data dir with demo data and simulated modems",
                       needs_db=False)
    demo.add_argument("--dir", help="data directory to use (kept); default a new temporary one (removed)")
    demo.add_argument("--customers", type=int, default=300, help="how many demo customers (default 300)")
    demo.add_argument("--duration", type=float, default=None, help="stop by itself after this many seconds")
    demo.add_argument("--web-listen", metavar="HOST:PORT", help="admin page and API (default 127.0.0.1:8080)")
    demo.add_argument("--agi-listen", metavar="HOST:PORT", help="FastAGI server (default 127.0.0.1:4573)")

    doctor = add_command(sub, "doctor", cmd_doctor, "check the box and say what is wrong (exit 1 on a failure)",
                         needs_db=False)
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(needs_data=True)  # checks a box, never creates one

    backup = add_command(sub, "backup", cmd_backup, "write a backup archive (database snapshot, data files, config)")
    backup.add_argument("--output", help="archive path; default data_dir/backups/appliance-STAMP.tar.gz")
    backup_sub = backup.add_subparsers(dest="backup_command", metavar="ACTION", parser_class=ArgumentParser)
    add_command(backup_sub, "nightly", cmd_backup_nightly,
                "the timer's backup: data_dir/backups/nightly-STAMP.tar.gz, keeping the newest backup.keep")
    restore = add_command(sub, "restore", cmd_restore,
                          "restore a backup archive (stop the daemons first); keeps the replaced database",
                          needs_db=False)
    restore.add_argument("archive", help="a file written by appliance backup")
    restore.add_argument("--yes-all-boxes", action="store_true",
                         help="PostgreSQL: replace the database although other boxes may share it "
                              "(stop their daemons first); required there")
    restore.set_defaults(needs_data=True)

    upgrade = add_command(sub, "upgrade", cmd_upgrade,
                          "install a firmware bundle beside the running release, back up, migrate, restart; "
                          "roll back if it does not come up", needs_db=False)
    upgrade.add_argument("bundle", nargs="?", help="a firmware bundle (appliance release make)")
    upgrade.add_argument("--recover", action="store_true",
                         help="finish an upgrade a power cut interrupted (run at boot before the daemons)")
    upgrade.add_argument("--root", default="/opt/appliance", help="the firmware root (default /opt/appliance)")
    upgrade.add_argument("--systemctl", default="systemctl", help="the program driving the units")
    upgrade.add_argument("--python", help="the interpreter the release runs with (default this one; "
                                          "an image build: /usr/bin/python3)")
    upgrade.add_argument("--image", metavar="DIR",
                         help="an image's root filesystem: install the first release into DIR/ROOT, "
                              "its paths as seen inside the image")
    upgrade.add_argument("--units", help="daemons to wait for, comma-separated (default: every daemon)")
    upgrade.add_argument("--deadline", type=float, default=120.0,
                         help="seconds the new release has to come up (default 120)")
    upgrade.add_argument("--settle", type=float, default=5.0,
                         help="seconds every daemon must stay up to count as up (default 5)")
    upgrade.set_defaults(needs_data=True)
    net = add_command(sub, "network", None, "the LAN address (settings network.*) for systemd-networkd",
                      needs_db=False)
    net_sub = net.add_subparsers(dest="network_command", metavar="ACTION", parser_class=ArgumentParser,
                                 required=True)
    add_command(net_sub, "show", cmd_network_show, "print the .network file the settings make", needs_db=False)
    apply = add_command(net_sub, "apply", cmd_network_apply,
                        "write /etc/systemd/network/10-appliance.network and reload networkd (root)",
                        needs_db=False)
    apply.add_argument("--root", default="/", help="write under this folder instead of / (image builds, tests)")
    apply.add_argument("--networkctl", default="networkctl", help="the program to reload networkd ('' : none)")
    release = add_command(sub, "release", None, "firmware bundles", needs_db=False)
    release_sub = release.add_subparsers(dest="release_command", metavar="ACTION",
                                         parser_class=ArgumentParser, required=True)
    make = add_command(release_sub, "make", cmd_release_make,
                       "write a firmware bundle from a folder of wheels (ours and every dependency)",
                       needs_db=False)
    make.add_argument("wheel_dir", help="folder of .whl files")
    make.add_argument("--version", required=True, help="the release's version (its folder name)")
    make.add_argument("--output", required=True, help="the bundle to write (.tar.gz)")

    cust = add_command(sub, "customer", None, "manage customers (policyholders)", needs_db=False)
    cust_sub = cust.add_subparsers(dest="customer_command", metavar="ACTION",
                                   parser_class=ArgumentParser, required=True)
    add = add_command(cust_sub, "add", cmd_customer_add, "add one customer; prints its id")
    add.add_argument("--name", required=True)
    add.add_argument("--mobile")
    add.add_argument("--id-number", help="18-character PRC ID number; birth date and gender derive from it")
    add.add_argument("--gender", choices=["M", "F"])
    add.add_argument("--region")
    add.add_argument("--customer-no", help="the core system's customer number")

    for ep in plugins("appliance.commands").values():
        ep.load()(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(-1 if args.quiet else args.verbose)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        config = load_config(args.config)
        clock.set_zone(config["timezone"])  # every rule and display from here on: the box's zone
        identity.use(config)  # which box this process is: owners of its jobs (box.name, not the host)
        if args.needs_db or getattr(args, "needs_data", False):
            check_configured(config)
        if args.needs_db:
            dbmod.open_and_migrate(config)
        code = args.handler(args, config) or 0
        sys.stdout.flush()  # a reader that went away is noticed here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        # `appliance outbox | head`: the reader has all it wanted. Nothing more may reach
        # the closed pipe (not even the flush at exit), and that is no error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ApplianceError as exc:
        print(f"appliance: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line, the traceback only with -v
        log.debug("unexpected failure", exc_info=True)
        print(f"appliance: internal error: {type(exc).__name__}: {exc} (run with -v for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
