"""Security of the admin page and the API against a real server: every route
needs a session or a token, every form a CSRF token; output is escaped, SQL
metacharacters are data, sign-in locks after repeated failures."""
import datetime
import http.client
import re
import ssl

import pytest
from web_support import PASSWORD, Client, make_user

from appliance import tokens
from appliance.models import AdminUser, AuditLog, Customer
from appliance.sms.models import InboundMessage, Message
from web.app import build_app

NASTY = "<script>alert(1)</script>"


def concrete(rule):
    """A request path for a Bottle route rule: <x:int> -> 1, <x> / <x:path> -> x."""
    path = re.sub(r"<\w+:int>", "1", rule)
    return re.sub(r"<\w+(:\w+)?>", "x", path)


def all_routes(config):
    app = build_app(config)
    routes = [(r.method, r.rule, bool(r.config.get("public"))) for r in app.routes]
    assert len(routes) > 40  # the enumeration really found the app's routes
    return routes


def test_every_route_refuses_without_a_session_or_token(web_config, client):
    checked = 0
    for method, rule, public in all_routes(web_config):
        if public:
            assert rule in ("/signin", "/static/<filename:path>", "/lang/<code>"), rule
            continue
        path = concrete(rule)
        resp = client.request(method, path, body=b"" if method != "GET" else None,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        if rule.startswith("/api/"):
            assert resp.status == 401, (method, rule, resp.status)
            assert '"error"' in resp.text
        elif method == "GET":
            assert resp.status == 303 and resp.getheader("Location").startswith("/signin"), (method, rule)
        else:
            assert resp.status == 403, (method, rule, resp.status)
        checked += 1
    assert checked > 30


def test_every_form_refuses_a_post_without_the_csrf_token(web_config, admin_client):
    before = AuditLog.select().count()
    messages_before = Message.select().count()
    for method, rule, public in all_routes(web_config):
        if method != "POST" or rule.startswith("/api/"):
            continue
        for data in ({}, {"csrf": "forged"}):
            resp = admin_client.post(concrete(rule), {"text": "x", "to": "13800138000", **data}, csrf=False)
            assert resp.status == 403, (rule, data, resp.status)
    assert AuditLog.select().count() == before  # nothing happened
    assert Message.select().count() == messages_before
    # And a cross-site POST with the right token is refused too (Origin check).
    resp = admin_client.post("/send", {"mode": "single", "to": "13800138000", "text": "hi"},
                             headers={"Origin": "http://evil.example"})
    assert resp.status == 403


def test_sign_in_form_needs_its_csrf_token(client, web_db):
    make_user("alice", "operator")
    resp = client.post("/signin", {"username": "alice", "password": PASSWORD}, csrf=False)
    assert resp.status == 403
    assert "session" not in client.cookies


def test_session_cookie_is_httponly_and_samesite(client, web_db):
    make_user("alice", "operator")
    client.page("/signin")
    resp = client.post("/signin", {"username": "alice", "password": PASSWORD})
    cookie = [h for h in resp.headers.get_all("Set-Cookie") if h.startswith("session=")][0]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Max-Age" not in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1 only


def test_https_with_a_self_signed_certificate_and_secure_cookies(web_config, web_db):
    from web.server import make_server, serve_in_thread
    config = web_config.replace(web__https="on")
    srv = make_server(config, build_app(config))
    serve_in_thread(srv)
    try:
        assert (config.data_dir / "tls" / "web.crt").exists()
        assert oct((config.data_dir / "tls" / "web.key").stat().st_mode & 0o777) == "0o600"
        make_user("alice", "operator")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(*srv.bind_addr[:2], context=context, timeout=10)
        conn.request("GET", "/signin")
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 200
        pre = [h for h in resp.headers.get_all("Set-Cookie") if h.startswith("signin_csrf=")][0]
        assert "Secure" in pre
        csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
        conn.request("POST", "/signin", f"username=alice&password={PASSWORD.replace(' ', '+')}&csrf={csrf}",
                     {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"signin_csrf={csrf}"})
        resp = conn.getresponse()
        resp.read()
        cookie = [h for h in resp.headers.get_all("Set-Cookie") if "session=" in h][0]
        assert cookie.startswith("__Host-session=") and "Secure" in cookie and "HttpOnly" in cookie
    finally:
        srv.stop()


def test_https_off_is_refused_off_loopback(web_config):
    from appliance.errors import ConfigError
    from web.server import use_https
    assert use_https(web_config) is False  # 127.0.0.1, auto
    assert use_https(web_config.replace(web__listen="0.0.0.0:8443")) is True
    with pytest.raises(ConfigError, match="web.https"):
        use_https(web_config.replace(web__listen="0.0.0.0:8443", web__https="off"))


def test_html_and_script_in_names_and_messages_come_out_escaped(admin_client):
    customer = Customer.create(name=NASTY, mobile="13800138000", region='"><img src=x onerror=alert(2)>')
    InboundMessage.create(from_number="+8613800138000", text=NASTY + "退订", customer=customer.id)
    for path in ("/customers", f"/customers/{customer.id}", "/inbox", "/policies"):
        html = admin_client.page(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in admin_client.page("/customers").text
    assert "&lt;script&gt;" in admin_client.page("/inbox").text
    # Search terms echoed back into the form are escaped too.
    html = admin_client.page("/customers?q=%22%3E%3Cscript%3Ealert(3)%3C/script%3E").text
    assert "<script>alert(3)" not in html


def test_sql_metacharacters_are_harmless(admin_client):
    for name in ("张三", "李四"):
        Customer.create(name=name)
    quote = "' OR '1'='1"
    html = admin_client.page("/customers?q=" + quote.replace(" ", "%20").replace("'", "%27")).text
    assert "张三" not in html and "李四" not in html  # the condition did not become true
    evil = "Robert'); DROP TABLE customer;--"
    customer = Customer.get(Customer.name == "张三")
    resp = admin_client.post(f"/customers/{customer.id}", {"name": evil, "language": "zh"})
    assert resp.status == 303
    assert Customer.get_by_id(customer.id).name == evil and Customer.select().count() == 2
    assert evil.replace("'", "&#039;") in admin_client.page("/customers").text
    assert admin_client.page("/history?to=%27%3B--").status == 200  # a bad number is a form error


def test_sign_in_lockout(client, web_config, web_db):
    make_user("alice", "operator")
    for attempt in range(web_config["web.lockout_attempts"]):
        client.page("/signin")
        resp = client.post("/signin", {"username": "alice", "password": "wrong password"})
        assert resp.status == 403
    assert "locked" in resp.text or "锁定" in resp.text
    client.page("/signin")
    resp = client.post("/signin", {"username": "alice", "password": PASSWORD})
    assert resp.status == 403 and "锁定" in resp.text  # the right password does not help while locked
    assert "session" not in client.cookies
    assert AuditLog.select().where(AuditLog.action == "signin.locked").count() == 1
    # When the lock runs out the right password works again.
    AdminUser.update(locked_until=datetime.datetime.now() - datetime.timedelta(seconds=1)).execute()
    client.page("/signin")
    assert client.post("/signin", {"username": "alice", "password": PASSWORD}).status == 303


def test_unknown_user_and_wrong_password_look_the_same(client, web_db):
    make_user("alice", "operator")
    client.page("/signin")
    a = client.post("/signin", {"username": "alice", "password": "nope nope nope"})
    client.page("/signin")
    b = client.post("/signin", {"username": "nobody", "password": "nope nope nope"})
    assert a.status == b.status == 403
    strip = lambda t: re.sub(r'value="[^"]*"', "", t)  # noqa: E731
    assert strip(a.text) == strip(b.text)


def test_first_sign_in_forces_a_new_password(client, web_db):
    make_user("bob", "operator", must_change=True)
    client.page("/signin")
    resp = client.post("/signin", {"username": "bob", "password": PASSWORD})
    assert resp.status == 303 and resp.getheader("Location") == "/password"
    assert client.get("/inbox").getheader("Location") == "/password"
    client.page("/password")
    resp = client.post("/password", {"old_password": PASSWORD, "new_password": "short",
                                     "new_password2": "short"})
    assert resp.status == 400
    client.page("/password")
    resp = client.post("/password", {"old_password": PASSWORD, "new_password": "新的密码 is long",
                                     "new_password2": "新的密码 is long"})
    assert resp.status == 303
    assert client.get("/inbox").status == 200
    other = Client(f"http://{client.host}:{client.port}")
    assert other.sign_in("bob", "新的密码 is long").status == 303  # UTF-8 password intact


def test_roles_limit_pages_and_mask_personal_data(server, web_db):
    customer = Customer.create(name="王五", mobile="13800138000", id_number="11010519491231002X")
    make_user("olga", "operator")
    make_user("audrey", "auditor")
    op, au = Client(server), Client(server)
    op.sign_in("olga")
    au.sign_in("audrey")
    assert op.get("/users").status == 403 and op.get("/send").status == 200
    assert au.get("/send").status == 403 and au.get("/audit").status == 200
    assert au.get("/inbox").status == 403
    op_html, au_html = op.page(f"/customers/{customer.id}").text, au.page(f"/customers/{customer.id}").text
    assert "+8613800138000" in op_html and "11010519491231002X" not in op_html
    assert "+86138****8000" in au_html and "+8613800138000" not in au_html
    # The auditor cannot change anything, even with a valid CSRF token.
    assert au.post(f"/customers/{customer.id}", {"name": "x"}).status == 403


def test_open_redirects_are_refused(client, web_db):
    make_user("alice", "operator")
    client.page("/signin?next=//evil.example/x")
    resp = client.post("/signin", {"username": "alice", "password": PASSWORD, "next": "//evil.example/x"})
    assert resp.getheader("Location") == "/"
    assert client.get("/lang/en?next=https://evil.example").getheader("Location") == "/"


def test_revoked_token_and_auditor_token_limits(client, web_db):
    _, auditor = tokens.create_token("reader", "auditor")
    assert client.api("GET", "/api/v1/me", token=auditor).status == 200
    assert client.api("GET", "/api/v1/me", headers={"Authorization": "Basic abc"}).status == 401


def test_expired_session_and_disabled_user_are_signed_out(server, web_db):
    from appliance.models import WebSession
    make_user("root", "admin")
    make_user("olga", "operator")
    admin, op = Client(server), Client(server)
    admin.sign_in("root")
    op.sign_in("olga")
    assert op.get("/inbox").status == 200
    WebSession.update(expires_at=datetime.datetime.now() - datetime.timedelta(seconds=1)).where(
        WebSession.user == AdminUser.get(AdminUser.username == "olga").id).execute()
    assert op.get("/inbox").getheader("Location").startswith("/signin")
    op.sign_in("olga")
    assert op.get("/inbox").status == 200
    olga = AdminUser.get(AdminUser.username == "olga")
    admin.page("/users")
    assert admin.post(f"/users/{olga.id}", {"role": "operator", "disabled": "1", "action": "update",
                                         "confirmed": "1"}).status == 303
    assert op.get("/inbox").getheader("Location").startswith("/signin")
    assert op.sign_in("olga").status == 403
    # The last admin cannot demote or disable themselves.
    root = AdminUser.get(AdminUser.username == "root")
    admin.page("/users")
    admin.post(f"/users/{root.id}", {"role": "operator", "action": "update"})
    assert AdminUser.get_by_id(root.id).role == "admin"


def test_an_oversized_body_is_refused_before_it_is_read(server, admin_client):
    """A body larger than any page takes is refused from its Content-Length, with
    no body sent, so it is never spooled to disk (even signed in)."""
    from urllib.parse import urlsplit

    from web.server import MAX_REQUEST_BODY
    parts = urlsplit(server)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", "/import")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(MAX_REQUEST_BODY + 1))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()
