"""The IVR's tables: call records, tickets, identity-check state and the menu tree.

Enumerations are CHECK constraints in the schema, as in appliance/models.py.
"""
import json
import re

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from appliance import clock
from appliance.db import BaseModel
from appliance.errors import N_, InputError
from appliance.ivr import prompt_files
from appliance.models import Customer, Policy, Staff, one_of
from appliance.privacy import mask_digits, mask_mobile

CALL_OUTCOMES = ("in_progress", "completed", "caller_hung_up", "transferred", "error", "interrupted")

OUTCOME_WORDS = {
    "in_progress": "in progress", "completed": "completed", "caller_hung_up": "caller hung up",
    "transferred": "transferred to operator", "error": "error", "interrupted": "interrupted (server stopped)",
}


class Call(BaseModel):
    uniqueid = CharField(default="", index=True)  # Asterisk's agi_uniqueid
    script = CharField(default="ivr")              # ivr, notify, survey, screen
    channel = CharField(default="")
    caller_id = CharField(default="", index=True)  # as Asterisk gave it: may be 'unknown'
    caller_name = CharField(default="")
    called_number = CharField(default="")           # the DID dialled (agi_dnid / agi_extension)
    customer = ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    language = CharField(default="zh")
    started_at = DateTimeField(default=clock.now, index=True)
    ended_at = DateTimeField(null=True)
    path = TextField(default="[]")   # JSON list of menu node names, in order
    keys = TextField(default="[]")   # JSON list of [node, keys] with secrets masked
    outcome = CharField(default="in_progress", constraints=[one_of("outcome", CALL_OUTCOMES)], index=True)
    ended_in = CharField(default="")  # the node where the call ended (e.g. where the caller hung up)
    detail = TextField(default="")    # e.g. 'ticket 2611220003'

    # path and keys are parsed once, on first use, and kept as lists until saved.
    @property
    def _path(self):
        if "_path_cache" not in self.__dict__:
            self.__dict__["_path_cache"] = json.loads(self.path or "[]")
        return self.__dict__["_path_cache"]

    @property
    def _keys(self):
        if "_keys_cache" not in self.__dict__:
            self.__dict__["_keys_cache"] = json.loads(self.keys or "[]")
        return self.__dict__["_keys_cache"]

    # --- kept in memory, written with the next save ----------------------------
    def enter(self, node):
        """Note that the caller reached menu node / flow step `node`."""
        self._path.append(node)

    def pressed(self, node, keys, secret=False):
        """Note keys the caller pressed at `node`; secret keys are masked before storing."""
        if keys:
            self._keys.append([node, mask_digits(keys) if secret else keys])

    def note(self, text):
        self.detail = f"{self.detail}; {text}" if self.detail else text

    @property
    def path_list(self):
        return list(self._path)

    @property
    def key_list(self):
        return [list(k) for k in self._keys]

    def save(self, *args, **kwargs):
        self.path = json.dumps(self._path, ensure_ascii=False)
        self.keys = json.dumps(self._keys, ensure_ascii=False)
        return super().save(*args, **kwargs)

    def to_dict(self, mask=True):
        duration = (self.ended_at - self.started_at).total_seconds() if self.ended_at else None
        return {
            "id": self.id, "uniqueid": self.uniqueid, "script": self.script,
            "caller_id": mask_mobile(self.caller_id) if mask else self.caller_id,
            "called_number": self.called_number, "customer_id": self.customer_id,
            "staff_id": self.staff_id, "language": self.language,
            "started_at": self.started_at, "ended_at": self.ended_at, "duration_s": duration,
            "path": self.path_list, "keys": self.key_list, "outcome": self.outcome,
            "outcome_text": OUTCOME_WORDS[self.outcome], "ended_in": self.ended_in, "detail": self.detail,
        }


AGENT_RESULTS = ("active", "suspended", "left", "unknown")


class PolicyLockout(BaseModel):
    policy = ForeignKeyField(Policy, unique=True, on_delete="CASCADE")
    failures = IntegerField(default=0)   # consecutive failures since the last success or lockout
    last_failure_at = DateTimeField(null=True)
    locked_until = DateTimeField(null=True)
    last_caller = CharField(default="")


