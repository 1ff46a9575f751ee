"""The appliance's exceptions. Foreign exceptions are translated at the boundary
where they occur, so callers (the command line, the API) only see these."""


def N_(msgid):
    """Marks a message the admin page shows in its own language (web/i18n.py
    collects the literal given to every N_ call in the appliance package)."""
    return msgid


class ApplianceError(Exception):
    """Base of every error the appliance reports to a person or a script."""

    exit_code = 1
    http_status = 500


class InputError(ApplianceError):
    """Bad input from a person or a script: a one-line message naming the field."""

    exit_code = 2
    http_status = 400

    msgid = None  # set by of(): the page translates it and fills in `values`
    values = None

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field

    @classmethod
    def of(cls, msgid, field=None, **values):
        """An error the pages show in their language: `msgid` (marked with N_, naming
        the field) formatted with `values` and {field}; str() is the English text."""
        values = {"field": field, **values}
        exc = cls(msgid.format(**values), field)
        exc.msgid, exc.values = msgid, values
        return exc


class Refused(InputError):
    """A well-formed request the rules refuse (an opted-out number): HTTP 409."""

    http_status = 409


class ConfigError(InputError):
    """The configuration file is missing, malformed, or has a bad key or value."""


class NotFound(InputError):
    http_status = 404
