"""The admin pages' framework: sessions, CSRF, roles, rendering, flash messages.

Page modules (web/pages/*.py, imported when the app is built) register their
handlers with the decorator:

    @page("/inbox", "inbox", nav=("Inbox", 30))
    def inbox(ctx):
        return ctx.render("inbox", rows=...)

A handler gets a PageContext (user, role, gettext `_`, form access, masking,
audit). Every page needs a signed-in session unless declared public; every POST
needs the session's CSRF token (form field `csrf` or header X-CSRF-Token);
a user who must change the password is sent to /password first.
"""
import hmac
import importlib
import logging
import pkgutil
import secrets
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import bottle

from appliance import db as dbmod
from appliance import clock, listings, privacy, tokens, users
from appliance.errors import InputError
from appliance.models import WebSession, audit
from web import words
from web.i18n import LANGUAGE_NAMES, LANGUAGES, gettext_for

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent.parent
VIEWS = str(WEB_DIR / "views")
STATIC = WEB_DIR / "static"
PRE_CSRF_COOKIE = "signin_csrf"  # double-submit token for the sign-in form (no session yet)
LANG_COOKIE = "lang"
PAGE_SIZE = listings.PAGE_SIZE


def N_(msgid):
    """Marks a text for the catalogue where it is defined; translated where shown."""
    return msgid


@dataclass
class PageRoute:
    path: str
    permission: str
    method: str
    handler: object
    nav: tuple = None       # (label msgid, order) for the menu
    public: bool = False


PAGES = []


def page(path, permission="view", method="GET", nav=None, public=False):
    """Register a page handler (see the module docstring)."""
    def register(handler):
        for existing in PAGES:
            if existing.path == path and existing.method == method:
                if existing.handler.__qualname__ == handler.__qualname__:
                    return handler
                raise ValueError(f"page {method} {path} is registered twice")
        PAGES.append(PageRoute(path, permission, method, handler, nav, public))
        return handler
    return register


def session_cookie_name():
    # The __Host- prefix pins the cookie to this host and HTTPS (browsers enforce it).
    return "__Host-session" if is_https() else "session"


def is_https():
    return bottle.request.urlparts.scheme == "https"


def set_cookie(name, value, max_age=None, httponly=True):
    options = {"max_age": max_age} if max_age else {}  # none: a browser-session cookie
    bottle.response.set_cookie(name, value, path="/", httponly=httponly, samesite="Strict",
                               secure=is_https(), **options)


def current_lang(config):
    lang = bottle.request.get_cookie(LANG_COOKIE)
    return lang if lang in LANGUAGES else config["language"] if config["language"] in LANGUAGES else "zh"


