"""Admin users of the web page: password hashing, sign-in with lockout, roles.

Passwords are hashed with scrypt (memory-hard, in the standard library), each
with its own salt; the stored string names its parameters so they can be raised
later without breaking old hashes. A user created by someone else (the CLI, an
admin, the demo) must choose a new password at the first sign-in.
"""
import base64
import datetime
import hashlib
import hmac
import secrets

from appliance import clock
from appliance.db import write_transaction
from appliance.errors import N_, ApplianceError, InputError, NotFound
from appliance.models import ROLES, AdminUser, audit

# n=2**14, r=8: 16 MiB and ~50 ms per hash on the box; slow for a guesser, fine for a sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
MIN_PASSWORD_LENGTH = 10
DEFAULT_LOCKOUT_ATTEMPTS = 5
DEFAULT_LOCKOUT_MINUTES = 15

# What each role may do. Pages and API routes name the permission they need.
PERMISSIONS = {
    "admin": {"view", "send", "inbox", "contacts", "campaigns", "import", "ivr", "users",
              "settings", "audit", "reports"},
    "operator": {"view", "send", "inbox", "contacts", "campaigns", "import"},
    "auditor": {"view", "audit", "reports"},
}
# Which personal data a role sees unmasked: operators answer SMS, so they see
# mobiles; only admins see ID numbers; auditors see neither.
SEES = {
    "admin": {"mobile", "id_number"},
    "operator": {"mobile"},
    "auditor": set(),
}


class SignInError(ApplianceError):
    """Sign-in refused. `reason` is 'invalid' or 'locked'; the message never says
    whether the user name exists."""

    http_status = 403

    def __init__(self, reason, locked_until=None):
        super().__init__("account locked" if reason == "locked" else "wrong user name or password")
        self.reason = reason
        self.locked_until = locked_until


def can(role, permission):
    return permission in PERMISSIONS.get(role, ())


def sees(role, kind):
    """Whether `role` sees personal data of `kind` ('mobile', 'id_number') unmasked."""
    return kind in SEES.get(role, ())


# --- password hashing ---------------------------------------------------------------

def _b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password, salt=None):
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                         maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password, stored):
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(key)
        got = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=64 * 1024 * 1024, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A hash to check against when the user name is unknown, so timing does not tell.
_DUMMY_HASH = None


def _dummy_hash():
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(12))
    return _DUMMY_HASH


def check_password_rules(password, username=""):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InputError.of(N_("{field}: at least {n} characters"), field="password", n=MIN_PASSWORD_LENGTH)
    if username and password.lower() == username.lower():
        raise InputError.of(N_("{field}: must differ from the user name"), field="password")


