"""Restarting the box's daemons on request from the admin page: branch admins have no shell.

The web daemon may not restart its siblings itself (it runs unprivileged, with
NoNewPrivileges), so it leaves a request: a file data_dir/restart/NAME.request
holding the instant it was asked. Whoever supervises the daemons acts on it:

- on the box, systemd: appliance-restart.path sees the file and starts
  appliance-restart.service (root, oneshot), which runs this module
  (`python -m appliance.system.restarts`): `systemctl restart appliance-NAME.service`
  for each request. A path unit rather than a polkit rule: it needs nothing the
  image lacks (no polkitd), and it is the same channel the demo uses, so one path
  is tested. The request's file name is all that is read: a name that is not an
  installed daemon is refused, so the web user gains no more than "restart one of
  the appliance's own units";
- in `appliance demo`, the demo's supervisor loop restarts its child process.

"prompts" is asked the same way: the voice prompts rebuilt after a text they speak
changed (company name, hotline…): on the box the oneshot unit appliance-prompts.service
(`appliance prompts build`, as the appliance user), in the demo that command as a process.

Either writes NAME.back when the daemon is serving again (systemctl restart returns
after a Type=notify unit's READY=1; the demo waits for READY=1 itself), which the
settings page shows. Crash rules: the request is taken by renaming it to
NAME.taking before the restart and removed after NAME.back is written, so a kill -9
anywhere restarts once more (a .taking left over is taken again), never not at all;
a request made during a restart is a new .request, acted on next.
"""
import datetime
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from appliance import clock

log = logging.getLogger(__name__)
SYSTEMCTL_TIMEOUT = 300  # seconds: a unit's TimeoutStopSec (30) plus its start, or a prompt rebuild
# Asked like daemons, run to their end: `appliance prompts build`; `appliance network apply`
# (root, appliance-network.service: the LAN address of appliance/system/network.py).
JOBS = ("prompts", "network")


def restart_dir(data_dir):
    return Path(data_dir) / "restart"


def request(data_dir, names, now=None):
    """Ask for a restart of each daemon in `names`; returns the instant asked."""
    asked = now or clock.now()
    folder = restart_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        _write_atomically(folder / f"{name}.request", asked.isoformat())
    return asked


def status(data_dir, names):
    """{name: {"state": "waiting"|"restarting"|"back"|"failed"|"none", "requested", "back", "detail"}}
    for the page (instants naive UTC, None when unknown)."""
    folder = restart_dir(data_dir)
    found = {}
    for name in names:
        record = {"state": "none", "requested": None, "back": None, "detail": ""}
        done = _read_json(folder / f"{name}.back")
        if done:
            record.update(state="back" if done.get("ok") else "failed", requested=_instant(done.get("requested")),
                          back=_instant(done.get("back")), detail=done.get("detail", ""))
        for suffix, state in ((".taking", "restarting"), (".request", "waiting")):
            asked = _read_text(folder / f"{name}{suffix}")
            if asked is not None:
                record.update(state=state, requested=_instant(asked), back=None, detail="")
        found[name] = record
    return found


def take(data_dir):
    """[(name, asked instant)] of the requests to act on now, each renamed to NAME.taking."""
    folder = restart_dir(data_dir)
    if not folder.is_dir():
        return []
    for path in folder.glob("*.request"):
        os.replace(path, path.with_suffix(".taking"))
    return [(path.stem, _instant(_read_text(path))) for path in sorted(folder.glob("*.taking"))]


def done(data_dir, name, asked, ok, detail=""):
    """Record that daemon `name` is back (or failed to come back), then let go of its request."""
    folder = restart_dir(data_dir)
    record = {"requested": asked.isoformat() if asked else None, "back": clock.now().isoformat(),
              "ok": bool(ok), "detail": detail}
    _write_atomically(folder / f"{name}.back", json.dumps(record))
    try:
        (folder / f"{name}.taking").unlink()
    except FileNotFoundError:
        pass


def run_with_systemd(data_dir, known, systemctl="systemctl"):
    """The root helper's work: restart each requested unit through systemd. Returns 0,
    or 1 when a restart failed (recorded for the page all the same)."""
    code = 0
    for name, asked in take(data_dir):
        if name not in known:
            log.warning("restart of %r refused: not one of this box's daemons", name)
            done(data_dir, name, asked, False, "unknown daemon")
            continue
        unit = f"appliance-{name}.service"
        try:
            result = subprocess.run([systemctl, "restart", unit], capture_output=True, text=True,
                                    timeout=SYSTEMCTL_TIMEOUT)
            ok, detail = result.returncode == 0, (result.stderr or result.stdout).strip()[:200]
        except (OSError, subprocess.TimeoutExpired) as exc:
            ok, detail = False, str(exc)[:200]
        log.info("restart of %s: %s", unit, "done" if ok else f"failed: {detail}")
        done(data_dir, name, asked, ok, detail)
        code = code or (0 if ok else 1)
    return code


def main(argv=None):
    """Entry of appliance-restart.service: `python -m appliance.system.restarts`."""
    from appliance.config import load_config
    from appliance.plugins import plugins
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = load_config()
    return run_with_systemd(config.data_dir, set(plugins("appliance.daemons")) | set(JOBS))


def _instant(text):
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def _read_text(path):
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return None


def _read_json(path):
    text = _read_text(path)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o644)  # the helper runs as root; the web daemon reads its records
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
