"""Are the box's daemons running? Under systemd: `systemctl is-active` of each daemon's
unit; elsewhere (`appliance demo`, a developer's shell) the daemons' locks in data_dir/run."""
import shutil
import subprocess
from pathlib import Path

from appliance.daemon import running_daemons
from appliance.errors import N_
from appliance.system.checks import said

SYSTEMD_RUNTIME = Path("/run/systemd/system")  # exists when systemd is PID 1 (sd_booted)


def under_systemd(systemctl="systemctl"):
    return SYSTEMD_RUNTIME.is_dir() and shutil.which(systemctl) is not None


def check(config, daemons, systemctl="systemctl", systemd=None):
    """One line for the daemons `daemons` (names); systemd: force the answer of under_systemd()."""
    if not (under_systemd(systemctl) if systemd is None else systemd):
        running = running_daemons(config.data_dir)
        stopped = [name for name in daemons if name not in running]
        if stopped:
            detail = said(N_("not under systemd: running: {running}; not running: {stopped}"),
                          running=", ".join(running) or said(N_("none")), stopped=", ".join(stopped))
        else:
            detail = said(N_("not under systemd: running: {running}"), running=", ".join(running))
        return [("warn" if stopped else "ok", said(N_("daemons")), detail)]
    states = {name: unit_state(systemctl, f"appliance-{name}.service") for name in daemons}
    down = {name: state for name, state in states.items() if state != "active"}
    if not down:
        return [("ok", said(N_("daemons")), said(N_("all active: {names}"), names=", ".join(states)))]
    failed = [name for name, state in down.items() if state == "failed"]
    detail = said(N_("not active: {units}; see journalctl -u appliance-{first} -n 50, then systemctl restart appliance.target"),
                  units=", ".join(f"{name} ({state})" for name, state in down.items()), first=next(iter(down)))
    return [("fail" if failed or len(down) == len(states) else "warn", said(N_("daemons")), detail)]


def unit_state(systemctl, unit):
    """active, activating, inactive, failed… as systemctl says it (unknown when it cannot)."""
    try:
        result = subprocess.run([systemctl, "is-active", unit], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return result.stdout.strip() or "unknown"
