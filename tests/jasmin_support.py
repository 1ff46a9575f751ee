"""Jasmin, a real SMPP server no one here wrote, for the SMPP bearer's integration tests.

Jasmin (PyPI `jasmin`, pinned in tests/smpp_server/jasmin-requirements.txt and installed by
./dev setup into its own .venv-jasmin: its Twisted and celery pins are not the appliance's)
is an SMS gateway: the appliance binds to its SMPP server as an ESME, and Jasmin forwards
each submit_sm over its own SMPP client connector ("smppc") to an SMSC behind it. Here that
SMSC is modem/smpp/simulator.py, standing for the handsets and the carrier network no
machine here has; its receipts and MO messages come back through Jasmin's routing.

Jasmin needs RabbitMQ and Redis (Debian's packages, installed by ./dev setup too). Each
JasminServer runs its own of both, as the current user, in a temporary directory, on free
ports: epmd on its own port (ERL_EPMD_PORT) so no other Erlang node on the machine is
touched, redis without persistence, and jasmind with a config file written here. Every
process runs in its own session and is stopped by killing its process group.

Jasmin is configured through jCli, its telnet console, scripted with a socket that waits
for each prompt. The commands are remembered, so that a test that kills jasmind (a dropped
connection mid-window) can start it again with the same users, connector and routes.

Pinned to 0.11.0: 0.11.1 never relays delivery receipts to SMPP users (its
submit_sm_resp handler reads `.response` off the request PDU and drops the DLR mapping;
jookies/jasmin issue 1236).
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import smpplib.client
import smpplib.exceptions
from peer_support import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
RUN_JASMIND = Path(__file__).resolve().parent / "smpp_server" / "run_jasmind.py"
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
DEBIAN_BINARIES = {"rabbitmq-server": RABBITMQ_SERVER, "redis-server": "/usr/bin/redis-server",
                   "erlang-base (epmd)": "/usr/bin/epmd"}
START_TIMEOUT = 60.0  # RabbitMQ boots in ~4 s on two idle cores; a loaded CI machine is slower


def jasmin_venv():
    """Jasmin's own virtualenv: $APPLIANCE_JASMIN_VENV, else .venv-jasmin beside this checkout."""
    return Path(os.environ.get("APPLIANCE_JASMIN_VENV") or ROOT / ".venv-jasmin")


def missing():
    """Why Jasmin cannot run here (a sentence naming what is absent), or None."""
    absent = [name for name, path in DEBIAN_BINARIES.items() if not os.access(path, os.X_OK)]
    if absent:
        return f"Debian packages {', '.join(absent)} not installed (./dev setup installs them)"
    if not (jasmin_venv() / "bin" / "jasmind.py").exists():
        return f"Jasmin is not installed in {jasmin_venv()} (./dev setup installs it)"
    return None


