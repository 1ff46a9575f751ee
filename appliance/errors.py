"""The appliance's exceptions. Foreign exceptions are translated at the boundary
where they occur, so callers (the command line, the API) only see these."""


class ApplianceError(Exception):
    """Base of every error the appliance reports to a person or a script."""

    exit_code = 1
    http_status = 500


class InputError(ApplianceError):
    """Bad input from a person or a script: a one-line message naming the field."""

    exit_code = 2
    http_status = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class ConfigError(InputError):
    """The configuration file is missing, malformed, or has a bad key or value."""


class NotFound(InputError):
    http_status = 404
