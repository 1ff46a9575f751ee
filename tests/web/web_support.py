"""Helpers for the web tests: an HTTP client that keeps cookies, users, free ports."""
import http.client
import json
import re
import urllib.parse
from http.cookies import SimpleCookie

from appliance import users
from appliance.models import AdminUser

PASSWORD = "correct horse 42"


class Client:
    """A small HTTP client that keeps cookies and never follows redirects."""

    def __init__(self, base):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.text = resp.read().decode("utf-8", errors="replace")
        for header in resp.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0" or "1970" in (morsel["expires"] or ""):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        conn.close()
        return resp

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, data=None, headers=None, csrf=True):
        data = dict(data or {})
        if csrf and "csrf" not in data:
            data["csrf"] = self.csrf
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, urllib.parse.urlencode(data, doseq=True), headers)

    def api(self, method, path, token=None, payload=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json")
        resp = self.request(method, path, body, headers)
        resp.json = json.loads(resp.text) if resp.text else None
        return resp

    @property
    def csrf(self):
        """The CSRF token of the last page that had a form."""
        return self._csrf

    def remember_csrf(self, html):
        match = re.search(r'name="csrf" value="([^"]+)"', html)
        if match:
            self._csrf = match.group(1)
        return html

    def page(self, path):
        resp = self.get(path)
        self.remember_csrf(resp.text)
        return resp

    def sign_in(self, username, password=PASSWORD):
        self.page("/signin")
        resp = self.post("/signin", {"username": username, "password": password})
        if resp.status == 303:
            self.page("/")
        return resp


def make_user(name, role, password=PASSWORD, must_change=False):
    user = users.create_user(name, password, role, actor="test", source="test")
    if not must_change:
        AdminUser.update(must_change_password=False).where(AdminUser.id == user.id).execute()
    return user
