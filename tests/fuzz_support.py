"""Property-based tests (hypothesis): a bounded number of examples on every run,
a long run on demand.

    HYPOTHESIS_LONG=1 .venv/bin/python -m pytest tests/modem -k fuzz --hypothesis-show-statistics

runs every test decorated with `fuzz()` on 100,000 examples (HYPOTHESIS_LONG=N: N examples).
A failure is a crash: the test names the input, shrunk to its smallest form.
"""
import os

from hypothesis import HealthCheck, settings

LONG = os.environ.get("HYPOTHESIS_LONG", "")
LONG_EXAMPLES = 100_000


def examples(default):
    if not LONG:
        return default
    return int(LONG) if LONG.isdigit() and int(LONG) > 1 else LONG_EXAMPLES


def fuzz(default=300):
    """Settings for a parser's property test: `default` examples, or the long run's."""
    return settings(max_examples=examples(default), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])
