"""Run Jasmin's jasmind.py with its lock file where $JASMIND_LOCK says, not /tmp/jasmind.

jasmind takes one machine-wide lock (lockfile.FileLock("/tmp/jasmind")), so only one Jasmin
could run per machine, and a jasmind killed with -9 (as the dropped-connection test does)
leaves it behind. Each JasminServer (tests/jasmin_support.py) gives its own path instead.
Runs on Jasmin's venv: python run_jasmind.py JASMIND_PY ARGS...
"""
import os
import runpy
import sys

import lockfile

_FileLock = lockfile.FileLock


def own_lock(_path, *args, **kwargs):
    return _FileLock(os.environ["JASMIND_LOCK"], *args, **kwargs)


lockfile.FileLock = own_lock
script, sys.argv = sys.argv[1], sys.argv[1:]
runpy.run_path(script, run_name="__main__")
