"""Users and roles, API tokens and the audit log (the settings page is web/page_settings.py)."""

from appliance import clock, tokens, users
from appliance.errors import InputError
from appliance.models import ROLES, AuditLog
from web.pages import N_, keyset_page, page, page_url
from web.pages.confirm import ask_first

PERMISSION_LABELS = {
    "view": N_("view pages"), "send": N_("send SMS"), "inbox": N_("answer the inbox"),
    "contacts": N_("edit contacts"), "campaigns": N_("campaigns"), "import": N_("import files"),
    "ivr": N_("edit IVR menus"), "users": N_("users and roles"), "settings": N_("settings"),
    "audit": N_("audit log"), "reports": N_("reports"),
}


@page("/users", "users", nav=("Users and roles", 80))
def users_page(ctx, new_password=None, new_token=None):
    return ctx.render("users", title=ctx._("Users and roles"), rows=users.list_users(), roles=ROLES,
                      permissions=users.PERMISSIONS, permission_labels=PERMISSION_LABELS, tokens=tokens.list_tokens(), new_password=new_password,
                      new_token=new_token, now=clock.now())


@page("/users", "users", method="POST")
def user_create(ctx):
    password = users.generate_password()
    user = users.create_user(ctx.form("username"), password, ctx.form("role"), actor=ctx.user.username,
                             source=ctx.source)
    # The one-time password is shown once, on this page, never stored in clear.
    return users_page(ctx, new_password=(user.username, password))


DISABLE_QUESTION = N_("Disable the user “{user}”? They are signed out at once and can no longer sign in.")


@page("/users/{user_id:int}", "users", method="POST")
def user_update(ctx, user_id):
    user = users.get_user(user_id)
    action = ctx.form("action")
    if action == "reset":
        password = users.generate_password()
        users.reset_password(user, password, ctx.user.username, ctx.source)
        tokens.close_user_sessions(user.id)
        return users_page(ctx, new_password=(user.username, password))
    if action == "unlock":
        users.unlock_user(user, ctx.user.username, ctx.source)
        ctx.redirect("/users", "ok", ctx._("Unlocked."))
    if user.id == ctx.user.id and (ctx.form("role") != "admin" or ctx.form("disabled") == "1"):
        raise InputError.of(N_("{field}: you cannot demote or disable yourself"), field="role")
    if ctx.form("disabled") == "1" and not user.disabled:  # only disabling locks a person out: ask
        ask_first(ctx, ctx._(DISABLE_QUESTION).format(user=user.username), ctx._("Disable"), "/users")
    users.update_user(user, ctx.form("role"), ctx.form("disabled") == "1", ctx.user.username, ctx.source)
    if user.disabled:
        tokens.close_user_sessions(user.id)
    ctx.redirect("/users", "ok", ctx._("Saved."))


@page("/tokens", "users", method="POST")
def token_create(ctx):
    _, secret = tokens.create_token(ctx.form("name"), ctx.form("role") or "operator", actor=ctx.user.username,
                                    source=ctx.source)
    return users_page(ctx, new_token=(ctx.form("name"), secret))


REVOKE_QUESTION = N_("Revoke the API token “{name}”? Systems that use it are refused from this moment; this cannot be undone.")  # noqa: E501  (one literal: the catalogue's msgid)


@page("/tokens/revoke", "users", method="POST")
def token_revoke(ctx):
    ask_first(ctx, ctx._(REVOKE_QUESTION).format(name=ctx.form("name")), ctx._("Revoke"), "/users")
    tokens.revoke_token(ctx.form("name"), actor=ctx.user.username, source=ctx.source)
    ctx.redirect("/users", "ok", ctx._("Token revoked."))


@page("/audit", "audit", nav=("Audit log", 90))
def audit_page(ctx):
    actor, action = ctx.query("actor"), ctx.query("action")
    query = AuditLog.select()
    if actor:
        query = query.where(AuditLog.actor == actor)
    if action:
        query = query.where(AuditLog.action.startswith(action))
    rows, next_before = keyset_page(query, AuditLog.id, ctx.query_int("before"))
    return ctx.render("audit", title=ctx._("Audit log"), rows=rows, actor=actor, action=action,
                      next_url=page_url("/audit", actor=actor, action=action, before=next_before)
                      if next_before else None)


