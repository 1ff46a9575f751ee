"""Secrets that grant access: API bearer tokens and browser sessions.

Both are random strings handed out once; only their SHA-256 is stored, so a
copy of the database does not let anyone in. (A fast hash is right here: the
secrets are 256-bit random, not guessable passwords; scrypt is for passwords.)
"""
import datetime
import hashlib
import secrets

from appliance import clock
from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.models import ROLES, AdminUser, ApiToken, WebSession, audit

TOKEN_PREFIX = "apt_"


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


# --- API tokens ------------------------------------------------------------------

def create_token(name, role="operator", actor="cli", source="cli"):
    """Create a token; returns (ApiToken, secret). The secret is shown once, never stored."""
    name = (name or "").strip()
    if not name:
        raise InputError.of(N_("{field}: empty"), field="name")
    if role not in ROLES:
        raise InputError.of(N_("{field}: must be one of {choices}, got {role!r}"),
                            field="role", choices=', '.join(ROLES), role=role)
    if ApiToken.select().where(ApiToken.name == name).exists():
        raise InputError.of(N_("{field}: a token named {name!r} exists"), field="name", name=name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        token = ApiToken.create(name=name, token_hash=digest(secret), role=role, created_by=actor)
        audit(actor, "token.create", f"token:{name}", f"role={role}", source)
    return token, secret


def check_token(secret, now=None):
    """The live ApiToken for a bearer secret, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.get_or_none((ApiToken.token_hash == digest(secret)) & (ApiToken.revoked == False))  # noqa: E712
    if token is None:
        return None
    now = now or clock.now()
    # Written at most once a minute: a busy API client should not turn reads into writes.
    if token.last_used is None or now - token.last_used > datetime.timedelta(minutes=1):
        ApiToken.update(last_used=now).where(ApiToken.id == token.id).execute()
        token.last_used = now
    return token


def revoke_token(name, actor="cli", source="cli"):
    token = ApiToken.get_or_none(ApiToken.name == name)
    if token is None:
        raise NotFound.of(N_("{field}: no token named {name!r}"), field="name", name=name)
    with write_transaction():
        ApiToken.update(revoked=True).where(ApiToken.id == token.id).execute()
        audit(actor, "token.revoke", f"token:{name}", "", source)


def list_tokens():
    return [{"name": t.name, "role": t.role, "created_at": t.created_at, "created_by": t.created_by,
             "last_used": t.last_used, "revoked": t.revoked}
            for t in ApiToken.select().order_by(ApiToken.name)]


# --- browser sessions -----------------------------------------------------------------

def open_session(user, hours, source="", now=None):
    """Start a session for a signed-in user; returns (WebSession, cookie secret)."""
    now = now or clock.now()
    secret = secrets.token_urlsafe(32)
    session = WebSession.create(session_hash=digest(secret), user=user, csrf_token=secrets.token_urlsafe(24),
                                created_at=now, last_seen=now,
                                expires_at=now + datetime.timedelta(hours=hours), source=source)
    return session, secret


def find_session(secret, hours, now=None):
    """The live session for a cookie secret (sliding expiry), or None."""
    if not secret:
        return None
    now = now or clock.now()
    session = (WebSession.select(WebSession, AdminUser).join(AdminUser)
               .where((WebSession.session_hash == digest(secret)) & (WebSession.expires_at > now)
                      & (AdminUser.disabled == False))  # noqa: E712
               .first())
    if session is None:
        return None
    # Slide the expiry, but write at most once a minute so page views stay reads.
    if now - session.last_seen > datetime.timedelta(minutes=1):
        session.last_seen = now
        session.expires_at = now + datetime.timedelta(hours=hours)
        WebSession.update(last_seen=now, expires_at=session.expires_at).where(
            WebSession.id == session.id).execute()
    return session


def close_session(secret):
    if secret:
        WebSession.delete().where(WebSession.session_hash == digest(secret)).execute()


def close_user_sessions(user_id, keep_id=None):
    """End a user's other sessions (after a password change or when disabled)."""
    query = WebSession.delete().where(WebSession.user == user_id)
    if keep_id is not None:
        query = query.where(WebSession.id != keep_id)
    query.execute()


def purge_expired_sessions(now=None):
    return WebSession.delete().where(WebSession.expires_at <= (now or clock.now())).execute()
