"""Which box this is: the one place that names it.

Several boxes may share one PostgreSQL database. Everything a box owns (its modems and SIMs,
the parts it is submitting, the calls it dials, the import jobs it runs) carries this name, so
that a box recovers only its own work at start and the others can tell whose work a row is.
"""
import re
import socket

from appliance.errors import InputError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def box_name(config=None):
    """The configured `box.name`, or the host name when it is empty (one box: nothing to set)."""
    configured = (config["box.name"] if config is not None else "") or ""
    name = configured.strip() or socket.gethostname()
    return check_name(name)


def check_name(name):
    """A box name as stored in claimed_by ("BOX:PROCESS"): letters, digits, dot, dash, underscore."""
    if not NAME.fullmatch(name):
        raise InputError(f"box.name: {name!r} is not a box name (letters, digits, '.', '-', '_'; at most 63)")
    return name
