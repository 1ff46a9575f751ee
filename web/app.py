"""The web app: one Bottle application with the admin pages and the JSON API.

build_app(config) is what the server, the tests and the bench serve. Every
route is either explicitly public (sign-in, static files, language switch) or
needs a signed-in session (pages) or a bearer token (API).
"""
import bottle

from appliance import db as dbmod
from web import api, pages

# Bottle refuses bodies larger than this in memory; CSV uploads go to a temp file above it.
bottle.BaseRequest.MEMFILE_MAX = 1024 * 1024


def build_app(config):
    app = bottle.Bottle()
    app.config["appliance.config"] = config

    @app.hook("before_request")
    def connect():
        # cheroot's worker threads are long-lived: each keeps its own connection.
        dbmod.database.connect(reuse_if_open=True)

    @app.hook("after_request")
    def security_headers():
        headers = bottle.response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        # Everything is served by the box itself: no CDN, no inline script.
        headers.setdefault("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; media-src 'self'; frame-ancestors 'none'; form-action 'self'")
        # HSTS only when cheroot itself served TLS: the box terminates HTTPS, and an
        # X-Forwarded-Proto header is not trusted (any client can send one).
        if bottle.request.environ.get("wsgi.url_scheme") == "https":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")

    api.install(app)
    pages.install(app, config)
    return app