class PageContext:
    """What a page handler knows about the request and may do."""

    def __init__(self, config, session=None):
        self.config = config
        self.session = session
        self.user = session.user if session else None
        self.role = self.user.role if self.user else None
        self.lang = current_lang(config)
        self._ = gettext_for(self.lang)
        self.source = bottle.request.remote_addr or ""
        self.request = bottle.request

    # --- input ---
    def form(self, name, default=""):
        """A form field as text (UTF-8 decoded; Bottle's .get would garble it)."""
        value = bottle.request.forms.getunicode(name)
        return default if value is None else value.strip()

    def form_list(self, name):
        return [v for v in (bottle.request.forms.getall(name) or [])]

    def query(self, name, default=""):
        value = bottle.request.query.getunicode(name)
        return default if value is None else value.strip()

    def query_int(self, name):
        text = self.query(name)
        try:
            return int(text) if text else None
        except ValueError:
            raise InputError.of(N_("{field}: must be a number"), field=name) from None

    # --- rights and privacy ---
    def can(self, permission):
        return users.can(self.role, permission)

    def masks(self, kind):
        """Whether this user sees personal data of `kind` masked: the listings'
        as_dict(mask=...) take it, as mobile() and id_number() do for one value."""
        return not users.sees(self.role, kind)

    def mobile(self, number):
        return number or "" if users.sees(self.role, "mobile") else privacy.mask_mobile(number)

    def email(self, address):
        """An e-mail address, masked for those who see mobiles masked (the same personal data)."""
        return address or "" if users.sees(self.role, "mobile") else privacy.mask_email(address)

    def when(self, instant, fmt="%Y-%m-%d %H:%M"):
        """A stored instant as the box's wall-clock time: every time a page shows."""
        return clock.format(instant, fmt)

    def id_number(self, number):
        return number or "" if users.sees(self.role, "id_number") else privacy.mask_id_number(number)

    def birth_date(self, day):
        """A birth date in full only for those who see ID numbers (its digits are in them)."""
        if users.sees(self.role, "id_number"):
            return str(day) if day else ""
        return privacy.mask_birth_date(day)

    def audit(self, action, target="", detail=""):
        audit(self.user.username, action, target, detail, self.source)

    # --- output ---
    def other_languages(self):
        return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES if code != self.lang]

    def render(self, template, **values):
        values.setdefault("title", "")
        values.setdefault("words", words)  # codes in words (web/words.py) for every template
        return bottle.template(template, template_lookup=[VIEWS], ctx=self, _=self._,
                               nav=self.nav_items(), flash=self.take_flash(), **values)

    def nav_items(self):
        if not self.user:
            return []
        items = [(p.nav[1], p.path, self._(p.nav[0])) for p in PAGES
                 if p.nav and p.method == "GET" and self.can(p.permission)]
        return [(path, label) for _, path, label in sorted(items)]

    def nav_groups(self):
        """The menu in groups: [(group label or "", [(path, label)…])], in NAV_GROUPS' order."""
        grouped = {}
        for path, label in self.nav_items():
            grouped.setdefault(nav_group(path), []).append((path, label))
        return [(self._(title) if title else "", grouped[title]) for title in NAV_GROUPS if title in grouped]

    def flash(self, kind, text):
        """A message shown on the next page (kind: ok or error)."""
        if self.session:
            WebSession.update(flash=f"{kind}:{text}").where(
                WebSession.id == self.session.id).execute()

    def take_flash(self):
        if not self.session or not self.session.flash:
            return None
        kind, _, text = self.session.flash.partition(":")
        WebSession.update(flash="").where(WebSession.id == self.session.id).execute()
        self.session.flash = ""
        return {"kind": kind, "text": text}

    def redirect(self, url, kind=None, text=None):
        if kind:
            self.flash(kind, text)
        raise respond(status=303, headers={"Location": url})

    def error_text(self, exc):
        """An InputError for the page: a translated lead, then the one-line detail,
        which names the field: in the page's language when the domain marked it
        for translation (InputError.of), else the domain's English."""
        if not getattr(exc, "msgid", None):
            return f"{self._('Input error')}: {str(exc)}"
        # A state or kind the message names (is {state}) in words too; on a Chinese page the
        # field as the form labels it (English pages keep the field's name, as the CLI says it).
        values = {name: words.value_words(self._, value) if name != "field" and isinstance(value, str) else value
                  for name, value in exc.values.items()}
        for name in ("choices", "allowed"):  # "one of zh, en": each code in words too
            if isinstance(values.get(name), str):
                values[name] = words.choice_words(self._, values[name])
        if self.lang != "en" and values.get("field"):
            values["field"] = words.error_field(self._, values["field"])
        return f"{self._('Input error')}: {self._(exc.msgid).format(**values)}"

    @property
    def csrf(self):
        return self.session.csrf_token if self.session else bottle.request.get_cookie(PRE_CSRF_COOKIE, "")


# The menu's groups, in order; a page's group is the one listing its path, else the one
# with the longest prefix of it (a page not listed falls under System). "" is the
# dashboard, alone at the top.
NAV_GROUPS = {
    "": ("/",),
    N_("SMS"): ("/send", "/campaigns", "/schedules", "/surveys", "/inbox", "/history", "/templates", "/phrases",
                "/keywords", "/topics", "/optouts"),
    N_("Voice"): ("/voice", "/calls", "/ivr", "/prompts"),
    N_("Contacts"): ("/customers", "/staff", "/policies", "/products", "/groups", "/import"),
    N_("E-mail"): ("/mail",),
    N_("Tickets"): ("/tickets", "/departments"),
    N_("Reports"): ("/reports", "/tickets/figures"),
    N_("System"): (),
}


def nav_group(path):
    matches = [(len(p), title) for title, prefixes in NAV_GROUPS.items() for p in prefixes
               if path == p or (p != "/" and path.startswith(p + "/"))]
    return max(matches)[1] if matches else N_("System")


def respond(body="", status=200, headers=None):
    """An HTTPResponse that keeps the cookies and headers already set on
    bottle.response (a plain HTTPResponse would drop them)."""
    out = bottle.response.copy(cls=bottle.HTTPResponse)
    out.status = status
    out.body = body
    for name, value in (headers or {}).items():
        out.set_header(name, value)
    return out


