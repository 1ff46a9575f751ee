"""The relay's settings on the settings page: grouped under their own heading in the page's
language, the password never shown nor audited, the mailer named for the restart."""
import html

from test_web_settings import config_path, file_server, form_fields, signed_in  # noqa: F401  (fixtures)

from appliance.config import load_config
from appliance.models import AuditLog


def test_the_relay_settings(file_server, config_path):  # noqa: F811
    admin = signed_in(file_server, "admin")
    page = html.unescape(admin.page("/settings").text)
    assert "邮件（SMTP 中继）" in page and "任意一小时内交给中继的邮件上限（0：不限）。" in page
    fields = form_fields(admin.page("/settings").text)
    fields.update({"mail.host": "smtp.branch.example.com", "mail.password": "relay-口令",
                   "mail.per_hour_cap": "50"})
    assert admin.post("/settings", fields).status == 303
    config = load_config(str(config_path))
    assert (config["mail.host"], config["mail.password"], config["mail.per_hour_cap"]) == (
        "smtp.branch.example.com", "relay-口令", 50)
    page = admin.page("/settings").text
    assert "relay-口令" not in html.unescape(page)
    assert 'name="daemon" value="mailer"' in page and "邮件发送" in page
    details = " ".join(r.detail for r in AuditLog.select())
    assert "mail.password=(secret changed)" in details and "relay-口令" not in details
