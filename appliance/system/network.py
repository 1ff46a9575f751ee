"""The box's LAN address: settings network.* written as a systemd-networkd .network file.

network.mode dhcp (the default) or static; static takes network.address (with its prefix,
192.168.1.20/24), network.gateway and network.dns. The settings page checks each value
when it is saved (check_* below, through config_edit's FORMAT_CHECKS), and the applier
refuses a static mode without an address. Applying ("apply now" on the settings page):
the restart-request mechanism (appliance/system/restarts.py, job "network") starts
appliance-network.service, which runs `appliance network apply` as root: the file
ROOT/etc/systemd/network/10-appliance.network is replaced atomically, then
`networkctl reload` (networkd re-reads it and reconfigures the link). Unchanged text is
not rewritten nor reloaded. A power cut leaves the old file or the new one.
appliance.target also starts appliance-network.service at every boot, so the file always
says what the settings say (DHCP on a new box). A reload that fails (networkd not running:
it reads the file when it starts) is logged, not an error.
"""
import ipaddress
import logging
import os
import subprocess
import tempfile
from pathlib import Path

from appliance.errors import N_, InputError

log = logging.getLogger(__name__)
NETWORK_FILE = Path("etc/systemd/network/10-appliance.network")
MODES = ("dhcp", "static")


def check_mode(name, value):
    if value not in MODES:
        raise InputError.of(N_("{field}: must be dhcp or static"), field=name)


def check_address(name, value):
    """An address with its prefix (192.168.1.20/24), or empty."""
    if not value:
        return
    try:
        interface = ipaddress.ip_interface(value)
    except ValueError:
        interface = None
    if interface is None or "/" not in value or interface.ip == interface.network.network_address:
        raise InputError.of(N_("{field}: an IP address with its prefix length, like 192.168.1.20/24"), field=name)


def check_gateway(name, value):
    if value:
        _address(name, value)


def check_dns(name, value):
    for server in value:
        _address(name, server)


def _address(name, value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        raise InputError.of(N_("{field}: not an IP address: {value}"), field=name, value=value) from None


def check_together(config):
    """The network settings as one: a static mode has an address, and its gateway is on
    the address's network. Run on the whole new configuration before it is written."""
    if config["network.mode"] != "static":
        return
    if not config["network.address"]:
        raise InputError.of(N_("{field}: a static address needs an address"), field="network.address")
    network = ipaddress.ip_interface(config["network.address"]).network
    gateway = config["network.gateway"]
    if gateway and ipaddress.ip_address(gateway) not in network:
        raise InputError.of(N_("{field}: {gateway} is not on the network of {address}"), field="network.gateway",
                            gateway=gateway, address=config["network.address"])


def render(config):
    """The .network file's text for the configuration."""
    lines = ["# Written by `appliance network apply` from the settings network.*; edits here are replaced.",
             "[Match]", f"Name={config['network.interface']}", "", "[Network]"]
    if config["network.mode"] == "dhcp":
        lines.append("DHCP=yes")
    else:
        check_address("network.address", config["network.address"])
        check_together(config)
        lines.append(f"Address={config['network.address']}")
        if config["network.gateway"]:
            lines.append(f"Gateway={config['network.gateway']}")
    lines += [f"DNS={server.strip()}" for server in config["network.dns"]]
    return "\n".join(lines) + "\n"


def apply(config, root="/", networkctl="networkctl"):
    """Write the .network file under `root` and have networkd reload it; returns True
    when the file changed."""
    text = render(config)
    target = Path(root) / NETWORK_FILE
    if target.exists() and target.read_text() == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".10-appliance.")
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o644)  # networkd reads it as systemd-network
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    if networkctl:
        result = subprocess.run([networkctl, "reload"], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log.warning("%s written; networkctl reload failed (networkd reads it when it starts): %s",
                        target, (result.stderr or result.stdout).strip()[:200])
    return True