def error_page(config, status, message_id, session=None):
    ctx = PageContext(config, session)
    body = ctx.render("error", title=ctx._(message_id), message=ctx._(message_id), status=status)
    return respond(body, status)


def csrf_ok(expected):
    sent = bottle.request.forms.get("csrf") or bottle.request.get_header("X-CSRF-Token") or ""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def same_origin():
    """A cross-site POST is refused even before the CSRF token is looked at."""
    origin = bottle.request.get_header("Origin")
    if not origin or origin == "null":
        return origin is None
    return urllib.parse.urlsplit(origin).netloc == bottle.request.get_header("Host", "")


def load_session(config):
    secret = bottle.request.get_cookie(session_cookie_name())
    return tokens.find_session(secret, config["web.session_hours"])


def wrap(route, config):
    def handle(**path):
        # A busy database (another daemon's write) is waited for and tried again;
        # only after the retries does the person see it, in their own language.
        try:
            return dbmod.retrying(attempt, **path)
        except dbmod.Busy:
            log.warning("%s %s: the database stayed busy; asked to try again", route.method, route.path)
            session = None
            try:
                session = load_session(config)
            except Exception:  # the busy page must not fail on the busy database
                pass
            return error_page(config, 503, N_("The database is busy. Please try again in a moment."), session)

    def attempt(**path):
        try:
            session = None
            if not route.public:
                session = load_session(config)
                if session is None:
                    if route.method == "GET":
                        target = urllib.parse.quote(bottle.request.fullpath, safe="/")
                        return respond(status=303, headers={"Location": f"/signin?next={target}"})
                    return error_page(config, 403, N_("Please sign in again."))
                if session.user.must_change_password and route.path not in ("/password", "/signout"):
                    return respond(status=303, headers={"Location": "/password"})
                if not users.can(session.user.role, route.permission):
                    return error_page(config, 403, N_("Your role may not open this page."), session)
            if route.method == "POST":
                expected = session.csrf_token if session else bottle.request.get_cookie(PRE_CSRF_COOKIE, "")
                if not same_origin() or not csrf_ok(expected):
                    log.warning("refused a POST to %s without a valid CSRF token from %s",
                                bottle.request.path, bottle.request.remote_addr)
                    return error_page(config, 403, N_("The form expired or did not come from this site. Please try again."), session)
            ctx = PageContext(config, session)
            return route.handler(ctx, **path)
        except bottle.HTTPResponse:
            raise
        except InputError as exc:
            # A handler that does not show the error itself: back to where the form was.
            if session and route.method == "POST":
                ctx = PageContext(config, session)
                back = bottle.request.get_header("Referer") or "/"
                if urllib.parse.urlsplit(back).netloc not in ("", bottle.request.get_header("Host", "")):
                    back = "/"
                ctx.redirect(back, "error", ctx.error_text(exc))
            return error_page(config, exc.http_status, N_("Not found.") if exc.http_status == 404
                              else N_("The request was not understood."), session)
    handle.__name__ = f"page_{route.handler.__name__}"
    return handle


def bottle_path(path):
    return path.replace("{", "<").replace("}", ">")


def load_page_modules():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}")


def install(app, config):
    load_page_modules()
    for route in sorted(PAGES, key=lambda r: ("{" in r.path, r.path)):
        app.route(bottle_path(route.path), route.method, wrap(route, config), name=f"page:{route.method}:{route.path}",
                  public=route.public)

    def static(filename):
        return bottle.static_file(filename, root=str(STATIC))
    app.route("/static/<filename:path>", "GET", static, name="static", public=True)

    def not_found(error):
        session = None
        try:
            session = load_session(config)
        except Exception:  # the 404 page must not fail on a database problem
            pass
        return error_page(config, 404, N_("Not found."), session).body
    app.error(404)(not_found)


def new_pre_csrf():
    token = secrets.token_urlsafe(24)
    set_cookie(PRE_CSRF_COOKIE, token)
    return token


def check_upload_size(size, limit, field="file"):
    """Refuse an upload over `limit` bytes, naming the field (pages that take files)."""
    if size > limit:
        raise InputError.of(N_("{field}: larger than {value} MB"), field=field, value=limit // (1024 * 1024))


def keyset_page(query, id_field, before, limit=PAGE_SIZE):
    """Rows newest first, after cursor `before` (an id): (rows, next cursor or None).
    The listings' own paging (appliance.listings), for pages that list a table directly."""
    return listings.keyset(query, id_field, before, limit)


def page_url(path, **params):
    """A URL with query parameters, empty ones left out."""
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urllib.parse.urlencode(params) if params else "")
