"""The settings page: branch admins change the whitelisted keys (Setting.editable)
of the one TOML configuration file; the rest is shown read-only.

Values shown are the file's (what the daemons read at their next start), not
this web daemon's; keys that differ from what it started with are listed with
the restarts they still need, and "apply now" asks the box to restart those
daemons (appliance/system/restarts.py: systemd's root helper on the box, the
supervisor in the demo); the page shows when each came back (static/restarts.js
polls /settings/restarts.json). The writer is appliance/config_edit.py, shared
with `appliance config set`. Secrets are never sent to the browser: their
field is empty and an empty field keeps the current value.
"""
import datetime
import html
import os
import re

from appliance import config_edit
from appliance.errors import ApplianceError, InputError
from appliance.ivr import menus
from appliance.plugins import plugins
from appliance.settings import SETTINGS
from appliance.system import restarts
from web import words
from web.pages import N_, page, respond

SECTION_TITLES = {
    "": N_("The branch"), "modems": N_("Modems and SIM cards"), "agi": N_("Telephone (Asterisk FastAGI)"),
    "web": N_("Admin page sign-in"), "notices": N_("Policy notices"), "services": N_("Campaigns and surveys"),
    "billing": N_("Tariffs (CNY per SMS part)"), "database": N_("Database"), "voice": N_("Voice calls"),
    "tickets": N_("Tickets"), "mail": N_("E-mail (SMTP relay)"), "network": N_("Network (LAN address)"),
    "smpp": N_("SMPP account (carrier's SMS centre)"), "sms": N_("SMS routing"),
}
# A run of Latin text inside a translated help: a key, a value to type or a technical term.
LATIN_RUN = re.compile(r"[A-Za-z0-9_./:'\-][\x20-\x7e]*[A-Za-z][\x20-\x7e]*|[A-Za-z]")
# Each daemon's name in words (the dashboard's health list says them too): its code is for the CLI.
RESTART_LABELS = {
    "dialer": N_("outbound calls"), "smsd": N_("SMS service"), "services": N_("business services"),
    "agi": N_("voice answering"), "web": N_("admin pages"), "prompts": N_("voice prompts (rebuild)"),
    "mailer": N_("e-mail sending"), "network": N_("network address (apply)"),
    "smpp": N_("SMPP sending"),
}
RESTART_STATES = {
    "waiting": N_("restart requested at {asked}; waiting for the box"), "restarting": N_("restarting…"),
    "back": N_("running again since {back}"), "failed": N_("did not come back ({back}): {detail}"),
    "none": N_("not restarted from this page yet"),
}
JOB_STATES = {  # the prompts' rebuild is run to its end, not restarted
    "waiting": N_("rebuild requested at {asked}; waiting for the box"), "restarting": N_("rebuilding…"),
    "back": N_("rebuilt at {back}"), "failed": N_("rebuild failed ({back}): {detail}"),
    "none": N_("not rebuilt from this page yet"),
}
NETWORK_STATES = {  # the network settings are written and networkd reloads them
    "waiting": N_("requested at {asked}; waiting for the box"), "restarting": N_("applying…"),
    "back": N_("applied at {back}"), "failed": N_("not applied ({back}): {detail}"),
    "none": N_("not applied from this page yet"),
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
    needed = config_edit.restarts_for(pending) if pending else []
    return ctx.render("settings", title=ctx._("Settings"), path=path, box_config=BOX_CONFIG,
                      file_error=file_error, error=error, editable=editable, version=version,
                      sections=sections(ctx, current, values or {}),
                      readonly=[(s.name, shown_value(s, current[s.name]), help_html(ctx, s.help))
                                for s in SETTINGS if not s.editable],
                      pending=pending, to_apply=to_apply(ctx, needed), manual=manual_steps(ctx, needed),
                      restarts=restart_rows(ctx, daemons_known()))


@page("/settings/apply", "settings", method="POST")
def settings_apply(ctx):
    """Ask the box to restart the daemons the changed keys need (audited, then the request
    written, before the page says so; the supervisor acts on it)."""
    wanted = ctx.form_list("daemon")
    known = daemons_known()
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise InputError.of(N_("{field}: not a daemon of this box: {names}"), field="daemon",
                            names=", ".join(unknown) or "-")
    # The audit row first: a restart never happens that the log does not show asked for.
    ctx.audit("settings.apply", ", ".join(wanted))
    restarts.request(ctx.config.data_dir, wanted)
    ctx.redirect("/settings#restarts", "ok", ctx._("Restart requested: {daemons}.").format(
        daemons=", ".join(ctx._(RESTART_LABELS.get(d, d)) for d in wanted)))


@page("/settings/restarts.json", "settings")
def settings_restarts(ctx):
    """Each daemon's restart state in the page's language, for static/restarts.js."""
    return {name: {"state": row["state"], "text": row["text"]} for name, row in
            ((row["name"], row) for row in restart_rows(ctx, daemons_known()))}


def daemons_known():
    """What "apply now" may ask for: the daemons, and the prompts' rebuild."""
    return sorted(plugins("appliance.daemons")) + list(restarts.JOBS)


def to_apply(ctx, needed):
    """[(daemon, label)] still to restart: those needed that have not come back since the
    file last changed (a restart done through this page, or a whole box started later)."""
    if not needed or not ctx.config.path:
        return []
    changed_at = file_changed_at(ctx.config.path)
    state = restarts.status(ctx.config.data_dir, needed)
    known = daemons_known()
    return [(d, ctx._(RESTART_LABELS.get(d, d))) for d in needed if d in known
            and not (state[d]["state"] == "back" and changed_at and state[d]["back"] >= changed_at)]


def manual_steps(ctx, needed):
    """[(label, command)] the page cannot do: those it does not know (none today)."""
    return steps(ctx, [d for d in needed if d not in daemons_known()])


def restart_rows(ctx, names):
    rows = []
    for name, state in restarts.status(ctx.config.data_dir, names).items():
        texts = NETWORK_STATES if name == "network" else JOB_STATES if name in restarts.JOBS else RESTART_STATES
        text = ctx._(texts[state["state"]]).format(
            asked=ctx.when(state["requested"], "%H:%M:%S") if state["requested"] else "",
            back=ctx.when(state["back"], "%Y-%m-%d %H:%M:%S") if state["back"] else "", detail=state["detail"])
        rows.append({"name": name, "label": ctx._(RESTART_LABELS.get(name, name)), "state": state["state"],
                     "text": text})
    return rows


def file_changed_at(path):
    """The file's last change as an instant (naive UTC, as clock.now())."""
    try:
        return datetime.datetime.fromtimestamp(os.stat(path).st_mtime, datetime.UTC).replace(tzinfo=None)
    except OSError:
        return None


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
    ctx.redirect("/settings", "ok", ctx._(
        "Saved: {changes}. They take effect once the daemons named below restart (Apply now).").format(
        changes=described))


# Keys another page edits with proper pickers (day boxes, time fields): shown here in words
# with a link there, not as raw text to type. `appliance config set` and a script's POST still set them.
OPERATOR_HOURS = ("agi.business_days", "agi.business_hours")


def operator_hours_field(ctx, current):
    days, start, end = menus.operator_hours(current)
    return {"name": ", ".join(OPERATOR_HOURS), "kind": "elsewhere", "help": html.escape(ctx._("Operator hours (key 0)")),
            "secret": False, "is_set": None, "link": "/ivr#ivr-hours", "link_text": ctx._("Change them on the IVR page"),
            "text": f"{words.days_words(ctx._, days)} {start}-{end}",
            "restart": ctx._(RESTART_LABELS["agi"])}


def sections(ctx, current, typed):
    """[(title, [field dict…])] of the editable keys, by section in table order."""
    grouped = {}
    for s in config_edit.EDITABLE:
        head = s.name.rpartition(".")[0]
        if s.name in OPERATOR_HOURS:
            if s.name == OPERATOR_HOURS[0]:
                grouped.setdefault(head, []).append(operator_hours_field(ctx, current))
            continue
        value = current[s.name]
        grouped.setdefault(head, []).append({
            "name": s.name, "kind": s.type_name, "help": help_html(ctx, s.help), "secret": s.secret,
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


def help_html(ctx, msgid):
    """A setting's help, escaped, its Latin terms (Dial(), db_url…) marked lang="en" on a
    Chinese page: they are typed or looked up as they are, not translated."""
    text = ctx._(msgid)
    if ctx.lang == "en":
        return html.escape(text)
    out, last = [], 0
    for m in LATIN_RUN.finditer(text):
        term = m.group().rstrip()
        out += [html.escape(text[last:m.start()]), f'<span lang="en">{html.escape(term)}</span>']
        last = m.start() + len(term)
    return "".join(out) + html.escape(text[last:])
