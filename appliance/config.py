"""Reading the one TOML configuration file, checked against the settings table."""
import glob
import math
import os
import tomllib
from pathlib import Path

from appliance.errors import N_, ConfigError
from appliance.settings import BY_NAME, SECTIONS, SETTINGS

ENV_VAR = "APPLIANCE_CONFIG"


class Config:
    """Configuration values by dotted name; every key has a value."""

    def __init__(self, values=None, path=None):
        self.path = path
        self._values = {s.name: s.default for s in SETTINGS}
        for name, value in (values or {}).items():
            self._values[name] = check_value(name, value)

    def __getitem__(self, name):
        return self._values[name]

    def items(self):
        return self._values.items()

    def replace(self, **overrides):
        """A copy with some keys changed; dotted names are written with '__'."""
        values = dict(self._values)
        values.update({k.replace("__", "."): v for k, v in overrides.items()})
        return Config(values, self.path)

    @property
    def data_dir(self):
        return Path(self["data_dir"])

    @property
    def database_url(self):
        return self["database.url"] or f"sqlite:///{self.data_dir / 'appliance.db'}"

    def modem_ports(self):
        """Configured ports with globs expanded, in a stable order."""
        ports = []
        for pattern in self["modems.ports"]:
            if "://" in pattern or not glob.has_magic(pattern):
                ports.append(pattern)
            else:
                ports.extend(sorted(glob.glob(pattern)))
        return ports

    def to_toml(self, include_secrets=False):
        """The whole configuration as TOML text, secrets blanked unless asked."""
        lines = []
        for section in [None] + SECTIONS:
            if section:
                lines.append(f"\n[{section}]")
            for s in SETTINGS:
                head, _, key = s.name.rpartition(".")
                if (head or None) != section:
                    continue
                value = self[s.name]
                if s.secret and value and not include_secrets:
                    value = "********"
                lines.append(f"# {s.help}")
                lines.append(f"{key} = {toml_value(value)}")
        return "\n".join(lines).lstrip() + "\n"


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def check_value(name, value):
    """Return value if it suits setting `name`, else raise ConfigError naming it."""
    setting = BY_NAME.get(name)
    if setting is None:
        raise ConfigError.of(N_("unknown configuration key '{name}'"), field=name, name=name)
    kind = setting.type_name
    ok = {
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "list": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "str": lambda v: isinstance(v, str),
        "path": lambda v: isinstance(v, str) and v != "",
        "listen": _is_listen,
    }[kind](value)
    if not ok:
        expected = {"list": "a list of strings", "listen": "\"host:port\"", "path": "a non-empty path",
                    "int": "an integer", "float": "a number", "bool": "true or false",
                    "str": "a string"}[kind]
        raise ConfigError.of(N_("configuration key '{name}' must be {expected}, got {value!r}"),
                             field=name, name=name, expected=expected, value=value)
    if kind == "float":
        value = float(value)
        if not math.isfinite(value):  # TOML's inf and nan
            raise ConfigError.of(N_("configuration key '{name}' must be a finite number, got {value!r}"),
                                 field=name, name=name, value=value)
    if kind in ("int", "float") and value < 0:
        raise ConfigError.of(N_("configuration key '{name}' must not be negative, got {value!r}"),
                             field=name, name=name, value=value)
    return value


def _is_listen(value):
    if not isinstance(value, str) or ":" not in value:
        return False
    host, _, port = value.rpartition(":")
    return bool(host) and 0 < len(port) <= 5 and port.isascii() and port.isdigit() and 0 < int(port) < 65536


def flatten(table, prefix=""):
    """{'a': {'b': 1}} -> {'a.b': 1}; a table where a value belongs is reported by name.
    Without recursion: a.a.a…=1 may nest tables thousands deep."""
    flat = {}
    pending = [(prefix, table)]
    while pending:
        prefix, table = pending.pop()
        for key, value in table.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                if name in BY_NAME:
                    raise ConfigError.of(N_("configuration key '{name}' must be a value, not a table"),
                                         field=name, name=name)
                pending.append((name + ".", value))
            else:
                flat[name] = value
    return flat


def load_config(path=None):
    """Load the configuration from `path`, $APPLIANCE_CONFIG, or defaults only."""
    path = path or os.environ.get(ENV_VAR)
    if not path:
        return Config()
    try:
        with open(path, "rb") as fh:
            table = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"configuration file {path} is a directory") from None
    except PermissionError:
        raise ConfigError(f"configuration file {path} is not readable") from None
    except OSError as exc:
        raise ConfigError(f"configuration file {path} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"configuration file {path} is not UTF-8 text") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ConfigError(f"configuration file {path} is not valid TOML: {str(exc)[:80]}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"configuration file {path} is not valid TOML: arrays or tables nested too deeply") from None
    return Config(flatten(table), path)


def check_configured(config):
    """ConfigError unless there is a configuration file or the default data_dir
    exists: a command run with neither must not make an appliance nobody set up
    (a queued SMS no smsd will ever send, a fresh database under /var/lib)."""
    if config.path is None and not config.data_dir.exists():
        raise ConfigError.of(N_("no configuration file (--config or ${ENV_VAR}) and no data_dir {data_dir}; pass --config, or run appliance init first"),
                             field="data_dir", ENV_VAR=ENV_VAR, data_dir=config.data_dir)


def ensure_data_dir(config):
    """Create data_dir if needed and prove it is writable, else ConfigError."""
    data_dir = config.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        # One probe per process: daemons starting together must not unlink each other's.
        probe = data_dir / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError.of(N_("data_dir {data_dir} is not writable: {strerror}"),
                             field="data_dir", data_dir=data_dir, strerror=exc.strerror) from None
    return data_dir
