"""A static LAN address from the settings page: checked when saved, and "apply now" has
the root helper (appliance/system/restarts.py, systemctl standing in as a script that runs
the unit's command) write the systemd-networkd file, here under a temporary root."""
import sys
from pathlib import Path

import pytest
from test_web_settings import config_path, file_server, form_fields, signed_in  # noqa: F401  (fixtures)

from appliance.config import Config, load_config
from appliance.errors import InputError
from appliance.system import network, restarts

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def systemctl_running_the_unit(tmp_path, config_path, root):
    """`systemctl restart appliance-network.service` runs that unit's ExecStart (our
    command line, with --root and no networkctl), as systemd would."""
    unit = (UNITS / "appliance-network.service").read_text()
    assert "ExecStart=/opt/appliance/current/bin/appliance network apply\n" in unit
    script = tmp_path / "systemctl"
    script.write_text(f'#!/bin/sh\n[ "$1 $2" = "restart appliance-network.service" ] || exit 5\n'
                      f'exec "{sys.executable}" -m appliance.cli --config "{config_path}" '
                      f'network apply --root "{root}" --networkctl ""\n')
    script.chmod(0o755)
    return str(script)


def test_a_static_address_saved_on_the_page_is_written_for_networkd(file_server, config_path, tmp_path):
    admin = signed_in(file_server, "admin")
    fields = form_fields(admin.page("/settings").text)
    fields.update({"network.mode": "static", "network.address": "192.168.31.20/24",
                   "network.gateway": "192.168.31.1", "network.dns": "192.168.31.1, 223.5.5.5"})
    assert admin.post("/settings", fields).status == 303
    page = admin.page("/settings").text
    assert 'name="daemon" value="network"' in page and "网络地址（应用）" in page
    assert admin.post("/settings/apply", {"daemon": "network"}).status == 303
    assert admin.api("GET", "/settings/restarts.json").json["network"]["text"].endswith("等待设备处理")

    data_dir = load_config(str(config_path)).data_dir
    root = tmp_path / "root"
    code = restarts.run_with_systemd(data_dir, {"network"}, systemctl_running_the_unit(tmp_path, config_path, root))
    assert code == 0
    assert (root / network.NETWORK_FILE).read_text().splitlines()[1:] == [
        "[Match]", "Name=en* eth*", "", "[Network]", "Address=192.168.31.20/24", "Gateway=192.168.31.1",
        "DNS=192.168.31.1", "DNS=223.5.5.5"]
    assert restarts.status(data_dir, ["network"])["network"]["state"] == "back"
    assert admin.api("GET", "/settings/restarts.json").json["network"]["text"].endswith("应用")  # applied at …


def test_a_bad_address_is_refused_in_chinese_and_nothing_changes(file_server, config_path):
    admin = signed_in(file_server, "admin")
    before = config_path.read_text()
    static = {"network.mode": "static", "network.address": "192.168.31.20/24"}
    saved = form_fields(admin.page("/settings").text)  # a refused form comes back with its values
    for changes, key, words in (({"network.address": "192.168.31.300/24"}, "network.address", "须为带前缀长度的 IP 地址"),
                                ({"network.address": "192.168.31.20"}, "network.address", "须为带前缀长度的 IP 地址"),
                                ({"network.gateway": "gateway"}, "network.gateway", "不是有效的 IP 地址"),
                                ({"network.mode": "manual"}, "network.mode", "只能是 dhcp 或 static"),
                                ({"network.mode": "static"}, "network.address", "固定地址方式需要填写地址"),
                                ({**static, "network.gateway": "10.0.0.1"}, "network.gateway", "不在 192.168.31.20/24 所在的网段内")):
        resp = admin.post("/settings", {**saved, **changes}, headers={"Referer": "/settings"})
        assert resp.status == 400 and f"{key}：" in resp.text and words in resp.text, changes
        assert config_path.read_text() == before


def test_dhcp_is_the_default_and_static_needs_an_address():
    assert "DHCP=yes" in network.render(Config({}))
    with pytest.raises(InputError, match="network.address"):
        network.render(Config({"network.mode": "static"}))


def test_a_reload_that_fails_is_not_an_error(run_cli, tmp_path):
    """At boot networkd may not run yet: the file is written and read when it starts."""
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    out = run_cli("network", "apply", "--root", tmp_path / "root", "--networkctl", "false", config_path=path)
    assert out.returncode == 0 and "written" in out.stdout and "networkctl reload failed" in out.stderr
    assert "DHCP=yes" in (tmp_path / "root" / network.NETWORK_FILE).read_text()
    assert "appliance-network.service" in (UNITS / "appliance.target").read_text()  # every boot
