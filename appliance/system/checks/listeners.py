"""Do the daemons that listen answer? A daemon that runs but does not answer is a failure."""
import socket

from appliance.errors import N_
from appliance.system.checks import said

LISTENERS = {"agi": "agi.listen", "web": "web.listen"}  # daemon -> the setting it listens on


def check(config, known, running):
    lines = []
    for daemon, key in LISTENERS.items():
        if daemon not in known:
            continue
        listen = config[key]
        if answers(listen):
            lines.append(("ok", key, said(N_("{listen} answers"), listen=listen)))
        elif daemon in running:
            lines.append(("fail", key, said(N_("nothing answers on {listen}: systemctl restart appliance-{daemon}"),
                                            listen=listen, daemon=daemon)))
        else:
            lines.append(("warn", key, said(N_("nothing answers on {listen} ({daemon} not running)"),
                                            listen=listen, daemon=daemon)))
    return lines


def answers(listen, timeout=2.0):
    """Does something accept TCP connections at host:port? (0.0.0.0 is asked on 127.0.0.1)"""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False
