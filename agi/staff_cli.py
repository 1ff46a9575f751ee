"""`appliance staff pin BADGE`: set a staff member's PIN for the IVR's staff line (内部联系);
`appliance staff unlock BADGE`: lift its lockout after wrong PINs.

The PIN is read without echo from the terminal (twice), or one line from stdin with
--stdin (scripts); never from the command line, where `ps` and the shell history see it.
"""
import getpass
import sys

from appliance.cli import add_command
from appliance.errors import InputError
from appliance.ivr import staff_access


def staff_subparsers(subparsers):
    """The subparsers of the shared `staff` command, made on first use, so other areas
    can hang their own `staff ACTION` beside this one."""
    parser = subparsers.choices.get("staff")
    if parser is None:
        parser = add_command(subparsers, "staff", None, "staff members' own settings (staff ACTION --help)",
                             needs_db=False)
        parser.staff_subparsers = parser.add_subparsers(dest="staff_command", metavar="ACTION",
                                                        parser_class=type(parser), required=True)
    return parser.staff_subparsers


def register(subparsers):
    pin = add_command(staff_subparsers(subparsers), "pin", cmd_staff_pin,
                      "set the PIN a staff member keys on the IVR's staff line (4 to 8 digits)")
    pin.add_argument("badge", metavar="BADGE", help="the staff member's badge number (工号)")
    pin.add_argument("--stdin", action="store_true", help="read the PIN from the first line of stdin")
    unlock = add_command(staff_subparsers(subparsers), "unlock", cmd_staff_unlock,
                         "lift a staff line PIN's lockout (the PIN stays), as the staff page does")
    unlock.add_argument("badge", metavar="BADGE", help="the staff member's badge number (工号)")


def read_pin(from_stdin):
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("pin: no terminal to ask it on; pipe it with --stdin", field="pin")
    first = getpass.getpass("PIN: ")
    staff_access.check_pin_rules(first)
    if getpass.getpass("PIN again: ") != first:
        raise InputError("pin: the two entries differ", field="pin")
    return first


def cmd_staff_pin(args, config):
    staff = staff_access.staff_by_badge(args.badge)  # an unknown badge is said before the PIN is asked
    staff_access.set_pin(staff, read_pin(args.stdin))
    print(f"PIN set for {staff.badge_no} ({staff.name}); failures and any lockout cleared")
    return 0


def cmd_staff_unlock(args, config):
    staff = staff_access.staff_by_badge(args.badge)
    staff_access.unlock(staff, "cli", "cli")
    print(f"PIN of {staff.badge_no} ({staff.name}) unlocked; wrong tries cleared")
    return 0
