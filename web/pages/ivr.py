"""The IVR menu editor: the tree of menu nodes the FastAGI server plays.

Keys are offered from the free ones (a taken key shows who holds it and cannot be
chosen); prompts are chosen from the prompt list with a play button (web/static/ivr.js);
the operator's hours (key 0) are edited with day boxes and time fields and written to
the configuration file like the settings page does.
"""

from appliance import config_edit
from appliance.db import write_transaction
from appliance.errors import InputError, NotFound
from appliance.ivr import menus, prompt_files
from appliance.ivr.models import AFTER_PLAY, CHILD_KEYS, MENU_ACTIONS, MENU_FALLBACKS, MenuNode
from web.pages import N_, page, respond
from web.pages.confirm import ask_first

ACTION_WORDS = {
    "menu": N_("sub-menu"), "policy": N_("policy service"), "agent_check": N_("agent identity check"),
    "claim": N_("claim status"), "message": N_("leave a message or complaint"), "callback": N_("book a callback"),
    "phone_application": N_("apply by phone"), "operator": N_("transfer to the operator"),
    "ticket_status": N_("ticket progress query"), "staff_line": N_("staff line"),
    "announce": N_("play an announcement"), "transfer": N_("transfer to a number"),
}
FALLBACK_WORDS = {"goodbye": N_("say goodbye and hang up"), "operator": N_("transfer to the operator"),
                  "back": N_("back to the menu above")}
AFTER_PLAY_WORDS = {"menu": N_("back to the menu"), "hangup": N_("say goodbye and hang up")}
WEEKDAYS = ((1, N_("Monday")), (2, N_("Tuesday")), (3, N_("Wednesday")), (4, N_("Thursday")),
            (5, N_("Friday")), (6, N_("Saturday")), (7, N_("Sunday")))


def prompt_choices(ctx):
    """[(name, what callers hear)] of every prompt a menu entry can play, in the page's language."""
    language = ctx.lang if ctx.lang in prompt_files.LANGUAGES else "zh"
    return [(name, prompt_files.fill(entry.get(language) or entry.get("zh", ""), ctx.config))
            for name, entry in prompt_files.catalogue().items() if not entry.get("dynamic")]


def words(ctx):
    """What the templates need to show codes in words: a prompt as what callers hear."""
    heard = dict(prompt_choices(ctx))
    return {"action_word": lambda a: ctx._(ACTION_WORDS.get(a, a)),
            "fallback_word": lambda f: ctx._(FALLBACK_WORDS.get(f, f)),
            "prompt_text": lambda name: short(heard.get(name, name))}


def short(text, limit=36):
    return text if len(text) <= limit else text[:limit - 1] + "…"


def node_or_404(node_id):
    node = MenuNode.get_or_none(MenuNode.id == node_id)
    if node is None:
        raise NotFound.of(N_("{field}: no menu node {node_id}"), field="node", node_id=node_id)
    return node


@page("/ivr", "ivr", nav=("IVR menus", 70))
def ivr_tree(ctx):
    return render_tree(ctx)


def render_tree(ctx, error=None, status=200, hours=None):
    days, start, end = hours or menus.operator_hours(ctx.config)
    body = ctx.render("ivr", title=ctx._("IVR menus"), tree=menus.menu_tree(), reserved=menus.RESERVED_KEYS,
                      weekdays=WEEKDAYS, days=days, start=start, end=end, error=error, **words(ctx))
    return respond(body, status)


@page("/ivr/hours", "ivr", method="POST")
def ivr_hours(ctx):
    """The operator's days and hours, written to the configuration file (the agi daemon reads them)."""
    chosen = ctx.form_list("day")
    start, end = ctx.form("start"), ctx.form("end")
    try:
        changes = menus.hours_settings(chosen, start, end)
        changed = config_edit.set_values(ctx.config.path, changes)
    except InputError as exc:
        typed = ({int(d) for d in chosen if d.isdigit()}, start, end)
        return render_tree(ctx, ctx.error_text(exc), 400, hours=typed)
    if not changed:
        ctx.redirect("/ivr", "ok", ctx._("Nothing changed."))
    described = config_edit.describe(changes, changed)
    ctx.audit("settings.update", ctx.config.path, described)
    # The settings page applies changed settings (restarts the telephone daemon): go there.
    saved = ctx._("Operator hours saved: {changes}. Apply the settings on this page for calls to use them.")
    ctx.redirect("/settings", "ok", saved.format(changes=described))


@page("/ivr/default", "ivr", method="POST")
def ivr_default(ctx):
    if menus.ensure_default_menu():
        ctx.audit("ivr.default", "menu:main", "default menu created")
    ctx.redirect("/ivr")


EDITABLE = ("title", "prompt", "action", "digit", "timeout_ms", "retries", "fallback", "position", "enabled",
            "transfer_number", "after_play")


