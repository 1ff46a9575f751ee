"""The SMPP part of `appliance demo`: the fake SMSC (modem/smpp/simulator.py, for tests
and the demo only) as the carrier, and the smpp daemon bound to it."""
import socket
import sys


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hook(demo):
    port = _free_port()
    demo.start("smsc", [sys.executable, "-m", "modem.smpp.simulator", "--port", str(port),
                        "--system-id", "demo", "--password", "demo"])
    demo.overrides.update({"smpp.enabled": True, "smpp.host": "127.0.0.1", "smpp.port": port,
                           "smpp.system_id": "demo", "smpp.password": "demo",
                           "smpp.reconnect": 1.0})  # the fake SMSC starts beside the daemon
    demo.note(f"SMPP:       a fake SMSC on 127.0.0.1:{port} (tests and demo only) as the carrier; "
              f"messages routed to smpp (sms.route_*) go there")