def generate_password():
    """A one-time password people can type: 12 characters without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


# --- users ------------------------------------------------------------------------

def check_username(username):
    username = (username or "").strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InputError.of(N_("{field}: 1 to 64 characters without spaces"), field="username")
    return username


def create_user(username, password, role, actor="cli", source="cli"):
    """Create a user who must choose a new password at the first sign-in."""
    username = check_username(username)
    if role not in ROLES:
        raise InputError.of(N_("{field}: must be one of {choices}, got {got}"), field="role", choices=", ".join(ROLES),
                            got=repr(role))
    check_password_rules(password, username)
    if AdminUser.select().where(AdminUser.username == username).exists():
        raise InputError.of(N_("{field}: {name} exists"), field="username", name=repr(username))
    with write_transaction():
        user = AdminUser.create(username=username, password_hash=hash_password(password), role=role,
                                must_change_password=True)
        audit(actor, "user.create", f"user:{username}", f"role={role}", source)
    return user


def get_user(user_id):
    user = AdminUser.get_or_none(AdminUser.id == user_id)
    if user is None:
        raise NotFound.of(N_("{field}: no user {user_id}"), field="user", user_id=user_id)
    return user


def authenticate(username, password, source="", attempts=DEFAULT_LOCKOUT_ATTEMPTS,
                 lock_minutes=DEFAULT_LOCKOUT_MINUTES, now=None):
    """The user for a correct name and password, else SignInError.

    After `attempts` failures in a row the account is locked for `lock_minutes`;
    while locked even the right password is refused. Every outcome is audited.
    """
    now = now or clock.now()
    user = AdminUser.get_or_none(AdminUser.username == (username or "").strip())
    if user is None or user.disabled:
        verify_password(password or "", _dummy_hash())
        audit(username or "?", "signin.fail", f"user:{username}", "unknown or disabled", source)
        raise SignInError("invalid")
    if user.locked_until and user.locked_until > now:
        audit(user.username, "signin.locked", f"user:{user.username}", "", source)
        raise SignInError("locked", user.locked_until)
    if not verify_password(password or "", user.password_hash):
        with write_transaction():
            failures = user.failed_logins + 1
            locked_until = now + datetime.timedelta(minutes=lock_minutes) if failures >= attempts else None
            AdminUser.update(failed_logins=0 if locked_until else failures, locked_until=locked_until).where(
                AdminUser.id == user.id).execute()
            audit(user.username, "signin.fail", f"user:{user.username}",
                  f"failure {failures}" + (", locked" if locked_until else ""), source)
        if locked_until:
            raise SignInError("locked", locked_until)
        raise SignInError("invalid")
    with write_transaction():
        AdminUser.update(failed_logins=0, locked_until=None, last_login=now).where(
            AdminUser.id == user.id).execute()
        audit(user.username, "signin", f"user:{user.username}", "", source)
    user.failed_logins, user.locked_until, user.last_login = 0, None, now
    return user


def change_password(user, old_password, new_password, source=""):
    """The user's own change (also the forced one at first sign-in)."""
    if not verify_password(old_password or "", user.password_hash):
        raise InputError.of(N_("{field}: wrong password"), field="old_password")
    check_password_rules(new_password, user.username)
    if new_password == old_password:
        raise InputError.of(N_("{field}: the new password must differ from the old one"), field="password")
    with write_transaction():
        AdminUser.update(password_hash=hash_password(new_password), must_change_password=False).where(
            AdminUser.id == user.id).execute()
        audit(user.username, "user.password", f"user:{user.username}", "", source)
    user.must_change_password = False


def reset_password(user, new_password, actor, source=""):
    """An admin sets a one-time password; the user must change it at sign-in."""
    check_password_rules(new_password, user.username)
    with write_transaction():
        AdminUser.update(password_hash=hash_password(new_password), must_change_password=True,
                         failed_logins=0, locked_until=None).where(AdminUser.id == user.id).execute()
        audit(actor, "user.reset_password", f"user:{user.username}", "", source)


def update_user(user, role, disabled, actor, source=""):
    if role not in ROLES:
        raise InputError.of(N_("{field}: must be one of {choices}, got {got}"), field="role", choices=", ".join(ROLES),
                            got=repr(role))
    if user.role == "admin" and (role != "admin" or disabled) and _other_active_admins(user) == 0:
        raise InputError.of(N_("{field}: the last active admin cannot lose the admin role"), field="role")
    changes = []
    if role != user.role:
        changes.append(f"role {user.role}->{role}")
    if bool(disabled) != bool(user.disabled):
        changes.append("disabled" if disabled else "enabled")
    if not changes:
        return
    with write_transaction():
        AdminUser.update(role=role, disabled=bool(disabled)).where(AdminUser.id == user.id).execute()
        audit(actor, "user.update", f"user:{user.username}", ", ".join(changes), source)
    user.role, user.disabled = role, bool(disabled)


def unlock_user(user, actor, source=""):
    with write_transaction():
        AdminUser.update(failed_logins=0, locked_until=None).where(AdminUser.id == user.id).execute()
        audit(actor, "user.unlock", f"user:{user.username}", "", source)


def _other_active_admins(user):
    return (AdminUser.select().where((AdminUser.role == "admin") & (AdminUser.disabled == False)  # noqa: E712
                                     & (AdminUser.id != user.id)).count())


def list_users():
    return list(AdminUser.select().order_by(AdminUser.username))
