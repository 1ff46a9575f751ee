"""`appliance user add`, `appliance token create`, `appliance run web` and the
demo hook, as real processes where the command line is what is tested."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from peer_support import free_port
from web_support import Client

from appliance import db as dbmod
from appliance.config import Config
from appliance.demo import Demo
from appliance.models import AdminUser, ApiToken, AuditLog
from appliance.tokens import check_token
from appliance.users import verify_password


def open_db(config_file, tmp_path):
    config = Config({"data_dir": str(tmp_path / "data")})
    return dbmod.open_database(config)


def test_user_add_reads_the_password_from_stdin(run_cli, config_file, tmp_path):
    result = run_cli("user", "add", "张管理", "--role", "admin", config_path=config_file,
                     input="a long password 1\n")
    assert result.returncode == 0, result.stderr
    db = open_db(config_file, tmp_path)
    user = AdminUser.get(AdminUser.username == "张管理")
    assert user.role == "admin" and user.must_change_password
    assert verify_password("a long password 1", user.password_hash)
    assert user.password_hash.startswith("scrypt$")
    assert AuditLog.get(AuditLog.action == "user.create").source == "cli"
    db.close()
    listing = run_cli("user", "list", "--json", config_path=config_file)
    assert json.loads(listing.stdout)[0]["username"] == "张管理"


def test_user_add_bad_input_exits_2_naming_the_field(run_cli, config_file):
    short = run_cli("user", "add", "bob", "--role", "operator", config_path=config_file, input="short\n")
    assert short.returncode == 2 and short.stderr.strip().splitlines()[-1] == "appliance: error: password: at least 10 characters"
    role = run_cli("user", "add", "bob", "--role", "root", config_path=config_file, input="long enough 123\n")
    assert role.returncode == 2 and "role" in role.stderr
    empty = run_cli("user", "add", "bob", "--role", "operator", config_path=config_file, input="")
    assert empty.returncode == 2 and "stdin" in empty.stderr
    run_cli("user", "add", "bob", "--role", "operator", config_path=config_file, input="long enough 123\n")
    again = run_cli("user", "add", "bob", "--role", "operator", config_path=config_file, input="long enough 123\n")
    assert again.returncode == 2 and "exists" in again.stderr


def test_token_create_prints_the_secret_once_and_stores_its_hash(run_cli, config_file, tmp_path):
    result = run_cli("token", "create", "core-system", config_path=config_file)
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("apt_") and len(secret) > 40
    db = open_db(config_file, tmp_path)
    token = ApiToken.get(ApiToken.name == "core-system")
    assert secret not in token.token_hash and check_token(secret).name == "core-system"
    db.close()
    listing = run_cli("token", "list", "--json", config_path=config_file)
    assert secret not in listing.stdout and json.loads(listing.stdout)[0]["role"] == "operator"
    assert run_cli("token", "create", "core-system", config_path=config_file).returncode == 2


def test_run_web_serves_and_stops_on_sigterm(config_file, tmp_path):
    port = free_port()
    config_file.write_text(config_file.read_text() + f'[web]\nlisten = "127.0.0.1:{port}"\n')
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(config_file), "run", "web"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=10) as resp:
            assert resp.status == 200 and "登录" in resp.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, proc.stderr.read()


def test_demo_hook_serves_on_8080_and_prints_a_working_sign_in(tmp_path, web_config):
    from web.demo import hook
    demo = Demo(tmp_path / "demo", Config())
    hook(demo)
    assert demo.overrides["web.listen"] == "127.0.0.1:8080"
    note = " ".join(demo.notes)
    password = re.search(r"admin / (\S+)", note).group(1)
    config = Config({"data_dir": str(tmp_path / "demo"), "web.listen": f"127.0.0.1:{free_port()}"})
    db = dbmod.open_database(config)
    from web.app import build_app
    from web.server import make_server, serve_in_thread
    srv = make_server(config, build_app(config))
    serve_in_thread(srv)
    try:
        client = Client("http://%s:%s" % srv.bind_addr[:2])
        assert client.sign_in("admin", password).getheader("Location") == "/password"
    finally:
        srv.stop()
        db.close()
    # A second demo run on the kept directory gets a fresh one-time password.
    again = Demo(tmp_path / "demo", Config())
    hook(again)
    assert re.search(r"admin / (\S+)", " ".join(again.notes)).group(1) != password
    assert os.path.exists(tmp_path / "demo" / "appliance.db")
