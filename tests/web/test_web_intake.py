"""How requests come in (web/intake.py) against a real cheroot server: chunked
bodies read in linear time, slow clients cut at their deadline and unable to
starve other clients, HSTS only over the box's own HTTPS."""
import http.client
import json
import socket
import ssl
import threading
import time

from peer_support import free_port
from web_support import Client

from appliance.models import Customer
from web.app import build_app
from web.intake import ReadDeadlineConnection
from web.server import make_server, serve_in_thread


def address(base):
    host, port = base.split("//")[1].rsplit(":", 1)
    return host, int(port)


def chunks(data, size):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_a_chunked_body_costs_linear_time(server, api_token):
    host, port = address(server)
    body = b"username=a&password=" + b"x" * (1024 * 1024 - 100)  # just under MEMFILE_MAX: 30 s of CPU before
    conn = http.client.HTTPConnection(host, port, timeout=30)
    started = time.monotonic()
    conn.request("POST", "/signin", body=chunks(body, 4096), encode_chunked=True,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status in (400, 403)  # no CSRF token: refused, but read and answered at once
    assert time.monotonic() - started < 3

    payload = json.dumps({"name": "张伟", "mobile": "13800138000"}).encode()
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("PUT", "/api/v1/customers/C1", body=chunks(payload, 7), encode_chunked=True,
                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_token}"})
    resp = conn.getresponse()
    assert resp.status == 201, resp.read()
    assert Customer.get(Customer.customer_no == "C1").mobile == "+8613800138000"


def test_a_chunked_body_past_the_size_cap_is_refused(web_config, web_db, monkeypatch):
    monkeypatch.setattr("web.server.MAX_REQUEST_BODY", 64 * 1024)
    srv = make_server(web_config, build_app(web_config))
    serve_in_thread(srv)
    try:
        conn = http.client.HTTPConnection(*srv.bind_addr[:2], timeout=30)
        try:
            conn.request("POST", "/signin", body=chunks(b"x" * (256 * 1024), 8192), encode_chunked=True,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            status = conn.getresponse().status
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server answered and closed while the rest of the body was still going
            # out: the client may see the connection cut instead of reading the 413.
            status = None
        assert status in (413, None)
        probe = http.client.HTTPConnection(*srv.bind_addr[:2], timeout=30)
        probe.request("GET", "/signin")
        assert probe.getresponse().status == 200  # and it goes on serving
    finally:
        srv.stop()


class SlowClient(threading.Thread):
    """Sends a request's head, then its body a few bytes at a time until stopped."""

    def __init__(self, host, port, path, chunked, stop):
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), timeout=30)
        self.chunked, self.path, self.stop = chunked, path, stop
        self.sent = threading.Event()  # the head and a first piece of body are out
        self.answer = b""

    def run(self):
        framing = b"Transfer-Encoding: chunked" if self.chunked else b"Content-Length: 1000000"
        try:
            self.sock.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                              b"%s\r\n\r\n" % (self.path.encode(), framing))
            while not self.stop.is_set():
                self.sock.sendall(b"1\r\nx\r\n" if self.chunked else b"x")
                self.sent.set()
                self.stop.wait(0.2)  # the pace of a slow client, not synchronisation
        except OSError:
            self.sent.set()  # cut by the server
        finally:
            self.sock.settimeout(5)
            try:
                self.answer = self.sock.recv(200)
            except OSError:
                pass
            self.sock.close()


def timed_answers(base, token, count, source="127.0.0.2"):
    """`count` API answers for a client from another loopback address; their times."""
    host, port = address(base)
    times = []
    for _ in range(count):
        conn = http.client.HTTPConnection(host, port, timeout=30, source_address=(source, 0))
        started = time.monotonic()
        conn.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        resp.read()
        times.append(time.monotonic() - started)
        assert resp.status == 200
        conn.close()
    return times


def test_slow_and_chunked_bodies_do_not_starve_another_client(server, api_token):
    host, port = address(server)
    stop = threading.Event()
    slow = [SlowClient(host, port, path, chunked, stop)
            for chunked in (True, False) for path in ("/signin", "/api/v1/customers/C1")
            for _ in range(5)]  # 20: more than web.threads (4) and than one address may hold (16 of 32)
    for client in slow:
        client.start()
    try:
        for client in slow:
            assert client.sent.wait(10)
        times = timed_answers(server, api_token, 20)
        assert max(times) < 1.0, times
    finally:
        stop.set()
        for client in slow:
            client.join(10)
    refused = [c for c in slow if c.answer.startswith(b"HTTP/1.1 503")]
    assert len(refused) == 20 - 16  # beyond what one address may hold, answered at once


def test_a_trickling_request_is_cut_at_its_deadline(server, monkeypatch):
    monkeypatch.setattr(ReadDeadlineConnection, "grace_seconds", 0.5)
    monkeypatch.setattr(ReadDeadlineConnection, "min_bytes_per_second", 100)
    host, port = address(server)
    stop = threading.Event()
    client = SlowClient(host, port, "/signin", True, stop)  # 6 bytes every 0.2 s: 30 bytes/s
    started = time.monotonic()
    client.start()
    client.join(10)
    stop.set()
    assert client.answer.startswith(b"HTTP/1.1 408"), client.answer
    assert time.monotonic() - started < 5


def test_hsts_only_over_the_box_s_own_https(web_config, web_db, server):
    plain = Client(server).get("/signin", headers={"X-Forwarded-Proto": "https"})
    assert plain.status == 200 and plain.getheader("Strict-Transport-Security") is None
    config = web_config.replace(web__https="on", web__listen=f"127.0.0.1:{free_port()}")
    srv = make_server(config, build_app(config))
    serve_in_thread(srv)
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for path in ("/signin", "/api/v1/me"):
            conn = http.client.HTTPSConnection(*srv.bind_addr[:2], context=context, timeout=10)
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            assert resp.getheader("Strict-Transport-Security") == "max-age=31536000", path
    finally:
        srv.stop()