class Process:
    """A child in its own session, its output in a log file, stopped by killing its group."""

    def __init__(self, name, argv, log, env=None, cwd=None):
        self.name, self.log = name, log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=env, cwd=cwd, start_new_session=True)

    def alive(self):
        return self.popen.poll() is None

    def check(self):
        """Fail, quoting its log, when it has exited."""
        if not self.alive():
            tail = Path(self.log).read_text(errors="replace")[-2000:]
            raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def kill(self, sig=signal.SIGKILL, timeout=10.0):
        """Send `sig` to the whole group, SIGKILL what still runs after `timeout`, and return
        once nothing of the group runs (the leader reaped; beam's helpers die with it)."""
        for each in dict.fromkeys((sig, signal.SIGKILL)):
            try:
                os.killpg(self.popen.pid, each)
            except ProcessLookupError:
                pass
            if self._gone(timeout):
                return
        raise AssertionError(f"{self.name}: its process group outlived SIGKILL")

    def _gone(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.popen.poll()  # reap the leader, so it does not count as running
            if not group_alive(self.popen.pid):
                return True
            time.sleep(0.02)
        return False


def group_alive(pgid):
    """True while a process of group `pgid` runs (zombies waiting for init to reap them do not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def answers(port, greeting=b"", expect=b"", timeout=1.0):
    """True when something on 127.0.0.1:port accepts, and answers `greeting` with `expect`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            if greeting:
                s.sendall(greeting)
            data = b""
            while expect and expect not in data:
                chunk = s.recv(4096)
                if not chunk:
                    return False
                data += chunk
            return True
    except OSError:
        return False


class JCliError(AssertionError):
    pass


class JCli:
    """Jasmin's console over its telnet port: send a line, wait for the next prompt."""

    PROMPTS = (b"jcli : ", b"> ")
    REFUSALS = ("Unknown", "Invalid", "You must set", "Error", "error", "Cannot", "not found", "Failed")

    def __init__(self, port, timeout=15.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        self._read_until(lambda b: b"Session ref" in b and b.endswith(b"\n"))
        self.buffer = b""
        self.command("")  # the first prompt comes after a line is sent (telnet negotiation done)

    def _read_until(self, done):
        while not done(self.buffer):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise JCliError(f"jCli closed the connection: {self.buffer[-500:]!r}")
            self.buffer += chunk

    def command(self, line):
        """Send one line; return what jCli printed before its next prompt."""
        self.sock.sendall(line.encode() + b"\r\n")
        self._read_until(lambda b: b.endswith(self.PROMPTS))
        text = self.buffer.decode(errors="replace").replace("\r", "")
        self.buffer = b""
        answer = text.split("\n", 1)[1] if "\n" in text else ""
        if any(word in answer for word in self.REFUSALS):
            raise JCliError(f"jCli refused {line!r}: {answer.strip()}")
        return answer

    def close(self):
        try:
            self.sock.sendall(b"quit\r\n")
        except OSError:
            pass
        self.sock.close()


class JasminServer:
    """RabbitMQ, Redis and jasmind on free ports under `root`; see the module docstring."""

    def __init__(self, root):
        self.root = Path(root)
        self.ports = {name: free_port() for name in (
            "epmd", "amqp", "erlang_dist", "redis", "smpp", "smpp_pb", "router", "client_manager", "jcli",
            "http")}
        self.smpp_port, self.jcli_port = self.ports["smpp"], self.ports["jcli"]
        self.processes = {}
        self.script = []          # every jCli session so far (its lines), replayed when jasmind restarts
        self.timings = {}         # seconds: rabbitmq, total (the startup figures README quotes)

    # -- starting ----------------------------------------------------------------------------
    def start(self):
        t0 = time.monotonic()
        self._start_epmd()
        self._start_rabbitmq()
        self._start_redis()
        wait_for(lambda: self._up("redis", self.ports["redis"], b"PING\r\n", b"+PONG"), START_TIMEOUT,
                 "redis-server to answer PING")
        # The AMQP protocol header is answered by Connection.Start once the broker is booted.
        wait_for(lambda: self._up("rabbitmq", self.ports["amqp"], b"AMQP\x00\x00\x09\x01", b"\x01\x00\x00"),
                 START_TIMEOUT, "RabbitMQ to answer an AMQP connection")
        self.timings["rabbitmq"] = time.monotonic() - t0
        self._start_jasmind()
        self.timings["total"] = time.monotonic() - t0
        return self

    def _up(self, name, port, greeting, expect):
        self.processes[name].check()
        return answers(port, greeting, expect)

    def _spawn(self, name, argv, env=None, cwd=None):
        self.processes[name] = Process(name, argv, self.root / f"{name}.out", env=env, cwd=cwd)
        return self.processes[name]

    def _start_epmd(self):
        # Our own epmd (not -daemon, which would leave our process group) on our own port.
        self._spawn("epmd", ["epmd", "-port", str(self.ports["epmd"])])
        wait_for(lambda: self._up("epmd", self.ports["epmd"], b"", b""), 10, "epmd to listen")

    def _start_rabbitmq(self):
        base = self.root / "rabbitmq"
        (base / "home").mkdir(parents=True)
        (base / "enabled_plugins").write_text("[].\n")  # no management plugin: a faster boot
        env = dict(os.environ, HOME=str(base / "home"), ERL_EPMD_PORT=str(self.ports["epmd"]),
                   RABBITMQ_NODENAME=f"jasmin-{self.ports['amqp']}@localhost",
                   RABBITMQ_NODE_IP_ADDRESS="127.0.0.1", RABBITMQ_NODE_PORT=str(self.ports["amqp"]),
                   RABBITMQ_DIST_PORT=str(self.ports["erlang_dist"]),
                   RABBITMQ_MNESIA_BASE=str(base / "mnesia"), RABBITMQ_LOG_BASE=str(base / "log"),
                   RABBITMQ_LOGS="-", RABBITMQ_PID_FILE=str(base / "pid"),
                   RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
                   RABBITMQ_CONFIG_FILE=str(base / "rabbitmq"),  # absent: the defaults
                   RABBITMQ_ADVANCED_CONFIG_FILE=str(base / "advanced.config"),
                   RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"))
        self._spawn("rabbitmq", [RABBITMQ_SERVER], env=env)

    def _start_redis(self):
        self._spawn("redis", ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(self.root)])

    def _config(self):
        spec = glob.glob(str(jasmin_venv() / "lib" / "python3*" / "site-packages" / "txamqp" / "specs"
                             / "standard" / "amqp0-9-1.stripped.xml"))
        assert spec, f"txamqp's AMQP 0-9-1 spec not found in {jasmin_venv()}"
        store = self.root / "jasmin" / "store"
        p = self.ports
        return f"""# written by tests/jasmin_support.py
[smpp-server]
id = smpps_01
bind = 127.0.0.1
port = {p['smpp']}
log_privacy = False
[smpp-server-pb]
bind = 127.0.0.1
port = {p['smpp_pb']}
[smpp-server-pb-client]
host = 127.0.0.1
port = {p['smpp_pb']}
[client-management]
bind = 127.0.0.1
port = {p['client_manager']}
store_path = {store}
[router]
bind = 127.0.0.1
port = {p['router']}
store_path = {store}
[jcli]
bind = 127.0.0.1
port = {p['jcli']}
authentication = False
[http-api]
bind = 127.0.0.1
port = {p['http']}
[amqp-broker]
host = 127.0.0.1
port = {p['amqp']}
spec = {spec[0]}
[redis-client]
host = 127.0.0.1
port = {p['redis']}
# A receipt can overtake the submit_sm_resp's mapping on its way through RabbitMQ:
# look it up again after 1 s rather than Jasmin's 10 s. (In this section 0.11.0 reads the
# delay from dlr_lookup_max_retries: a slip in its SMPPClientSMListenerConfig.)
# Submits queued while the connector to the SMSC is not bound (jasmind just restarted)
# are tried again after 1 s, not 30 s.
[sm-listener]
dlr_lookup_retry_delay = 1
dlr_lookup_max_retries = 1
submit_retrial_delay_smppc_not_ready = 1
[dlr]
dlr_lookup_retry_delay = 1
dlr_lookup_max_retries = 10
"""

    def _start_jasmind(self):
        home = self.root / "jasmin"
        (home / "store").mkdir(parents=True, exist_ok=True)
        (home / "log").mkdir(exist_ok=True)
        (home / "jasmin.cfg").write_text(self._config())
        for stale in home.glob("jasmind*.lock"):  # left by a jasmind killed with -9
            stale.unlink()
        env = dict(os.environ, LOG_PATH=str(home / "log"), STORE_PATH=str(home / "store"),
                   CONFIG_PATH=str(home), ROOT_PATH=str(home), JASMIND_LOCK=str(home / "jasmind"))
        env.pop("PYTHONPATH", None)  # Jasmin runs on its own venv's packages only
        python = jasmin_venv() / "bin" / "python"
        # The DLR lookup and thrower run inside jasmind (rather than as dlrlookupd/dlrd):
        # one process to start and to kill.
        self._spawn("jasmind", [str(python), str(RUN_JASMIND), str(jasmin_venv() / "bin" / "jasmind.py"), "-c",
                                str(home / "jasmin.cfg"), "--enable-dlr-lookup", "--enable-dlr-thrower",
                                "--disable-http-api"], env=env, cwd=home)
        wait_for(lambda: self._up("jasmind", self.ports["jcli"], b"", b"Session ref")
                 and answers(self.ports["smpp"]), START_TIMEOUT, "jasmind's jCli and SMPP server")

    # -- configuring -------------------------------------------------------------------------
    def jcli(self, *lines, remember=True):
        """Run jCli commands in one session; return their answers. Remembered for restarts."""
        console = JCli(self.jcli_port)
        try:
            answers_ = [console.command(line) for line in lines]
        finally:
            console.close()
        if remember:
            self.script.append(lines)
        return answers_

    def add_user(self, username, password, throughput=None, group="appliances"):
        """An SMPP account (smpps) on Jasmin; `throughput`: its MT quota in submit_sm per second."""
        if not any(f"gid {group}" in lines for lines in self.script):
            self.jcli("group -a", f"gid {group}", "ok")
        quota = [f"mt_messaging_cred quota smpps_throughput {throughput}"] if throughput else []
        self.jcli("user -a", f"username {username}", f"password {password}", f"uid {username}",
                  f"gid {group}", *quota, "ok")
        wait_for(lambda: self.can_bind(username, password), 20, f"Jasmin to accept binds as {username}")

    def can_bind(self, username, password):
        """True when a transceiver bind as `username` succeeds (then unbinds)."""
        client = smpplib.client.Client("127.0.0.1", self.smpp_port, timeout=5, allow_unknown_opt_params=True)
        try:
            client.connect()
            client.bind_transceiver(system_id=username, password=password)
            client.unbind()
            return True
        except (smpplib.exceptions.PDUError, smpplib.exceptions.ConnectionError, OSError):
            return False
        finally:
            client.disconnect()

    def set_throughput(self, username, throughput):
        """Change a user's MT quota (None: unlimited) without reconnecting it."""
        value = throughput if throughput else "none"
        self.jcli(f"user -u {username}", f"mt_messaging_cred quota smpps_throughput {value}", "ok")

    def add_smsc(self, port, system_id, password, cid="radio", mo_to=None):
        """Jasmin's SMPP client to the SMSC on 127.0.0.1:port, the default MT route to it, and
        (mo_to: a username) the default MO route to that user; started, and bound before return."""
        self.jcli("smppccm -a", f"cid {cid}", "host 127.0.0.1", f"port {port}", f"username {system_id}",
                  f"password {password}", "bind transceiver",
                  "submit_throughput 0",      # Jasmin's default paces the SMSC at 1 submit_sm/s
                  "con_loss_delay 1", "con_fail_delay 1", "ok")
        self.jcli("mtrouter -a", "type DefaultRoute", f"connector smppc({cid})", "rate 0.00", "ok")
        if mo_to:
            self.jcli("morouter -a", "type DefaultRoute", f"connector smpps({mo_to})", "ok")
        self.jcli(f"smppccm -1 {cid}")
        wait_for(lambda: self.connector_session(cid) == "BOUND_TRX", 20, f"Jasmin's connector {cid} to bind")

    def connector_session(self, cid="radio"):
        """The session state jCli lists for connector `cid` (BOUND_TRX when bound)."""
        for line in self.jcli("smppccm -l", remember=False)[0].splitlines():
            fields = line.lstrip("#").split()
            if fields and fields[0] == cid:
                return fields[2]
        return None

    # -- faults and stopping -----------------------------------------------------------------
    def kill_jasmind(self):
        """kill -9 jasmind: every SMPP connection through it drops mid-stream."""
        self.processes["jasmind"].kill(signal.SIGKILL)

    def restart_jasmind(self):
        """Start jasmind again (same ports, same RabbitMQ and Redis) and replay the jCli script:
        connectors, routes and their binds first, the accounts last, so that nobody binds to a
        Jasmin that would refuse its submits for want of a route (a real one loads all at once)."""
        self._start_jasmind()
        script, self.script = self.script, []
        accounts = [lines for lines in script if lines[0].startswith("user ")]
        for lines in script:
            if lines not in accounts:
                self.jcli(*lines)
                if lines[0].startswith("smppccm -1 "):
                    cid = lines[0].split()[-1]
                    wait_for(lambda: self.connector_session(cid) == "BOUND_TRX", 20, f"connector {cid} bound again")
        for lines in accounts:
            self.jcli(*lines)

    def log(self, name="messages"):
        """One of jasmind's logs (messages, default-smpps_01, default-radio, …), for failure messages."""
        path = self.root / "jasmin" / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        for name in ("jasmind", "redis", "rabbitmq", "epmd"):
            if name in self.processes:
                self.processes[name].kill(signal.SIGTERM if name == "jasmind" else signal.SIGKILL)
        left = [name for name, p in self.processes.items() if group_alive(p.popen.pid)]
        assert not left, f"processes left running: {left}"

    def pids(self):
        return {name: p.popen.pid for name, p in self.processes.items()}


def start_jasmin():
    """A started JasminServer in a fresh temporary directory (skips, saying why, without Jasmin)."""
    reason = missing()
    if reason and os.environ.get("APPLIANCE_JASMIN_REQUIRED"):  # ./dev test installed it: must run
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    root = tempfile.mkdtemp(prefix="jasmin-")
    server = JasminServer(root)
    try:
        server.start()
    except BaseException:
        stop_jasmin(server)
        raise
    return server


def stop_jasmin(server):
    try:
        server.stop()
    finally:
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="module")
def jasmin():
    """Jasmin with its RabbitMQ and Redis, once per test module; all torn down after it."""
    server = start_jasmin()
    yield server
    stop_jasmin(server)


def relay_figures(smsc):
    """What the SMSC behind Jasmin got, and how fast Jasmin relayed it (first to last submit)."""
    accepted = smsc.accepted()
    words = f"the SMSC behind Jasmin accepted {len(accepted)} part(s)"
    if len(accepted) > 1 and accepted[-1].at > accepted[0].at:
        words += f", {(len(accepted) - 1) / (accepted[-1].at - accepted[0].at):.1f} parts/s from first to last"
    return words


def main():
    """Jasmin with the fake SMSC behind it, until Ctrl-C: for `appliance bench sms --bearer smpp
    --smsc 127.0.0.1:PORT` and for trying the bearer by hand (README, "Testing against Jasmin").

        PYTHONPATH=. .venv/bin/python tests/jasmin_support.py [--throughput N]
    """
    import argparse
    import threading

    from modem.smpp.simulator import Smsc

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--system-id", default="branch")
    parser.add_argument("--password", default="branchpw")
    parser.add_argument("--throughput", type=float, help="the account's MT quota at Jasmin (submit_sm/s)")
    args = parser.parse_args()
    reason = missing()
    if reason:
        raise SystemExit(reason)
    server = JasminServer(tempfile.mkdtemp(prefix="jasmin-"))
    smsc = None
    try:
        server.start()
        smsc = Smsc(system_id="jasmin", password="radiopw").start()
        server.add_user(args.system_id, args.password, throughput=args.throughput)
        server.add_smsc(smsc.port, "jasmin", "radiopw", mo_to=args.system_id)
        print(f"Jasmin up in {server.timings['total']:.1f} s (RabbitMQ {server.timings['rabbitmq']:.1f} s): "
              f"SMPP 127.0.0.1:{server.smpp_port} system_id {args.system_id} password {args.password}; "
              f"jCli 127.0.0.1:{server.jcli_port}; logs in {server.root}/jasmin/log. Ctrl-C stops.", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        print(relay_figures(smsc))
    finally:
        if smsc:
            smsc.stop()
        stop_jasmin(server)


if __name__ == "__main__":
    main()