class AgentCheck(BaseModel):
    """One agent identity check: who asked, which badge, what they were told."""
    at = DateTimeField(default=clock.now, index=True)
    caller = CharField(default="")
    badge_no = CharField()
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    result = CharField(constraints=[one_of("result", AGENT_RESULTS)])
    call_id = IntegerField(null=True)  # a report of the visit is a ticket of kind agent-report


MENU_ACTIONS = ("menu", "policy", "agent_check", "claim", "message", "callback", "phone_application", "operator",
                "ticket_status", "staff_line", "announce", "transfer")

# What an `announce` node does once its prompt has played.
AFTER_PLAY = ("menu", "hangup")

# A number a `transfer` node dials: digits only (a Dial() string must not get `,` `&` `/`).
TRANSFER_NUMBER = re.compile(r"\d{3,20}")


MENU_FALLBACKS = ("goodbye", "operator", "back")


CHILD_KEYS = "12345678#"


class MenuNode(BaseModel):
    name = CharField(unique=True)  # a slug: main, policy, service_request…
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    digit = CharField(max_length=1, default="")  # the key that reaches it from its parent
    title = CharField(default="")                # for admins: 保单服务
    prompt = CharField()                         # prompt name
    action = CharField(default="menu", constraints=[one_of("action", MENU_ACTIONS)])
    timeout_ms = IntegerField(default=5000)
    retries = IntegerField(default=3)
    fallback = CharField(default="goodbye", constraints=[one_of("fallback", MENU_FALLBACKS)])
    position = IntegerField(default=0)
    enabled = BooleanField(default=True)
    transfer_number = CharField(default="")  # `transfer`: the number dialled
    after_play = CharField(default="menu")   # `announce`: one of AFTER_PLAY

    class Meta:
        indexes = ((("parent", "digit"), False),)

    def clean(self):
        """Check the fields an admin can edit; InputError names the field."""
        if not (self.name or "").strip() or not self.name.replace("_", "").isalnum():
            raise InputError.of(N_("{field}: letters, digits and _ only"), field="name")
        if not (self.prompt or "").strip():
            raise InputError.of(N_("{field}: empty"), field="prompt")
        if not prompt_files.playable(self.prompt):
            raise InputError.of(N_("{field}: no prompt named {name} (see the prompts page)"), field="prompt",
                                name=self.prompt)
        if self.action not in MENU_ACTIONS:
            raise InputError.of(N_("{field}: must be one of {choices}"),
                                field="action", choices=', '.join(MENU_ACTIONS))
        self.clean_action_fields()
        if self.fallback not in MENU_FALLBACKS:
            raise InputError.of(N_("{field}: must be one of {choices}"),
                                field="fallback", choices=', '.join(MENU_FALLBACKS))
        if self.parent_id is not None and (len(self.digit or "") != 1 or self.digit not in CHILD_KEYS):
            raise InputError.of(N_("{field}: one of {choices} (* 9 0 are reserved)"),
                                field="digit", choices=' '.join(CHILD_KEYS))
        if not 500 <= int(self.timeout_ms) <= 60000:
            raise InputError.of(N_("{field}: between 500 and 60000"), field="timeout_ms")
        if not 0 <= int(self.retries) <= 9:
            raise InputError.of(N_("{field}: between 0 and 9"), field="retries")
        if self.parent_id is not None:
            clash = (MenuNode.select().where(MenuNode.parent == self.parent_id, MenuNode.digit == self.digit,
                                             MenuNode.enabled == True))  # noqa: E712
            if self.id:
                clash = clash.where(MenuNode.id != self.id)
            if self.enabled and clash.exists():
                raise InputError.of(N_("{field}: {digit} is already used in this menu"),
                                    field="digit", digit=self.digit)

    def clean_action_fields(self):
        """The new actions' own fields: a transfer's number, an announcement's next step."""
        if self.action == "transfer" and not TRANSFER_NUMBER.fullmatch(self.transfer_number or ""):
            raise InputError.of(N_("transfer_number: 3 to 20 digits, got '{value}'"), field="transfer_number",
                                value=self.transfer_number or "")
        if self.after_play not in AFTER_PLAY:
            raise InputError.of(N_("{field}: must be one of {choices}"),
                                field="after_play", choices=', '.join(AFTER_PLAY))

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
                "position": self.position, "enabled": self.enabled,
                "transfer_number": self.transfer_number, "after_play": self.after_play}


