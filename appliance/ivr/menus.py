"""IVR menu trees, kept in the database so the admin page can edit them.

Each node plays a prompt (a name from the prompt list, appliance/prompts.toml, or an
uploaded replacement). A `menu` node waits for one key among its children's
digits; any other node runs a self-service flow named by `action`. Every node
has a timeout, a number of retries on no or invalid input, and a fallback for
when the retries run out.

Keys with a fixed meaning everywhere (not assignable to children):
`*` back to the parent menu, `9` repeat, `0` operator.
"""
from peewee import BooleanField, CharField, ForeignKeyField, IntegerField

from appliance.db import BaseModel, database
from appliance.errors import InputError, NotFound
from appliance.models import one_of

ACTIONS = ("menu", "policy", "agent_check", "claim", "message", "callback", "phone_application", "operator")
FALLBACKS = ("goodbye", "operator", "back")
RESERVED_KEYS = {"*": "back", "9": "repeat", "0": "operator"}
CHILD_KEYS = "12345678#"


class MenuNode(BaseModel):
    name = CharField(unique=True)  # a slug: main, policy, service_request…
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    digit = CharField(max_length=1, default="")  # the key that reaches it from its parent
    title = CharField(default="")                # for admins: 保单服务
    prompt = CharField()                         # prompt name
    action = CharField(default="menu", constraints=[one_of("action", ACTIONS)])
    timeout_ms = IntegerField(default=5000)
    retries = IntegerField(default=3)
    fallback = CharField(default="goodbye", constraints=[one_of("fallback", FALLBACKS)])
    position = IntegerField(default=0)
    enabled = BooleanField(default=True)

    class Meta:
        indexes = ((("parent", "digit"), False),)

    def clean(self):
        """Check the fields an admin can edit; InputError names the field."""
        if not (self.name or "").strip() or not self.name.replace("_", "").isalnum():
            raise InputError("name: letters, digits and _ only", field="name")
        if not (self.prompt or "").strip():
            raise InputError("prompt: empty", field="prompt")
        if self.action not in ACTIONS:
            raise InputError(f"action: must be one of {', '.join(ACTIONS)}", field="action")
        if self.fallback not in FALLBACKS:
            raise InputError(f"fallback: must be one of {', '.join(FALLBACKS)}", field="fallback")
        if self.parent_id is not None and (len(self.digit or "") != 1 or self.digit not in CHILD_KEYS):
            raise InputError(f"digit: one of {' '.join(CHILD_KEYS)} (* 9 0 are reserved)", field="digit")
        if not 500 <= int(self.timeout_ms) <= 60000:
            raise InputError("timeout_ms: between 500 and 60000", field="timeout_ms")
        if not 0 <= int(self.retries) <= 9:
            raise InputError("retries: between 0 and 9", field="retries")
        if self.parent_id is not None:
            clash = (MenuNode.select().where(MenuNode.parent == self.parent_id, MenuNode.digit == self.digit,
                                             MenuNode.enabled == True))  # noqa: E712
            if self.id:
                clash = clash.where(MenuNode.id != self.id)
            if self.enabled and clash.exists():
                raise InputError(f"digit: {self.digit} is already used in this menu", field="digit")

    def save(self, *args, **kwargs):
        self.clean()
        return super().save(*args, **kwargs)

    def active_children(self):
        return list(MenuNode.select().where(MenuNode.parent == self.id, MenuNode.enabled == True)  # noqa: E712
                    .order_by(MenuNode.position, MenuNode.digit))

    def allowed_keys(self, children=None):
        """Keys this node accepts: its children's digits plus the reserved ones."""
        children = self.active_children() if children is None else children
        keys = "".join(c.digit for c in children) + "90"
        return keys + ("*" if self.parent_id else "")

    def to_dict(self):
        return {"id": self.id, "name": self.name, "parent_id": self.parent_id, "digit": self.digit,
                "title": self.title, "prompt": self.prompt, "action": self.action,
                "timeout_ms": self.timeout_ms, "retries": self.retries, "fallback": self.fallback,
                "position": self.position, "enabled": self.enabled}


MENU_MODELS = [MenuNode]

# The default tree: (name, parent, digit, title, prompt, action)
DEFAULT_MENU = [
    ("main", None, "", "主菜单", "menu_main", "menu"),
    ("policy", "main", "1", "保单服务", "policy_intro", "policy"),
    ("agent_check", "main", "2", "业务员身份鉴别", "agent_intro", "agent_check"),
    ("claim", "main", "3", "理赔查询", "claim_intro", "claim"),
    ("message", "main", "4", "留言或投诉", "message_intro", "message"),
    ("service_request", "main", "5", "回电或电话投保", "menu_service_request", "menu"),
    ("callback", "service_request", "1", "预约回电", "callback_intro", "callback"),
    ("phone_application", "service_request", "2", "电话投保", "phone_application_intro", "phone_application"),
]


def ensure_default_menu():
    """Create the default tree when there is no root menu yet (idempotent)."""
    if MenuNode.select().where(MenuNode.parent.is_null()).exists():
        return False
    with database.atomic():
        made = {}
        for position, (name, parent, digit, title, prompt, action) in enumerate(DEFAULT_MENU):
            node = MenuNode(name=name, parent=made.get(parent), digit=digit, title=title,
                            prompt=prompt, action=action, position=position)
            node.save()
            made[name] = node
    return True


def root_menu(name="main"):
    """The root node a call starts in."""
    node = (MenuNode.select().where(MenuNode.name == name, MenuNode.enabled == True)  # noqa: E712
            .first())
    if node is None:
        raise NotFound(f"menu {name} does not exist", field="menu")
    return node


class MenuSnapshot:
    """Every enabled node, read in one query: what a call walks. Calls share
    a snapshot for a few seconds instead of querying at every step."""

    def __init__(self):
        nodes = list(MenuNode.select().where(MenuNode.enabled == True)  # noqa: E712
                     .order_by(MenuNode.position, MenuNode.digit))
        self.by_name = {n.name: n for n in nodes}
        self._children = {}
        for node in nodes:
            self._children.setdefault(node.parent_id, []).append(node)

    def root(self, name="main"):
        node = self.by_name.get(name)
        if node is None:
            raise NotFound(f"menu {name} does not exist", field="menu")
        return node

    def children(self, node):
        return self._children.get(node.id, [])


def menu_tree():
    """Every node as dicts, children nested, for the admin page and `--json`."""
    nodes = list(MenuNode.select().order_by(MenuNode.position, MenuNode.id))
    by_parent = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)

    def build(node):
        data = node.to_dict()
        data["children"] = [build(c) for c in by_parent.get(node.id, [])]
        return data
    return [build(n) for n in by_parent.get(None, [])]
