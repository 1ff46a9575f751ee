"""`appliance user …`, `appliance token …` and `appliance bench web`."""
import getpass
import sys

from appliance import tokens, users
from appliance.cli import ArgumentParser, add_command, bench_subparsers, print_json
from appliance.errors import InputError
from appliance.models import ROLES


def read_password():
    """The password from stdin (one line), or asked twice on a terminal."""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise InputError("password: the two entries differ", field="password")
        return first
    line = sys.stdin.readline()
    if not line:
        raise InputError("password: expected on stdin", field="password")
    return line.rstrip("\r\n")


def cmd_user_add(args, config):
    user = users.create_user(args.name, read_password(), args.role, actor="cli", source="cli")
    print(f"user {user.username} ({user.role}) created; the password must be changed at the first sign-in")
    return 0


def cmd_user_list(args, config):
    rows = [{"username": u.username, "role": u.role, "disabled": u.disabled,
             "must_change_password": u.must_change_password, "locked_until": u.locked_until,
             "last_login": u.last_login} for u in users.list_users()]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            flags = " ".join(f for f, on in (("disabled", r["disabled"]), ("must-change-password",
                                             r["must_change_password"])) if on)
            print(f"{r['username']:<20} {r['role']:<9} {flags}")
    return 0


def cmd_token_create(args, config):
    token, secret = tokens.create_token(args.name, args.role, actor="cli", source="cli")
    print(f"token {token.name} ({token.role}); shown only now:", file=sys.stderr)
    print(secret)
    return 0


def cmd_token_list(args, config):
    rows = tokens.list_tokens()
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['name']:<24} {r['role']:<9} {'revoked' if r['revoked'] else ''}")
    return 0


def cmd_token_revoke(args, config):
    tokens.revoke_token(args.name, actor="cli", source="cli")
    print(f"token {args.name} revoked")
    return 0


def cmd_bench_web(args, config):
    from web.bench import run_bench
    return run_bench(args, config)


def register(sub):
    user = add_command(sub, "user", None, "manage admin page users", needs_db=False)
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", parser_class=ArgumentParser,
                                   required=True)
    add = add_command(user_sub, "add", cmd_user_add,
                      "add a user; the one-time password is read from stdin (one line)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    listing = add_command(user_sub, "list", cmd_user_list, "list users")
    listing.add_argument("--json", action="store_true")

    token = add_command(sub, "token", None, "manage API bearer tokens", needs_db=False)
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", parser_class=ArgumentParser,
                                     required=True)
    create = add_command(token_sub, "create", cmd_token_create,
                         "create a token; prints the secret once (stored only hashed)")
    create.add_argument("name")
    create.add_argument("--role", default="operator", choices=ROLES, help="what the token may do (default operator)")
    tlist = add_command(token_sub, "list", cmd_token_list, "list tokens (never their secrets)")
    tlist.add_argument("--json", action="store_true")
    revoke = add_command(token_sub, "revoke", cmd_token_revoke, "revoke a token")
    revoke.add_argument("name")

    bench = add_command(bench_subparsers(sub), "web", cmd_bench_web,
                        "page render times with a million messages in the database", needs_db=False)
    bench.add_argument("--messages", type=int, default=1_000_000, help="messages in the database (default 1000000)")
    bench.add_argument("--requests", type=int, default=200, help="page requests to time (default 200)")
    bench.add_argument("--dir", help="data directory for the bench database (default: a temporary one)")
    bench.add_argument("--json", action="store_true")
