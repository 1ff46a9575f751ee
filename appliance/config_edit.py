"""Changing keys of the one TOML configuration file: the settings page and
`appliance config set` share this writer.

An edit keeps branch IT's comments and layout (tomlkit edits the parsed
document in place), is checked as the loader checks it (the whole new text is
parsed again with tomllib and turned into a Config) plus the format of values
the daemons parse at start (hours, weekdays, times...), and replaces the file
atomically: a power cut leaves the old file or the new one, never half of
each. Either every given key is written or none (the first bad one is named).
Secrets never appear in what this module returns for display or audit.
"""
import datetime
import fcntl
import hashlib
import math
import os
import re
import tempfile
import tomllib
import zoneinfo
from pathlib import Path

import tomlkit

from appliance.config import Config, check_value, flatten
from appliance.errors import N_, ConfigError, InputError
from appliance.settings import BY_NAME, SETTINGS
from appliance.sms import routing
from appliance.sms.window import parse_window
from appliance.system import network
from appliance.tickets import sla as ticket_rules
from appliance.voice import windows as calling_windows

EDITABLE = [s for s in SETTINGS if s.editable]
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


# --- from text (a form field, a command-line argument) to a typed value --------------

def parse_text(name, text):
    """The typed value of setting `name` written as text; InputError naming it."""
    setting = known(name)
    kind = setting.type_name
    text = text.strip()
    if kind == "bool":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise InputError.of(N_("{field}: must be true or false, got {text!r}"), field=name, text=text)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise InputError.of(N_("{field}: must be a whole number, got {text!r}"), field=name, text=text) from None
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise InputError.of(N_("{field}: must be a number, got {text!r}"), field=name, text=text) from None
        if not math.isfinite(value):
            raise InputError.of(N_("{field}: must be a finite number, got {text!r}"), field=name, text=text)
        return value
    if kind == "list":
        if text.startswith("["):  # TOML array syntax, as in the file
            try:
                return tomllib.loads(f"v = {text}")["v"]
            except tomllib.TOMLDecodeError as exc:
                raise InputError.of(N_("{field}: not a TOML array: {exc}"), field=name, exc=exc) from None
        # One item per line (the page's text area) or separated by commas (the command line).
        return [item.strip() for item in re.split(r"[\n,]", text) if item.strip()]
    return text


def known(name):
    setting = BY_NAME.get(name)
    if setting is None:
        raise ConfigError.of(N_("unknown configuration key '{name}' (see `appliance config show`)"),
                             field=name, name=name)
    return setting


# --- checks beyond the type: what the daemons parse at start ------------------------

def _nonempty(name, value):
    if not str(value).strip():
        raise InputError.of(N_("{field}: must not be empty"), field=name)


def _hours(name, value):
    _nonempty(name, value)
    parse_window(value, name)


def _weekdays(name, value):
    # The agi daemon's parse_days reads '1-5', '1,3,5', '1-5,7'.
    if not re.fullmatch(r"\s*[1-7](\s*-\s*[1-7])?(\s*,\s*[1-7](\s*-\s*[1-7])?)*\s*", value):
        raise InputError.of(N_("{field}: must be ISO weekdays (1=Monday … 7=Sunday) like 1-5 or 1,3,5, got {value!r}"),
                            field=name, value=value)


def _time_of_day(name, value):
    try:
        datetime.time.fromisoformat(value.strip())
    except ValueError:
        raise InputError.of(N_("{field}: must be a time HH:MM, got {value!r}"), field=name, value=value) from None


def _day_list(name, value):
    if not re.fullmatch(r"\s*(\d+\s*(,\s*\d+\s*)*)?", value):
        raise InputError.of(N_("{field}: must be whole days separated by commas, got {value!r}"),
                            field=name, value=value)


