"""Serving the app: cheroot (threaded WSGI server), HTTPS with a self-signed
certificate made on first start, and the `appliance run web` daemon."""
import ipaddress
import logging
import subprocess
import threading

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from appliance.daemon import serve, threads_alive
from appliance.errors import ConfigError
from web.app import build_app
from web.intake import ClientCounts, Intake, ReadDeadlineConnection

log = logging.getLogger(__name__)


def parse_listen(listen):
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def use_https(config):
    """web.https: on, off, or auto (HTTPS unless listening on loopback only)."""
    mode = str(config["web.https"]).lower()
    if mode not in ("auto", "on", "off"):
        raise ConfigError(f"configuration key 'web.https' must be auto, on or off, got {mode!r}",
                          field="web.https")
    host, _ = parse_listen(config["web.listen"])
    if mode == "off" and not is_loopback(host):
        # Passwords and session cookies never cross the LAN in clear text.
        raise ConfigError("web.https: off is only allowed when web.listen is on 127.0.0.1",
                          field="web.https")
    return mode == "on" or (mode == "auto" and not is_loopback(host))


def ensure_certificate(config):
    """The box's certificate and key in data_dir/tls, made with openssl on first start."""
    tls_dir = config.data_dir / "tls"
    cert, key = tls_dir / "web.crt", tls_dir / "web.key"
    if cert.exists() and key.exists():
        return cert, key
    tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    host, _ = parse_listen(config["web.listen"])
    names = ["DNS:localhost", "IP:127.0.0.1"]
    if host and host not in ("0.0.0.0", "::", "localhost", "127.0.0.1"):
        names.append(("IP:" if _is_ip(host) else "DNS:") + host)
    tmp_key = key.with_suffix(".key.tmp")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                        "-days", "3650", "-subj", f"/CN={config['branch_name'] or 'appliance'}",
                        "-addext", "subjectAltName=" + ",".join(names),
                        "-keyout", str(tmp_key), "-out", str(cert.with_suffix(".crt.tmp"))],
                       check=True, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise ConfigError("web.https: the openssl command is needed to make a certificate",
                          field="web.https") from None
    except subprocess.CalledProcessError as exc:
        raise ConfigError(f"web.https: openssl failed: {exc.stderr.decode(errors='replace').strip()[:200]}",
                          field="web.https") from None
    tmp_key.chmod(0o600)
    tmp_key.replace(key)  # key first: a cert without its key would be reused wrongly
    cert.with_suffix(".crt.tmp").replace(cert)
    log.info("made a self-signed certificate %s", cert)
    return cert, key


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


# Refused by cheroot from the Content-Length header, before any body is read or
# spooled: above the largest upload a page takes (imports, 50 MB) plus the
# multipart framing, so one oversized request cannot fill the disk or memory.
MAX_REQUEST_BODY = 64 * 1024 * 1024


def make_server(config, app=None, listen=None):
    """A cheroot server for the app (not started).

    cheroot's workers read requests as well as run the app, so a slow client holds
    one while it trickles its request in. Hence many workers (cheap: they mostly
    wait), each request's reading cut at a deadline, at most half of them reading
    one client address's requests, and only `web.threads` of them running the app at once
    (web/intake.py)."""
    host, port = parse_listen(listen or config["web.listen"])
    slots = config["web.threads"]
    workers = max(32, 4 * slots)
    server = wsgi.Server((host, port), Intake(app or build_app(config), slots), numthreads=workers,
                         server_name="appliance", timeout=30, shutdown_timeout=2)
    server.ConnectionClass = ReadDeadlineConnection
    server.clients = ClientCounts(workers // 2)
    server.max_request_body_size = MAX_REQUEST_BODY
    if use_https(config):
        cert, key = ensure_certificate(config)
        server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
    return server


def serve_in_thread(server):
    """Start the server in a daemon thread; returns once it listens."""
    server.prepare()
    thread = threading.Thread(target=server.serve, name="web-server", daemon=True)
    thread.start()
    return thread


class Daemon:
    """`appliance run web` as serve() drives it: cheroot's serving thread."""

    def __init__(self, config):
        self.config = config
        self.server = self.thread = None

    def start(self):
        self.server = make_server(self.config)
        self.thread = serve_in_thread(self.server)
        scheme = "https" if self.server.ssl_adapter else "http"
        host, port = self.server.bind_addr[:2]
        log.info("admin page on %s://%s:%s/", scheme, host, port)

    def alive(self):
        return threads_alive(self.thread)

    def stop(self):
        self.server.stop()


def main(config):
    """`appliance run web`: serve until SIGTERM/SIGINT."""
    daemon = Daemon(config)
    return serve("web", daemon.start, daemon.stop, daemon.alive)
