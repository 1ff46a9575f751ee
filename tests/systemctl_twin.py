"""A stand-in for systemctl in firmware upgrade tests: it runs the web daemon of the
release ROOT/current points at, the way appliance-web.service (Type=notify) would.

    systemctl_twin.py start|stop appliance.target
    systemctl_twin.py is-active UNIT…     a state a line, exit 0 when any is active:
                                          appliance-web.service is active once the daemon
                                          said READY=1 (and until it stops); others unknown
    systemctl_twin.py reset-failed UNIT…  exit 0 (nothing to reset: no start limit here)

`start` leaves a small supervisor behind (`supervise`, detached): it binds the notify
socket, runs the daemon with NOTIFY_SOCKET pointing at it, and records what it hears and
how the daemon ended in TWIN_STATE/web.state, as systemd records a unit's state.

Environment: TWIN_STATE (a folder for its socket, pid, state and log), TWIN_ROOT (the
firmware root), TWIN_CONFIG (the appliance.toml).
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STATE = Path(os.environ["TWIN_STATE"])
PID, UNIT_STATE, SOCKET = STATE / "web.pid", STATE / "web.state", STATE / "notify"


def pid():
    try:
        return int(PID.read_text())
    except (FileNotFoundError, ValueError):
        return None


def alive(number):
    """Running and not a zombie waiting for its reaper."""
    try:
        return Path(f"/proc/{number}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def record(state):
    tmp = UNIT_STATE.with_suffix(".tmp")
    tmp.write_text(state)
    os.replace(tmp, UNIT_STATE)


def start():
    if pid() and alive(pid()):
        return 0
    record("activating")
    PID.unlink(missing_ok=True)
    subprocess.Popen([sys.executable, __file__, "supervise"], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 10
    while pid() is None and time.monotonic() < end:  # systemctl start returns once it is forked
        time.sleep(0.02)
    return 0


def supervise():
    SOCKET.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(SOCKET))
    sock.settimeout(0.2)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WATCHDOG_USEC")}
    env["NOTIFY_SOCKET"] = str(SOCKET)
    with open(STATE / "web.log", "ab") as log:
        proc = subprocess.Popen([f"{os.environ['TWIN_ROOT']}/current/bin/appliance", "--config",
                                 os.environ["TWIN_CONFIG"], "run", "web"], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, env=env)
    PID.write_text(str(proc.pid))
    while proc.poll() is None:
        try:
            lines = sock.recv(4096).decode().splitlines()
        except socket.timeout:
            continue
        if "READY=1" in lines:
            record("active")
        if "STOPPING=1" in lines:
            record("deactivating")
    record("inactive" if proc.returncode == 0 else "failed")


def stop():
    number = pid()
    if not number or not alive(number):
        return 0
    os.kill(number, signal.SIGTERM)
    end = time.monotonic() + 30  # the unit's TimeoutStopSec
    while alive(number) and time.monotonic() < end:
        time.sleep(0.05)
    if alive(number):
        os.kill(number, signal.SIGKILL)
    return 0


def web_state():
    try:
        state = UNIT_STATE.read_text()
    except FileNotFoundError:
        return "inactive"
    return state if state != "active" or (pid() and alive(pid())) else "failed"


def is_active():
    """As systemctl: one state a line; exit 0 when ANY unit is active."""
    states = [web_state() if unit == "appliance-web.service" else "unknown" for unit in sys.argv[2:]]
    print("\n".join(states))
    return 0 if "active" in states else 3


if __name__ == "__main__":
    verb = sys.argv[1]
    sys.exit({"start": start, "stop": stop, "is-active": is_active, "supervise": supervise,
              "reset-failed": lambda: 0}[verb]())