def _timezone(name, value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError.of(N_("{field}: unknown time zone {value!r} (e.g. Asia/Shanghai)"), field=name, value=value) from None


def _language(name, value):
    if value not in ("zh", "en"):
        raise InputError.of(N_("{field}: must be zh or en, got {value!r}"), field=name, value=value)


def _pin(name, value):
    if value and not re.fullmatch(r"\d{4,8}", value):
        # The value itself is a secret: never repeated in the message.
        raise InputError.of(N_("{field}: a SIM PIN is 4 to 8 digits"), field=name)


def _ports(name, value):
    if not value:
        raise InputError.of(N_("{field}: name at least one modem port or glob"), field=name)


def _dial_with_number(name, value):
    # agi/flows.transfer puts the menu entry's number where {number} stands.
    if "{number}" not in value or "," in value:
        raise InputError.of(N_("{field}: a Dial() target with {{number}} and no comma, like Local/{{number}}@from-internal, got {value!r}"),
                            field=name, value=value)


def _not_negative(name, value):
    if value < 0:
        raise InputError.of(N_("{field}: must be 0 or more, got {value!r}"), field=name, value=value)


def _positive(name, value):
    if value <= 0:
        raise InputError.of(N_("{field}: must be more than 0, got {value!r}"), field=name, value=value)


def _tcp_port(name, value):
    if not 0 < value < 65536:
        raise InputError.of(N_("{field}: must be a TCP port from 1 to 65535, got {value!r}"), field=name, value=value)


def check_smpp(config):
    """The SMPP settings as the bearer reads them at start (modem/smpp/): each value,
    and an account to bind as whenever the bearer is on."""
    for name in SMPP_CHECKED:
        check(name, config[name], editable_only=False)
    if config["smpp.enabled"] and not config["smpp.system_id"].strip():
        raise InputError.of(N_("{field}: name the SMPP account (its system_id) to turn SMPP on"),
                            field="smpp.system_id")


FORMAT_CHECKS = {
    "language": _language, "timezone": _timezone,
    "hotline": _nonempty, "company_name": _nonempty, "branch_name": _nonempty,
    "modems.ports": _ports, "modems.pin": _pin, "modems.baudrate": _positive, "modems.max_attempts": _positive,
    "agi.operator": _nonempty, "agi.transfer_dial": _dial_with_number, "agi.business_hours": _hours, "agi.business_days": _weekdays,
    "agi.max_calls": _positive, "agi.verify_attempts": _positive,
    "web.session_hours": _positive, "web.lockout_attempts": _positive,
    "notices.run_at": _time_of_day, "notices.renewal_days": _day_list, "notices.agent_renewal_days": _day_list,
    "notices.overdue_days": _day_list,
    "services.marketing_window": lambda name, value: parse_window(value, name),  # empty: no window
    "voice.windows": lambda name, value: calling_windows.check(value, name),
    "tickets.sla": lambda name, value: ticket_rules.parse_rules(value, name),
    "tickets.business_hours": lambda name, value: ticket_rules.parse_business_hours(value, name),
    "tickets.departments": lambda name, value: ticket_rules.parse_routing(value, name),
    "tickets.escalation_hours": _not_negative,
    "network.mode": network.check_mode, "network.address": network.check_address,
    "network.gateway": network.check_gateway, "network.dns": network.check_dns,
    "network.interface": _nonempty,
    **{name: routing.check_route for name in routing.ROUTE_KEYS},
    "smpp.host": _nonempty, "smpp.port": _tcp_port, "smpp.window": _positive, "smpp.rate": _positive,
    "smpp.enquire_link": _positive, "smpp.reconnect": _positive,
}
SMPP_CHECKED = ("smpp.host", "smpp.port", "smpp.window", "smpp.rate", "smpp.enquire_link", "smpp.reconnect")


def check(name, value, editable_only=True):
    """The value as the loader would hold it, or InputError naming the key."""
    setting = known(name)
    if editable_only and not setting.editable:
        raise InputError.of(N_("{field}: cannot be changed here; branch IT changes it in the configuration file"),
                            field=name)
    try:
        value = check_value(name, value)
    except ConfigError:
        if setting.secret:  # the loader's message repeats the value
            raise ConfigError.of(N_("{field}: must be {type_name}"), field=name, type_name=setting.type_name) from None
        raise
    if name in FORMAT_CHECKS:
        FORMAT_CHECKS[name](name, value)
    return value


# --- the file ---------------------------------------------------------------------------

def file_version(path):
    """A digest of the file's bytes: a form carries it to notice edits made meanwhile."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def read_values(path):
    """The file's configuration (defaults for keys it leaves out), as the loader reads it."""
    text = _read_text(path)
    try:
        return Config(flatten(tomllib.loads(text)), str(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.of(N_("configuration file {path} is not valid TOML: {exc}"),
                             field="config", path=path, exc=exc) from None


def set_values(path, changes, editable_only=True, expected_version=None):
    """Write {dotted name: typed value} into the TOML file at `path`, all or none.
    Returns the names whose value really changed (in the order given)."""
    if not path:
        raise ConfigError.of(N_("no configuration file: the daemons run on built-in defaults (start them with --config PATH or APPLIANCE_CONFIG to change settings)"),
                             field="config")
    checked = {name: check(name, value, editable_only) for name, value in changes.items()}
    target = Path(os.path.realpath(path))  # a symlinked config stays a symlink
    with _locked(target.parent):
        text = _read_text(target)
        if expected_version and hashlib.sha256(text.encode()).hexdigest()[:16] != expected_version:
            raise InputError.of(N_("the configuration file changed since this page was opened; look at the values again and save once more"),
                                field="version")
        current = read_values(target)
        changed = [name for name, value in checked.items() if current[name] != value]
        if not changed:
            return []
        doc = tomlkit.parse(text)
        for name in changed:
            _set_in_document(doc, name, checked[name])
        new_text = tomlkit.dumps(doc)
        _check_new_text(new_text, checked, target)
        _write_atomically(target, new_text)
    return changed


def describe(changes, names):
    """'key=value, …' for the audit log and messages; secrets by name only."""
    parts = []
    for name in names:
        if BY_NAME[name].secret:
            parts.append(f"{name}=(secret changed)")
        else:
            value = changes[name]
            parts.append(f"{name}={', '.join(value) if isinstance(value, list) else value}")
    return "; ".join(parts)


def restarts_for(names):
    """Daemons to restart (and 'prompts' to rebuild) for changed keys, in a stable order."""
    order = ["smsd", "services", "agi", "web", "prompts"]
    # A key the table names no reader for (branch IT's keys, from the command line): all of them.
    wanted = {d for name in names for d in (BY_NAME[name].restart or order[:4])}
    return [d for d in order if d in wanted] + sorted(wanted - set(order))


def _read_text(path):
    try:
        # Bytes decoded as they are: CRLF lines stay CRLF, and the version digest matches.
        return Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError.of(N_("configuration file {path} does not exist"), field="config", path=path) from None
    except PermissionError:
        raise ConfigError.of(N_("configuration file {path} is not readable"), field="config", path=path) from None
    except UnicodeDecodeError:
        raise ConfigError.of(N_("configuration file {path} is not UTF-8 text"), field="config", path=path) from None


def _set_in_document(doc, name, value):
    head, _, key = name.rpartition(".")
    table = doc
    if head:
        if head not in doc:
            doc[head] = tomlkit.table()
        table = doc[head]
    item = tomlkit.item(value)
    old = table.get(key)
    if old is not None and hasattr(old, "trivia"):
        item.trivia.comment_ws = old.trivia.comment_ws  # keep the line's own comment
        item.trivia.comment = old.trivia.comment
    table[key] = item


def _check_new_text(new_text, checked, path):
    """Parse the new text exactly as the loader will, and see the values land."""
    try:
        reloaded = Config(flatten(tomllib.loads(new_text)), str(path))
    except tomllib.TOMLDecodeError as exc:  # would be a tomlkit bug; never write it
        raise ConfigError.of(N_("the edited configuration would not be valid TOML: {exc}"), field="config", exc=exc) from None
    if any(name.startswith("network.") for name in checked):
        network.check_together(reloaded)  # the settings that only make sense together
    if any(name in routing.ROUTE_KEYS or name == "smpp.enabled" for name in checked):
        routing.check_together(reloaded)  # a route of smpp needs SMPP on
    if any(name.startswith("smpp.") for name in checked):
        check_smpp(reloaded)
    for name, value in checked.items():
        if reloaded[name] != value:
            raise ConfigError.of(N_("{field}: the file's layout keeps the new value from taking effect (is the key set twice?); change it in the file"),
                                 field=name)


def _write_atomically(target, text):
    """Temp file in the same directory, fsync, rename over, fsync the directory."""
    directory = target.parent
    try:
        mode = target.stat()
    except FileNotFoundError:
        mode = None
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError.of(N_("cannot write the configuration file {target}: {strerror}"),
                             field="config", target=target, strerror=exc.strerror) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode.st_mode & 0o7777)  # same rights as branch IT gave it
                try:
                    os.fchown(fh.fileno(), -1, mode.st_gid)  # the daemons read it through the group
                except PermissionError:
                    pass
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise ConfigError.of(N_("cannot write the configuration file {target}: {strerror}"),
                             field="config", target=target, strerror=exc.strerror) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_directory(directory)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_directory(directory):
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _locked:
    """An exclusive flock on the directory: two saves (page, command line) never
    interleave their read-change-write."""

    def __init__(self, directory):
        self.directory = directory

    def __enter__(self):
        self.fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def restart_steps(restart):
    """What a person does for the restart list: systemd units, and the prompt rebuild."""
    return [("appliance prompts build" if d == "prompts" else f"systemctl restart appliance-{d}") for d in restart]
