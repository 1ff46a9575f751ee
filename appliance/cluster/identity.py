"""Which box this is: the one place that names it.

Several boxes may share one PostgreSQL database. Everything a box owns (its modems and SIMs,
the parts it is submitting, the calls it dials, the import jobs it runs) carries this name, so
that a box recovers only its own work at start and the others can tell whose work a row is.

Code far from any configuration (an import job naming its owner, recovery telling its own
jobs from another box's) asks this_box(): where a process loads its configuration (cli.main,
which every command and `appliance run` daemon goes through) it calls use(config) once. The
host name alone would not do: boxes cloned from one image share it.
"""
import re
import socket

from appliance.errors import InputError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")

_this_box = None  # set by use(): this process's box name


def box_name(config=None):
    """The configured `box.name`, or the host name when it is empty (one box: nothing to set);
    without a configuration, this process's box (this_box())."""
    if config is None:
        return this_box()
    configured = (config["box.name"] or "").strip()
    return check_name(configured or socket.gethostname())


def use(config):
    """Make `config`'s box name this process's (called where the configuration is loaded)."""
    global _this_box
    _this_box = box_name(config)
    return _this_box


def this_box():
    """This process's box name: the one use() set, else the host name (nothing configured)."""
    return _this_box or check_name(socket.gethostname())


def check_name(name):
    """A box name as stored in claimed_by ("BOX:PROCESS"): letters, digits, dot, dash, underscore."""
    if not NAME.fullmatch(name):
        raise InputError(f"box.name: {name!r} is not a box name (letters, digits, '.', '-', '_'; at most 63)")
    return name
