"""The web part of `appliance demo`: serve on 127.0.0.1:8080 unless --web-listen
says otherwise (plain HTTP, loopback only) and make an admin with a one-time
password printed in the banner."""
from appliance import db as dbmod, users
from appliance.config import Config, ensure_data_dir
from appliance.models import AdminUser

DEMO_LISTEN = "127.0.0.1:8080"
DEMO_ADMIN = "admin"


def hook(demo):
    listen = demo.overrides.setdefault("web.listen", DEMO_LISTEN)  # appliance demo --web-listen chooses
    config = Config(dict(demo.overrides))
    ensure_data_dir(config)
    database = dbmod.open_database(config)
    try:
        dbmod.migrate(database)
        password = users.generate_password()
        user = AdminUser.get_or_none(AdminUser.username == DEMO_ADMIN)
        if user is None:
            users.create_user(DEMO_ADMIN, password, "admin", actor="demo", source="demo")
        else:  # a kept --dir: a fresh one-time password each run
            users.reset_password(user, password, actor="demo", source="demo")
    finally:
        database.close()
    demo.note(f"admin page: http://{listen}/  sign in as {DEMO_ADMIN} / {password} "
              "(one-time password: you choose a new one at the first sign-in)")
