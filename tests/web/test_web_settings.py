"""The settings page against a real server reading a real TOML file: admins
change caps and tariffs (comments kept, audited, restarts named), other roles
cannot, bad values and missing CSRF tokens change nothing, the PIN never shows."""
import html
import re

import pytest
from peer_support import free_port
from web_support import Client, make_user

from appliance import db as dbmod
from appliance.config import ensure_data_dir, load_config
from appliance.models import AuditLog
from web.app import build_app
from web.server import make_server, serve_in_thread

PIN = "8642"


@pytest.fixture
def config_path(tmp_path):
    path = tmp_path / "appliance.toml"
    path.write_text(f"""\
# Written by branch IT; keep the comments.
data_dir = "{tmp_path / 'data'}"

[modems]
# caps agreed with the carrier
daily_cap = 500  # per SIM
pin = "{PIN}"

[web]
listen = "127.0.0.1:{free_port()}"
threads = 4
""")
    return path


@pytest.fixture
def file_server(config_path):
    config = load_config(str(config_path))
    ensure_data_dir(config)
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    srv = make_server(config, build_app(config))
    serve_in_thread(srv)
    host, port = srv.bind_addr[:2]
    yield f"http://{host}:{port}"
    srv.stop()
    db.close()


def signed_in(base, role):
    make_user(role, role)
    c = Client(base)
    assert c.sign_in(role).status == 303
    return c


def form_fields(page_html):
    """The settings form as a browser would submit it unchanged (inputs, selects, text areas)."""
    start = page_html.index('id="settings-form"')
    form = page_html[start:page_html.index("</form>", start)]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        fields[name] = re.search(r'<option value="([^"]*)" selected', body).group(1)
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = html.unescape(text)
    return fields


def test_admin_changes_a_cap_and_a_tariff(file_server, config_path):
    admin = signed_in(file_server, "admin")
    page = admin.page("/settings")
    assert page.status == 200
    fields = form_fields(page.text)
    assert fields["modems.daily_cap"] == "500" and fields["modems.pin"] == ""
    fields.update({"modems.daily_cap": "320", "billing.china_mobile": "0.045"})
    resp = admin.post("/settings", fields)
    assert resp.status == 303 and resp.getheader("Location") == "/settings"

    config = load_config(str(config_path))
    assert config["modems.daily_cap"] == 320 and config["billing.china_mobile"] == 0.045
    assert config["modems.pin"] == PIN  # the blank PIN field kept it
    text = config_path.read_text()
    assert "daily_cap = 320  # per SIM" in text and "# caps agreed with the carrier" in text
    assert "# Written by branch IT; keep the comments." in text

    page = admin.page("/settings").text
    assert "modems.daily_cap=320" in page and "billing.china_mobile=0.045" in page  # the flash
    # No shell needed: "apply now" names the daemons to restart (tests/web/test_web_settings_apply.py).
    assert 'name="daemon" value="smsd"' in page and 'name="daemon" value="web"' in page
    assert "systemctl" not in page
    assert 'id="settings-pending"' in page  # the web daemon still runs on the old values
    row = AuditLog.select().where(AuditLog.action == "settings.update").get()
    assert (row.actor, row.target) == ("admin", str(config_path))
    assert row.detail == "modems.daily_cap=320; billing.china_mobile=0.045"


def test_the_pin_is_never_shown_nor_audited(file_server, config_path):
    admin = signed_in(file_server, "admin")
    page = admin.page("/settings").text
    assert PIN not in page
    fields = form_fields(page)
    fields["modems.pin"] = "1357"
    assert admin.post("/settings", fields).status == 303
    assert load_config(str(config_path))["modems.pin"] == "1357"
    page = admin.page("/settings").text
    assert "1357" not in page and PIN not in page
    details = [r.detail for r in AuditLog.select()]
    assert "modems.pin=(secret changed)" in details
    assert not any("1357" in d or PIN in d for d in details)
    # A bad PIN: refused without echoing it.
    fields["modems.pin"] = "12x45"
    resp = admin.post("/settings", form_fields(page) | {"modems.pin": "12x45"})
    assert resp.status == 400 and "modems.pin" in resp.text and "12x45" not in resp.text


def test_a_bad_value_shows_the_key_and_writes_nothing(file_server, config_path):
    admin = signed_in(file_server, "admin")
    before = config_path.read_bytes()
    fields = form_fields(admin.page("/settings").text)
    fields.update({"billing.china_mobile": "0.06", "modems.monthly_cap": "lots"})
    resp = admin.post("/settings", fields)
    assert resp.status == 400
    error = re.search(r'id="settings-error"[^>]*>([^<]*)<', resp.text).group(1)
    assert "modems.monthly_cap" in error
    assert 'value="lots"' in resp.text  # what was typed stays in the form
    assert config_path.read_bytes() == before  # not even the good tariff
    assert not AuditLog.select().where(AuditLog.action == "settings.update").exists()

    fields.update({"modems.monthly_cap": "9000", "agi.business_hours": "all day"})
    resp = admin.post("/settings", fields)
    assert resp.status == 400 and "agi.business_hours" in resp.text
    assert config_path.read_bytes() == before


