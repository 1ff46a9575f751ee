"""Sign-in, sign-out, the forced password change and the language switch."""
import bottle

from appliance import tokens, users
from appliance.errors import N_, InputError
from web.i18n import LANGUAGES
from web.pages import LANG_COOKIE, new_pre_csrf, page, respond, session_cookie_name, set_cookie


def safe_next(target):
    """Only local paths: an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@page("/signin", public=True)
def signin_form(ctx):
    return ctx.render("signin", title=ctx._("Sign in"), csrf=new_pre_csrf(), next=safe_next(ctx.query("next")),
                      username="", error="")


@page("/signin", method="POST", public=True)
def signin(ctx):
    username, password = ctx.form("username"), bottle.request.forms.getunicode("password") or ""
    target = safe_next(ctx.form("next"))
    try:
        user = users.authenticate(username, password, ctx.source,
                                  attempts=ctx.config["web.lockout_attempts"],
                                  lock_minutes=ctx.config["web.lockout_minutes"])
    except users.SignInError as exc:
        error = (ctx._("Too many failed sign-ins: this account is locked for a while.")
                 if exc.reason == "locked" else ctx._("Wrong user name or password."))
        body = ctx.render("signin", title=ctx._("Sign in"), csrf=new_pre_csrf(), next=target,
                          username=username, error=error)
        return respond(body, 403)
    _, secret = tokens.open_session(user, ctx.config["web.session_hours"], ctx.source)
    set_cookie(session_cookie_name(), secret)
    bottle.response.delete_cookie("signin_csrf", path="/")
    ctx.redirect("/password" if user.must_change_password else target)


@page("/signout", method="POST", permission="view")
def signout(ctx):
    tokens.close_session(bottle.request.get_cookie(session_cookie_name()))
    ctx.audit("signout", f"user:{ctx.user.username}")
    bottle.response.delete_cookie(session_cookie_name(), path="/")
    ctx.redirect("/signin")


@page("/password", permission="view")
def password_form(ctx):
    return ctx.render("password", title=ctx._("Change password"), error="")


@page("/password", method="POST", permission="view")
def password_change(ctx):
    old = bottle.request.forms.getunicode("old_password") or ""
    new = bottle.request.forms.getunicode("new_password") or ""
    again = bottle.request.forms.getunicode("new_password2") or ""
    try:
        if new != again:
            raise InputError.of(N_("{field}: the two new passwords differ"), field="new_password2")
        users.change_password(ctx.user, old, new, ctx.source)
    except InputError as exc:
        body = ctx.render("password", title=ctx._("Change password"), error=ctx.error_text(exc))
        return respond(body, 400)
    tokens.close_user_sessions(ctx.user.id, keep_id=ctx.session.id)
    ctx.redirect("/", "ok", ctx._("Password changed."))


@page("/lang/{code}", public=True)
def switch_language(ctx, code):
    if code in LANGUAGES:
        set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600)
    ctx.redirect(safe_next(ctx.query("next")))
