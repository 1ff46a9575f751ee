"""`appliance mail` (registered through the appliance.commands entry point `mail`):
list the mail outbox, mail one customer a template, queue an unknown or failed mail again
on purpose, and send one mail at once to check the relay. Bad input exits 2 with one
line naming the field. (`appliance run mailer` is the daemon that sends.)"""
import threading

from appliance import clock
from appliance.cli import add_command, print_json
from appliance.errors import NotFound

LIST_COLUMNS = ("id", "state", "created_at", "to_address", "customer", "kind", "subject", "failure_reason")


def cmd_list(args, config):
    from appliance.mail import listing
    rows = listing.listing(state=args.state, limit=args.limit, mask=not args.unmasked)
    if args.json:
        print_json(rows)
        return 0
    print("\t".join(LIST_COLUMNS))
    for row in rows:
        print("\t".join(clock.format(v) if hasattr(v, "hour") else str(v if v is not None else "")
                        for v in (row[c] for c in LIST_COLUMNS)))
    return 0


def _customer(number):
    from appliance.models import Customer
    customer = Customer.get_or_none(Customer.customer_no == number)
    if customer is None:
        raise NotFound(f"customer: no customer {number!r}", field="customer")
    return customer


def cmd_send(args, config):
    from appliance.mail import outbox
    variables = dict(pair.split("=", 1) for pair in args.var or [] if "=" in pair)
    from appliance.models import audit
    from appliance.privacy import mask_email
    mail = outbox.send_to_customer(config, _customer(args.customer), template=args.template, variables=variables,
                                   source="cli", created_by="cli")
    audit("cli", "mail.send", f"mail:{mail.id}", f"to {mask_email(mail.to_address)}, {args.template}", "cli")
    print(mail.id)
    return 0


def cmd_requeue(args, config):
    from appliance.mail import mailer
    if not mailer.requeue(args.id, actor="cli"):
        raise NotFound(f"id: no unknown or failed mail {args.id}", field="id")
    print(f"mail {args.id} queued again")
    return 0


def cmd_sink(args, config):
    """Run the demo's SMTP sink until SIGTERM or SIGINT."""
    from appliance.daemon import stop_event_on_signals
    from appliance.mail.sink import MailSink
    stopping = stop_event_on_signals()
    with MailSink((args.host, args.port), args.dir) as sink:
        threading.Thread(target=sink.serve_forever, name="mail-sink", daemon=True).start()
        print(f"mail sink on {args.host}:{sink.server_address[1]}, keeping mails in {args.dir}", flush=True)
        stopping.wait()
        sink.shutdown()
    return 0


def register(sub):
    mail = add_command(sub, "mail", None, "the e-mail outbox (the mailer daemon: appliance run mailer)",
                       needs_db=False)
    msub = mail.add_subparsers(dest="mail_command", required=True)
    p = add_command(msub, "list", cmd_list, "mails, newest first, with their states")
    p.add_argument("--state", help="only this state: queued, sending, sent, failed, expired, unknown, cancelled")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--unmasked", action="store_true", help="show the addresses whole")
    p.add_argument("--json", action="store_true")
    p = add_command(msub, "send", cmd_send, "mail a customer a template (their language; the category's rules)")
    p.add_argument("--customer", required=True, help="customer number")
    p.add_argument("--template", required=True, help="template key (appliance template list)")
    p.add_argument("--var", action="append", metavar="NAME=VALUE", help="a variable the template uses")
    p = add_command(msub, "requeue", cmd_requeue,
                    "queue an unknown or failed mail again, once you checked it did not arrive")
    p.add_argument("id", type=int)
    p = add_command(msub, "sink", cmd_sink, "an SMTP server keeping each mail as a .eml file (the demo's relay)",
                    needs_db=False)
    p.add_argument("--dir", required=True, help="where the .eml files go")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2525)