def test_operator_and_auditor_cannot_open_or_save(file_server, config_path):
    before = config_path.read_bytes()
    for role in ("operator", "auditor"):
        c = signed_in(file_server, role)
        assert c.get("/settings").status == 403
        c.page("/")  # a CSRF token of their own session
        assert c.post("/settings", {"modems.daily_cap": "1"}).status == 403
    assert config_path.read_bytes() == before


def test_a_post_without_the_csrf_token_is_refused(file_server, config_path):
    admin = signed_in(file_server, "admin")
    before = config_path.read_bytes()
    fields = form_fields(admin.page("/settings").text)
    fields["modems.daily_cap"] = "1"
    fields.pop("csrf")
    assert admin.post("/settings", fields, csrf=False).status == 403
    assert admin.post("/settings", {**fields, "csrf": "forged"}, csrf=False).status == 403
    assert config_path.read_bytes() == before


def test_an_edit_made_meanwhile_in_the_file_is_not_overwritten(file_server, config_path):
    admin = signed_in(file_server, "admin")
    fields = form_fields(admin.page("/settings").text)
    config_path.write_text(config_path.read_text().replace("daily_cap = 500", "daily_cap = 450"))
    resp = admin.post("/settings", fields | {"billing.other": "0.2"})
    assert resp.status == 400 and "打开本页后配置文件已被修改" in resp.text  # in the page's language
    assert load_config(str(config_path))["modems.daily_cap"] == 450


def test_without_a_config_file_the_page_explains_and_saves_nothing(admin_client):
    """The test server runs on built-in defaults (no file), like a daemon started without --config."""
    page = admin_client.page("/settings")
    assert page.status == 200
    assert 'id="no-config-file"' in page.text and "/etc/appliance/appliance.toml" in page.text
    assert "<form method=\"post\" action=\"/settings\"" not in page.text
    resp = admin_client.post("/settings", {"modems.daily_cap": "1"})
    assert resp.status == 400 and "没有配置文件：各服务正在使用内置默认值运行" in resp.text


def test_operator_hours_in_words_with_a_link_to_their_pickers(file_server, config_path):
    """agi.business_days/agi.business_hours read as days and times (周一至周五 08:30-17:30),
    edited on the IVR page's day boxes and time fields, not typed here as raw text."""
    admin = signed_in(file_server, "admin")
    admin.get("/lang/zh?next=/")
    page = admin.page("/settings").text
    shown = re.search(r'id="operator-hours">([^<]*)<', page).group(1)
    assert shown == "周一至周五 08:30-17:30"
    assert re.search(r'<a href="/ivr#ivr-hours" id="operator-hours-link">在语音菜单页面修改</a>', page)
    assert "agi.business_hours" not in form_fields(page) and "agi.business_days" not in form_fields(page)
    assert 'id="ivr-hours"' in admin.page("/ivr").text  # where the link leads
    # Saving the form unchanged leaves them as they are.
    assert admin.post("/settings", form_fields(page)).status == 303
    assert load_config(str(config_path))["agi.business_days"] == "1-5"
    admin.get("/lang/en?next=/")
    assert re.search(r'id="operator-hours">Mon to Fri 08:30-17:30<', admin.page("/settings").text)


def test_days_in_words():
    from web.i18n import gettext_for
    from web.words import days_words
    zh, en = gettext_for("zh"), gettext_for("en")
    assert days_words(zh, {1, 3, 6, 7}) == "周一、周三、周六、周日"
    assert days_words(zh, {1, 2, 3, 4, 5, 6, 7}) == "周一至周日"
    assert days_words(en, {2, 3, 4, 6}) == "Tue to Thu, Sat"


def test_a_route_over_smpp_while_smpp_is_off_is_refused_in_the_page_s_language(file_server, config_path):
    admin = signed_in(file_server, "admin")
    before = config_path.read_bytes()
    fields = form_fields(admin.page("/settings").text)
    resp = admin.post("/settings", fields | {"sms.route_marketing": "smpp"})
    assert resp.status == 400
    error = html.unescape(re.search(r'id="settings-error"[^>]*>([^<]*)<', resp.text).group(1))
    assert "sms.route_marketing：选 smpp 需先开启 smpp.enabled" in error
    assert config_path.read_bytes() == before
    resp = admin.post("/settings", fields | {"sms.route_marketing": "smpp", "smpp.enabled": "on",
                                             "smpp.system_id": "branch01"})
    assert resp.status == 303 and load_config(config_path)["sms.route_marketing"] == "smpp"
