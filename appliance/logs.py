"""Logging to stderr in a form journald keeps well.

Under systemd (JOURNAL_STREAM is set) each line starts with a syslog priority
prefix such as <4>, which journald turns into the entry's priority, and carries
no timestamp (journald adds its own). In a terminal, lines carry a timestamp.
"""
import logging
import os
import sys

PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


class JournalFormatter(logging.Formatter):
    def format(self, record):
        text = super().format(record).replace("\n", "\n ")  # keep tracebacks in one entry
        return f"<{PRIORITY.get(record.levelno, 6)}>{text}"


def setup_logging(verbosity=0):
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # peewee logs every SQL statement at DEBUG: only with -vv.
    logging.getLogger("peewee").setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    # appliance.db logs each applied migration once; the runner's own line would repeat it.
    logging.getLogger("peewee.migrations").setLevel(logging.WARNING)
