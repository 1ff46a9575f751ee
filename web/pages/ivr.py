"""The IVR menu editor: the tree of menu nodes the FastAGI server plays."""

from appliance.db import write_transaction
from appliance.errors import InputError, NotFound
from appliance.ivr import menus
from appliance.ivr.models import CHILD_KEYS, MENU_ACTIONS, MENU_FALLBACKS, MenuNode
from web.pages import page, respond


def node_or_404(node_id):
    node = MenuNode.get_or_none(MenuNode.id == node_id)
    if node is None:
        raise NotFound(f"node: no menu node {node_id}", field="node")
    return node


@page("/ivr", "ivr", nav=("IVR menus", 70))
def ivr_tree(ctx):
    return ctx.render("ivr", title=ctx._("IVR menus"), tree=menus.menu_tree(), reserved=menus.RESERVED_KEYS)


@page("/ivr/default", "ivr", method="POST")
def ivr_default(ctx):
    if menus.ensure_default_menu():
        ctx.audit("ivr.default", "menu:main", "default menu created")
    ctx.redirect("/ivr")


EDITABLE = ("title", "prompt", "action", "digit", "timeout_ms", "retries", "fallback", "position", "enabled")


def node_values(node):
    return {f: getattr(node, f) for f in EDITABLE}


def apply_form(ctx, node):
    node.title = ctx.form("title")
    node.prompt = ctx.form("prompt")
    node.action = ctx.form("action")
    if node.parent_id is not None:
        node.digit = ctx.form("digit")
    node.fallback = ctx.form("fallback")
    node.enabled = ctx.form("enabled") == "1"
    for name in ("timeout_ms", "retries", "position"):
        text = ctx.form(name)
        try:
            setattr(node, name, int(text))
        except ValueError:
            raise InputError(f"{name}: '{text}' is not a whole number", field=name) from None


def render_node(ctx, node, error=None, status=200, child=None):
    parent = node_or_404(node.parent_id) if node.parent_id else None
    children = list(MenuNode.select().where(MenuNode.parent == node.id).order_by(MenuNode.digit)) \
        if node.id else []
    body = ctx.render("ivr_node", title=ctx._("Menu node {name}").format(name=node.name), node=node,
                      parent=parent, children=children, actions=MENU_ACTIONS, fallbacks=MENU_FALLBACKS,
                      child_keys=CHILD_KEYS, reserved=menus.RESERVED_KEYS, error=error, child=child or {})
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


@page("/ivr/{node_id:int}/children", "ivr", method="POST")
def ivr_child_add(ctx, node_id):
    parent = node_or_404(node_id)
    child = MenuNode(name=ctx.form("name"), parent=parent.id, digit=ctx.form("digit"), title=ctx.form("title"),
                       prompt=ctx.form("prompt"), action=ctx.form("action") or "menu")
    try:
        if MenuNode.select().where(MenuNode.name == child.name).exists():
            raise InputError(f"name: {child.name!r} is already used", field="name")
        with write_transaction():
            child.save()
            ctx.audit("ivr.create", f"menu:{child.name}", f"under {parent.name}, key {child.digit}, {child.action}")
    except InputError as exc:
        return render_node(ctx, parent, ctx.error_text(exc), 400,
                           child={k: ctx.form(k) for k in ("name", "digit", "title", "prompt", "action")})
    ctx.redirect(f"/ivr/{parent.id}", "ok", ctx._("Menu entry added."))


@page("/ivr/{node_id:int}/delete", "ivr", method="POST")
def ivr_node_delete(ctx, node_id):
    node = node_or_404(node_id)
    if node.parent_id is None:
        raise InputError("node: the root menu cannot be deleted", field="node")
    with write_transaction():
        node.delete_instance(recursive=True)
        ctx.audit("ivr.delete", f"menu:{node.name}", "with its sub-menus")
    ctx.redirect(f"/ivr/{node.parent_id}", "ok", ctx._("Menu entry deleted."))


