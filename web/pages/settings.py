"""The settings page: branch admins change the whitelisted keys (Setting.editable)
of the one TOML configuration file; the rest is shown read-only.

Values shown are the file's (what the daemons read at their next start), not
this web daemon's; keys that differ from what it started with are listed with
the restarts they still need. The writer is appliance/config_edit.py, shared
with `appliance config set`. Secrets are never sent to the browser: their
field is empty and an empty field keeps the current value.
"""
from appliance import config_edit
from appliance.errors import ApplianceError, InputError
from appliance.settings import SETTINGS
from web.pages import N_, page, respond

SECTION_TITLES = {
    "": N_("The branch"), "modems": N_("Modems and SIM cards"), "agi": N_("Telephone (Asterisk FastAGI)"),
    "web": N_("Admin page sign-in"), "notices": N_("Policy notices"), "services": N_("Campaigns and surveys"),
    "billing": N_("Tariffs (CNY per SMS part)"), "database": N_("Database"),
}
RESTART_LABELS = {
    "smsd": N_("SMS daemon"), "services": N_("services daemon"), "agi": N_("telephone (FastAGI) daemon"),
    "web": N_("admin page (web daemon)"), "prompts": N_("voice prompts (rebuild)"),
}
# Hint on the box: the units read this file (systemd/appliance-*.service).
BOX_CONFIG = "/etc/appliance/appliance.toml"


@page("/settings", "settings", nav=("Settings", 85))
def settings_page(ctx, values=None, error=None):
    path = ctx.config.path
    current, version, file_error = ctx.config, "", None
    if path:
        try:
            current, version = config_edit.read_values(path), config_edit.file_version(path)
        except ApplianceError as exc:  # broken by hand: show what runs, offer no form
            file_error = str(exc)
    editable = bool(path) and not file_error
    pending = [s.name for s in SETTINGS if current[s.name] != ctx.config[s.name]]
    return ctx.render("settings", title=ctx._("Settings"), path=path, box_config=BOX_CONFIG,
                      file_error=file_error, error=error, editable=editable, version=version,
                      sections=sections(ctx, current, values or {}),
                      readonly=[(s.name, shown_value(s, current[s.name]), ctx._(s.help))
                                for s in SETTINGS if not s.editable],
                      pending=pending, steps=steps(ctx, config_edit.restarts_for(pending)) if pending else [])


@page("/settings", "settings", method="POST")
def settings_save(ctx):
    submitted = {}
    try:
        changes = {}
        for s in config_edit.EDITABLE:
            if s.secret:
                if ctx.form(s.name + ".clear") == "1":
                    changes[s.name] = ""
                elif ctx.form(s.name):  # empty: unchanged
                    changes[s.name] = config_edit.parse_text(s.name, ctx.form(s.name))
                continue
            text = ctx.request.forms.getunicode(s.name)
            if text is None:  # not on the form (a checkbox-less client): unchanged
                continue
            submitted[s.name] = text
            changes[s.name] = config_edit.parse_text(s.name, text)
        changed = config_edit.set_values(ctx.config.path, changes, expected_version=ctx.form("version"))
    except InputError as exc:
        # The page again with what was typed (never a secret) and the one-line error; nothing written.
        return respond(settings_page(ctx, values=submitted, error=ctx.error_text(exc)), 400)
    if not changed:
        ctx.redirect("/settings", "ok", ctx._("Nothing changed."))
    described = config_edit.describe(changes, changed)
    ctx.audit("settings.update", ctx.config.path, described)
    to_do = "; ".join(f"{label}: {command}" for label, command in steps(ctx, config_edit.restarts_for(changed)))
    ctx.redirect("/settings", "ok", ctx._("Saved: {changes}. To take effect: {steps}.").format(
        changes=described, steps=to_do))


def sections(ctx, current, typed):
    """[(title, [field dict…])] of the editable keys, by section in table order."""
    grouped = {}
    for s in config_edit.EDITABLE:
        head = s.name.rpartition(".")[0]
        value = current[s.name]
        grouped.setdefault(head, []).append({
            "name": s.name, "kind": s.type_name, "help": ctx._(s.help), "secret": s.secret,
            "is_set": bool(value) if s.secret else None,
            "text": "" if s.secret else typed.get(s.name, field_text(value)),
            "restart": ", ".join(ctx._(RESTART_LABELS.get(d, d)) for d in s.restart),
        })
    return [(ctx._(SECTION_TITLES.get(head, head)), fields) for head, fields in grouped.items()]


def field_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(value)
    return str(value)


def shown_value(setting, value):
    if setting.secret and value:
        return "********"
    return ", ".join(value) if isinstance(value, list) else value


def steps(ctx, restart):
    """[(label, command)] for the restarts the page asks of a person (web cannot run systemctl)."""
    return list(zip((ctx._(RESTART_LABELS.get(d, d)) for d in restart), config_edit.restart_steps(restart)))
