"""The IVR engine: walks the menu tree from the database with one caller.

A `menu` node plays its prompt (keys interrupt it), waits `timeout_ms` for a key
among its children's digits, and on no or a wrong key says so and asks again up
to `retries` times, then takes its fallback. Everywhere: `*` back, `9` repeat,
`0` operator (within business hours, else the after-hours message). A node with
another action runs that self-service flow (agi/flows.py) and comes back.

The call record is opened before the caller hears anything and closed however
the call ends; a hangup anywhere ends it as 'caller hung up' at that node.
"""
import logging
import threading
import time

from agi import flows, staff_flows
from agi.products import phone_quote
from agi.channel import CallerHungUp
from agi.flows import operator
from agi.session import EndCall, Session
from appliance import phonebook
from appliance.ivr import calls
from appliance.ivr.menus import RESERVED_KEYS, MenuSnapshot
from appliance.ivr.models import OUTCOME_WORDS
from appliance.privacy import mask_mobile

log = logging.getLogger(__name__)


def start_session(channel, context, script="ivr"):
    """Match the caller and start writing the call record; returns a Session.

    The record commits in the writer thread while the caller hears the
    greeting; anything that needs its id waits for it (Session.call_id)."""
    env = channel.env
    config = context.config
    caller_id = env.get("agi_callerid", "")
    customer, staff = phonebook.who(caller_id)
    language = customer.language if customer is not None else config["language"]
    if language not in ("zh", "en"):
        language = "zh"
    extension = known(env.get("agi_extension"))
    call = calls.new_call(uniqueid=env.get("agi_uniqueid", ""), script=script,
                          channel=env.get("agi_channel", ""), caller_id=caller_id,
                          caller_name=known(env.get("agi_calleridname")),
                          called_number=known(env.get("agi_dnid")) or (extension if extension.isdigit() else ""),
                          customer=customer, staff=staff, language=language)
    started = context.writer.submit(call.save, force_insert=True)
    return Session(channel, context, call, started, customer=customer, staff=staff,
                   language=language)


def known(value):
    """An env value, or '' where Asterisk says `unknown` (no DID on GSM and analogue
    lines, which arrive at extension `s`; no caller name)."""
    value = (value or "").strip()
    return "" if value.lower() == "unknown" else value


def handle_call(channel, context, script="ivr"):
    """Serve one inbound IVR call to its end; returns the finished call record.
    `context` gives config, finder (prompts) and writer (the server)."""
    session = start_session(channel, context, script)
    outcome = "completed"
    try:
        channel.answer()
        greet(session)
        menus = context.menus.get()
        run_menu(session, menus, menus.root())
        session.play("goodbye")
        channel.hangup()
    except EndCall as end:
        outcome = end.outcome
        if outcome == "completed":
            _quietly_hang_up(channel)
        else:  # transferred: the caller talked to the operator; the dialplan just hangs up
            _quietly_finish(channel)
    except CallerHungUp:
        outcome = "caller_hung_up"
    except Exception:
        # Not hung up, not marked finished: the dialplan's fallback takes the caller to the operator.
        log.exception("call from %s failed at %s; the dialplan sends the caller to the operator",
                      mask_mobile(session.caller_id), session.where)
        outcome = "error"
    session.call_id  # the start is committed before the end is written
    session.write(calls.finish_call, session.call, outcome, ended_in=session.where)
    log.info("call %s from %s: %s at %s", session.call.id, mask_mobile(session.caller_id),
             OUTCOME_WORDS[outcome], session.where)
    return session.call


def _quietly_hang_up(channel):
    try:
        channel.hangup()  # once: after the goodbye fallback it has been sent already
    except Exception:  # the caller may be gone already; nothing more to say
        pass


def _quietly_finish(channel):
    try:
        channel.finished()
    except Exception:
        pass


def greet(session):
    """张先生，您好 for a known customer, the staff member's name for staff,
    then the welcome."""
    session.enter("greeting")
    items = []
    person = session.customer or session.staff
    if person is not None:
        salutation = person.salutation if session.customer is not None else person.name
        if session.language == "zh":
            items.append(session.text(salutation, "greet_name"))
        else:
            items += ["hello", session.text(salutation)]
    items.append("welcome")
    key = session.play(*items)
    if key:
        session.channel_typeahead = key  # a key during the greeting answers the main menu


# Every menu action's flow: the callers' (agi/flows.py; applying by phone with a quote,
# agi/products/phone_quote.py) and the staff line (agi/staff_flows.py).
FLOWS = {**flows.FLOWS, **phone_quote.FLOWS, **staff_flows.FLOWS}


class MenuCache:
    """The menu tree, re-read from the database at most every `ttl` seconds,
    so an admin's edit reaches new calls within seconds."""

    def __init__(self, ttl=5.0):
        self.ttl = ttl
        self._snapshot = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._read_at > self.ttl:
                self._snapshot = MenuSnapshot()
                self._read_at = time.monotonic()
            return self._snapshot



def run_menu(session, menus, root):
    """Walk the tree from `root` until the caller leaves it (returns) or the
    call ends (EndCall / CallerHungUp)."""
    stack = [root]
    while stack:
        node = stack[-1]
        session.enter(node.name)
        if node.action != "menu":
            FLOWS[node.action](node, session)
            stack.pop()
            continue
        children = menus.children(node)
        key = pending_key(session) or ""
        allowed = node.allowed_keys(children)
        if key:
            session.pressed(key)
        if not key or key not in allowed:
            if key:  # a wrong key typed ahead: say so, then ask properly
                session.play("invalid_input")
            key = session.ask_key([node.prompt], allowed, node.timeout_ms, node.retries)
        if not key:
            fallback(session, node, stack)
            continue
        action = RESERVED_KEYS.get(key)
        if action == "back":
            if len(stack) > 1:
                stack.pop()
        elif action == "repeat":
            continue
        elif action == "operator":
            operator(session)
        else:
            stack.append(next(c for c in children if c.digit == key))


def pending_key(session):
    key = getattr(session, "channel_typeahead", "")
    session.channel_typeahead = ""
    return key


def fallback(session, node, stack):
    """No valid key after the retries: the node's fallback."""
    session.call.note(f"no valid input at {node.name}: {node.fallback}")
    if node.fallback == "operator":
        operator(session)
        return
    if node.fallback == "back" and len(stack) > 1:
        stack.pop()
        return
    session.play("goodbye", escape="")
    session.channel.hangup()
    raise EndCall("completed")
