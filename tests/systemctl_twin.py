"""A stand-in for systemctl in firmware upgrade tests: it runs the web daemon of the
release ROOT/current points at, the way appliance-web.service would.

    systemctl_twin.py start|stop appliance.target
    systemctl_twin.py is-active UNIT…     a state a line: appliance-web.service is active while
                                          the daemon runs and answers; any other unit is unknown

Environment: TWIN_STATE (a folder for its pid and log), TWIN_ROOT (the firmware root),
TWIN_CONFIG (the appliance.toml), TWIN_LISTEN (web.listen, host:port).
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STATE = Path(os.environ["TWIN_STATE"])
PID = STATE / "web.pid"


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


def start():
    if pid() and alive(pid()):
        return 0
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with open(STATE / "web.log", "ab") as log:
        proc = subprocess.Popen([f"{os.environ['TWIN_ROOT']}/current/bin/appliance", "--config",
                                 os.environ["TWIN_CONFIG"], "run", "web"], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    PID.write_text(str(proc.pid))
    return 0


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
    number = pid()
    if not number or not alive(number):
        return "inactive"
    host, _, port = os.environ["TWIN_LISTEN"].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return "active"
    except OSError:
        return "activating"


def is_active():
    """As systemctl: one state a line; exit 0 when ANY unit is active."""
    states = [web_state() if unit == "appliance-web.service" else "unknown" for unit in sys.argv[2:]]
    print("\n".join(states))
    return 0 if "active" in states else 3


if __name__ == "__main__":
    verb = sys.argv[1]
    sys.exit({"start": start, "stop": stop, "is-active": is_active}[verb]())
