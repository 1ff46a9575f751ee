"""IVR menu trees, kept in the database so the admin page can edit them.

Each node plays a prompt (a name from the prompt list, appliance/ivr/prompts.toml, or an
uploaded replacement). A `menu` node waits for one key among its children's
digits; any other node runs a self-service flow named by `action`. Every node
has a timeout, a number of retries on no or invalid input, and a fallback for
when the retries run out.

Keys with a fixed meaning everywhere (not assignable to children):
`*` back to the parent menu, `9` repeat, `0` operator.
"""

import datetime
import re

from appliance.db import write_transaction
from appliance.errors import N_, InputError, NotFound
from appliance.ivr.models import CHILD_KEYS, MenuNode

RESERVED_KEYS = {"*": "back", "9": "repeat", "0": "operator"}


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
    # Not announced in menu_main: staff are told the key (PIN-protected, agi/staff_flows.py).
    ("staff_line", "main", "8", "内部联系", "staff_intro", "staff_line"),
    ("ticket_status", "main", "6", "受理进度查询", "ticket_status_intro", "ticket_status"),
]


def ensure_default_menu():
    """Create the default tree when there is no root menu yet (idempotent)."""
    if MenuNode.select().where(MenuNode.parent.is_null()).exists():
        return False
    with write_transaction():
        made = {}
        for position, (name, parent, digit, title, prompt, action) in enumerate(DEFAULT_MENU):
            node = MenuNode(name=name, parent=made.get(parent), digit=digit, title=title,
                            prompt=prompt, action=action, position=position)
            node.save()
            made[name] = node
    return True


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
            raise NotFound.of(N_("menu {name} does not exist"), field="menu", name=name)
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


def taken_keys(parent_id, except_id=None):
    """{key: node} of the keys enabled entries hold under `parent_id` (but `except_id`)."""
    query = MenuNode.select().where(MenuNode.parent == parent_id, MenuNode.enabled == True)  # noqa: E712
    return {n.digit: n for n in query if n.id != except_id}


def first_free_key(parent_id):
    """The key a new entry under `parent_id` gets by default: the first one nobody holds."""
    taken = taken_keys(parent_id)
    return next((k for k in CHILD_KEYS if k not in taken), "")


# --- the operator's hours (key 0): agi.business_days and agi.business_hours ---------------

def operator_hours(config):
    """(ISO weekdays as a set, 'HH:MM' start, 'HH:MM' end) from the configuration."""
    days = set()
    for part in str(config["agi.business_days"]).split(","):
        low, _, high = part.strip().partition("-")
        if low:
            days.update(range(int(low), int(high or low) + 1))
    start, _, end = str(config["agi.business_hours"]).partition("-")
    return days, start.strip(), end.strip()


def hours_settings(days, start, end):
    """The settings for the days and times an admin chose, or InputError naming the field."""
    chosen = sorted({int(d) for d in days if str(d).isdigit() and 1 <= int(d) <= 7})
    if not chosen:
        raise InputError.of(N_("days: choose at least one day"), field="days")
    times = []
    for field, text in (("start", start), ("end", end)):
        if not re.fullmatch(r"\d\d:\d\d", text or ""):
            raise InputError.of(N_("{field}: a time like 08:30, got '{value}'"), field=field, value=text or "")
        try:
            times.append(datetime.time.fromisoformat(text))
        except ValueError:
            raise InputError.of(N_("{field}: a time like 08:30, got '{value}'"), field=field, value=text) from None
    if times[0] >= times[1]:
        raise InputError.of(N_("end: must be after the start ({start})"), field="end", start=start)
    return {"agi.business_days": ",".join(str(d) for d in chosen), "agi.business_hours": f"{start}-{end}"}