def node_values(node):
    return {f: getattr(node, f) for f in EDITABLE}


def apply_form(ctx, node):
    node.title = ctx.form("title")
    node.prompt = ctx.form("prompt")
    node.action = ctx.form("action")
    if node.parent_id is not None:
        node.digit = ctx.form("digit")
    node.fallback = ctx.form("fallback")
    node.transfer_number = ctx.form("transfer_number").strip()
    node.after_play = ctx.form("after_play") or "menu"
    node.enabled = ctx.form("enabled") == "1"
    for name in ("timeout_ms", "retries", "position"):
        text = ctx.form(name)
        try:
            setattr(node, name, int(text))
        except ValueError:
            raise InputError.of(N_("{field}: '{text}' is not a whole number"), field=name, text=text) from None


def render_node(ctx, node, error=None, status=200, child=None):
    parent = node_or_404(node.parent_id) if node.parent_id else None
    children = list(MenuNode.select().where(MenuNode.parent == node.id).order_by(MenuNode.digit)) \
        if node.id else []
    child = child or {"digit": menus.first_free_key(node.id)}
    body = ctx.render("ivr_node", title=ctx._("Menu node {name}").format(name=node.title or node.name), node=node,
                      parent=parent, children=children, actions=MENU_ACTIONS, fallbacks=MENU_FALLBACKS,
                      child_keys=CHILD_KEYS, reserved=menus.RESERVED_KEYS, error=error, child=child,
                      prompts=prompt_choices(ctx), after_play=AFTER_PLAY, after_play_words=AFTER_PLAY_WORDS,
                      taken=menus.taken_keys(node.parent_id, node.id) if parent else {},
                      child_taken=menus.taken_keys(node.id), **words(ctx))
    return respond(body, status)


@page("/ivr/{node_id:int}", "ivr")
def ivr_node(ctx, node_id):
    return render_node(ctx, node_or_404(node_id))


@page("/ivr/{node_id:int}", "ivr", method="POST")
def ivr_node_save(ctx, node_id):
    node = node_or_404(node_id)
    before = node_values(node)
    try:
        apply_form(ctx, node)
        with write_transaction():
            node.save()
            after = node_values(node)
            changes = ", ".join(f"{k} {before[k]!r} -> {after[k]!r}" for k in EDITABLE if before[k] != after[k])
            ctx.audit("ivr.update", f"menu:{node.name}", changes or "no change")
    except InputError as exc:
        return render_node(ctx, node, ctx.error_text(exc), 400)
    ctx.redirect(f"/ivr/{node.id}", "ok", ctx._("Saved. Calls from now on use the new menu."))


CHILD_FIELDS = ("name", "digit", "title", "prompt", "action", "transfer_number", "after_play")


@page("/ivr/{node_id:int}/children", "ivr", method="POST")
def ivr_child_add(ctx, node_id):
    parent = node_or_404(node_id)
    child = MenuNode(name=ctx.form("name"), parent=parent.id, digit=ctx.form("digit"), title=ctx.form("title"),
                     prompt=ctx.form("prompt"), action=ctx.form("action") or "menu",
                     transfer_number=ctx.form("transfer_number").strip(), after_play=ctx.form("after_play") or "menu")
    try:
        if MenuNode.select().where(MenuNode.name == child.name).exists():
            raise InputError.of(N_("{field}: {name!r} is already used"), field="name", name=child.name)
        with write_transaction():
            child.save()
            ctx.audit("ivr.create", f"menu:{child.name}", f"under {parent.name}, key {child.digit}, {child.action}"
                      + (f" {child.transfer_number}" if child.action == "transfer" else ""))
    except InputError as exc:
        return render_node(ctx, parent, ctx.error_text(exc), 400,
                           child={k: ctx.form(k) for k in CHILD_FIELDS})
    ctx.redirect(f"/ivr/{parent.id}", "ok", ctx._("Menu entry added."))


DELETE_QUESTION = N_("Delete the menu entry “{title}” (key {digit}) and its {n} sub-entries? Callers no longer hear it from this moment.")  # noqa: E501  (one literal: the catalogue's msgid)


@page("/ivr/{node_id:int}/delete", "ivr", method="POST")
def ivr_node_delete(ctx, node_id):
    node = node_or_404(node_id)
    if node.parent_id is None:
        raise InputError.of(N_("{field}: the root menu cannot be deleted"), field="node")
    below = MenuNode.select().where(MenuNode.parent == node.id).count()
    ask_first(ctx, ctx._(DELETE_QUESTION).format(title=node.title, digit=node.digit, n=below),
              ctx._("Delete"), f"/ivr/{node.id}")
    with write_transaction():
        node.delete_instance(recursive=True)
        ctx.audit("ivr.delete", f"menu:{node.name}", "with its sub-menus")
    ctx.redirect(f"/ivr/{node.parent_id}", "ok", ctx._("Menu entry deleted."))


