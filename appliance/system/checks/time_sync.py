"""Is the clock synchronised? Send windows, calling windows and due dates all hang on it.
systemd-timesyncd says so through `timedatectl show -p NTPSynchronized --value`."""
import subprocess

from appliance.errors import N_
from appliance.system.checks import said


def check(config, timedatectl="timedatectl"):
    what = said(N_("clock"))
    try:
        result = subprocess.run([timedatectl, "show", "-p", "NTPSynchronized", "--value"],
                                capture_output=True, text=True, timeout=10)
        answer = result.stdout.strip() if result.returncode == 0 else ""
        why = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1]
    except (OSError, subprocess.TimeoutExpired) as exc:
        answer, why = "", str(exc)
    if answer == "yes":
        return [("ok", what, said(N_("synchronised (NTP)")))]
    if answer == "no":
        return [("warn", what, said(N_("not synchronised: check that the box reaches an NTP server (timedatectl timesync-status; network.dns)")))]
    return [("warn", what, said(N_("cannot tell whether the clock is synchronised ({why})"), why=why[:120]))]
