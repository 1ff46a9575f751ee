"""Head office <-> branch hand-off (分总分): a ticket handed to another box with its history,
and the changes on either side sent back the same way.

The sender commits the `handed_off` event, the ticket's `remote` and an `out` TicketHandoff
row in one transaction, and only then speaks to the peer (POST /api/v1/ticket-handoffs): a
kill at any line leaves either nothing or a row that deliver() sends. The receiver opens its
own ticket (source remote, remote = the sender, remote_number = the sender's number) with the
history copied (each event's `by` marked `who@peer`) and an `in` row, in one transaction.

From then on each side sends its own later events to the other (POST
/api/v1/ticket-handoffs/{key}/events); the other records each as a `remote_update` event and
follows the states that concern it: the handling side's answer makes the sender's ticket
answered (its front desk confirms to the customer and closes, or returns it), the sender's
return, close or reopen moves the handling side's ticket. remote_update events are never sent
back, so nothing echoes.

Never lost, never twice: the rows are the outbox (a hand-off without delivered_at, events
after sent_through); deliver(), on the services daemon's loop, sends them again with a
doubling wait after a peer was down. The key (the sender's ticket number and its event id,
the same on both sides) makes a retried hand-off find the ticket it made, and
received_through makes a retried batch of events add none.

Peers are `tickets.peers` entries NAME=URL|TOKEN. Outgoing requests carry the peer's token;
an incoming one is taken only from a token of this box named as a configured peer, and a peer
reaches only the hand-offs made with it. Tokens are never logged nor shown.
"""
import datetime
import json
import logging
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import peewee

from appliance import clock, phonebook, phones
from appliance.db import retrying, write_transaction
from appliance.errors import (
    N_,
    ApplianceError,
    ConfigError,
    InputError,
    NotFound,
    Refused,
)
from appliance.models import audit
from appliance.tickets import lifecycle
from appliance.tickets.models import Ticket, TicketEvent, TicketHandoff

log = logging.getLogger(__name__)

TIMEOUT = 10.0        # seconds for one request to a peer
MAX_WAIT = 3600.0     # the longest wait between two tries
BATCH = 200           # events per request
HISTORY = 1000        # events of the history sent with a hand-off
NAME, TEXT = 100, 4000  # the longest name and text a peer takes (web/api/ticket_handoff.py)
# How the events of the other side move a ticket here, by which side this box is.
# The side that handed it over keeps the customer: the answer comes to its front desk, and
# only its close ends the loop; the handling side's own close or return is history here.
FOLLOW = {
    "out": {"answered": "answered"},
    "in": {"returned": "returned", "closed": "closed", "reopened": "reopened"},
}


class PeerError(ApplianceError):
    """A peer did not take a request (down, refused it, answered nonsense): one line, no token."""

    exit_code = 1


@dataclass(frozen=True)
class Peer:
    name: str
    url: str
    token: str = field(repr=False)


def peers(config):
    """The configured peers by name (tickets.peers: NAME=URL|TOKEN); ConfigError naming the
    key for a malformed entry (its token left out of the message)."""
    found = {}
    for entry in config["tickets.peers"]:
        name, _, rest = entry.partition("=")
        url, _, token = rest.partition("|")
        name, url, token = name.strip(), url.strip().rstrip("/"), token.strip()
        if not name or not url.startswith(("http://", "https://")) or not token:
            shown = f"{name}={url}" if name else entry.split("|")[0]
            raise ConfigError.of(N_("{field}: {shown!r} is not NAME=URL|TOKEN (URL http:// or https://)"),
                                 field="tickets.peers", shown=shown)
        found[name] = Peer(name, url, token)
    return found


def peer(config, name):
    """A configured peer by name, else NotFound naming `peer`."""
    known = peers(config)
    if name not in known:
        raise NotFound.of(N_("{field}: no peer '{name}' in tickets.peers (known: {known})"), field="peer",
                          name=name, known=", ".join(known) or "none")
    return known[name]


# --- sending -------------------------------------------------------------------------------

def hand_off(config, ticket, peer_name, *, by, text="", source="", now=None):
    """Hand a ticket to a peer: committed first, then sent once (see deliver() for the rest).
    Returns its TicketHandoff row; delivered_at is set when the peer took it."""
    target = peer(config, peer_name)
    now = now or clock.now()
    with write_transaction():
        ticket = Ticket.get_by_id(ticket.id)  # as it is now, under the write lock
        if ticket.status == "closed":
            raise Refused.of(N_("{field}: {number} is closed"), field="ticket", number=ticket.number)
        if ticket.source == "remote":
            raise Refused.of(N_("{field}: {number} came from {peer}; its changes go back there by themselves"),
                             field="ticket", number=ticket.number, peer=ticket.remote)
        if ticket.remote:
            raise Refused.of(N_("{field}: {number} is already with {peer}"), field="ticket", number=ticket.number,
                             peer=ticket.remote)
        event = TicketEvent.create(ticket=ticket, at=now, by=by, action="handed_off",
                                   from_status=ticket.status, to_status=ticket.status,
                                   text=f"→ {target.name}" + (f": {text}" if text else ""))
        Ticket.update(remote=target.name, remote_number="", updated_at=now).where(Ticket.id == ticket.id).execute()
        row = TicketHandoff.create(ticket=ticket, peer=target.name, direction="out",
                                   key=f"{ticket.number}-{event.id}", created_at=now, sent_through=event.id)
        audit(by, "ticket.hand_off", f"ticket:{ticket.number}", f"peer={target.name}", source)
    send(config, row, now)
    return TicketHandoff.get_by_id(row.id)


# Never sent to the peer: what came from it (no echo), and this box telling its own customer
# (the SMS text and the masked number are this box's business).
LOCAL_ACTIONS = ("remote_update", "notified")


def deliver(config, now=None):
    """Send what peers have not taken: hand-offs, then events. One pass of the services
    loop; a peer that fails is not tried again in the same pass. Returns requests that went."""
    now = now or clock.now()
    due = (TicketHandoff.next_at.is_null() | (TicketHandoff.next_at <= now))
    newer = (TicketEvent.select(TicketEvent.id)
             .where((TicketEvent.ticket == TicketHandoff.ticket) & (TicketEvent.id > TicketHandoff.sent_through)
                    & TicketEvent.action.not_in(LOCAL_ACTIONS)))
    rows = list(TicketHandoff.select().where(due & (
        ((TicketHandoff.direction == "out") & TicketHandoff.delivered_at.is_null())
        | (TicketHandoff.delivered_at.is_null(False) & peewee.fn.EXISTS(newer))))
        .order_by(TicketHandoff.id))
    failed, sent = set(), 0
    for row in rows:
        if row.peer in failed:
            continue
        if send(config, row, now):
            sent += 1
        else:
            failed.add(row.peer)
    return sent


def send(config, row, now):
    """Send one row's due work (the hand-off, else its new events); True when the peer took
    it. A failure is recorded on the row with the next try's time, and logged."""
    try:
        target = peer(config, row.peer)
        if row.delivered_at is None:
            answer = post(config, target, "/api/v1/ticket-handoffs", handoff_payload(row))
            number = str(answer.get("number") or "")
            retrying(mark_delivered, row, number, now)
        events = pending_events(row)
        while events:
            payload = {"side": row.direction, "events": [event_dict(e) for e in events]}
            post(config, target, f"/api/v1/ticket-handoffs/{row.key}/events", payload)
            retrying(mark_sent, row, events[-1].id)
            row.sent_through = events[-1].id
            events = pending_events(row)
    except (PeerError, InputError) as exc:
        retrying(mark_failed, config, row, str(exc), now)
        log.warning("ticket hand-off %s to %s: %s; trying again later", row.key, row.peer, exc)
        return False
    return True


def handoff_payload(row):
    ticket = row.ticket
    history = (TicketEvent.select().where((TicketEvent.ticket == ticket) & (TicketEvent.id <= row.sent_through))
               .order_by(TicketEvent.id.desc()).limit(HISTORY))  # the latest, if a ticket ever has more
    return {"key": row.key, "number": ticket.number, "kind": ticket.kind, "caller": ticket.caller,
            "text": ticket.text[:TEXT], "history": [event_dict(e) for e in reversed(list(history))]}


def event_dict(event):
    """An event as sent; its time with microseconds, so the receiver keeps the order."""
    return {"id": event.id, "at": clock.aware(event.at).isoformat(), "by": event.by[:NAME],
            "action": event.action, "from_status": event.from_status, "to_status": event.to_status,
            "department": event.department[:NAME], "assignee": event.assignee[:NAME], "text": event.text[:TEXT]}


def pending_events(row):
    """This box's own events the peer does not have yet, oldest first."""
    if row.delivered_at is None:
        return []
    return list(TicketEvent.select()
                .where((TicketEvent.ticket == row.ticket_id) & (TicketEvent.id > row.sent_through)
                       & TicketEvent.action.not_in(LOCAL_ACTIONS))
                .order_by(TicketEvent.id).limit(BATCH))


def mark_delivered(row, number, now):
    with write_transaction():
        TicketHandoff.update(delivered_at=now, remote_number=number, attempts=0, next_at=None, last_error="") \
            .where(TicketHandoff.id == row.id).execute()
        Ticket.update(remote_number=number).where(Ticket.id == row.ticket_id).execute()
    row.delivered_at, row.remote_number = now, number


def mark_sent(row, through):
    with write_transaction():
        TicketHandoff.update(sent_through=through, attempts=0, next_at=None, last_error="") \
            .where((TicketHandoff.id == row.id) & (TicketHandoff.sent_through < through)).execute()


def mark_failed(config, row, error, now):
    attempts = row.attempts + 1
    wait = min(config["tickets.handoff_retry"] * 2 ** (attempts - 1), MAX_WAIT)
    with write_transaction():
        TicketHandoff.update(attempts=attempts, next_at=now + datetime.timedelta(seconds=wait), last_error=error) \
            .where(TicketHandoff.id == row.id).execute()
    row.attempts = attempts


def post(config, target, path, payload=None, method="POST"):
    """A request to a peer with its token (JSON in and out); its answer, else PeerError in one line."""
    body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(target.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {target.token}"})
    try:
        context = tls_context(config) if target.url.startswith("https://") else None
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise PeerError(f"peer {target.name}: HTTP {exc.code}: {refusal(exc)}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PeerError(f"peer {target.name} unreachable: {reason}") from None
    except ValueError:
        raise PeerError(f"peer {target.name}: the answer is not JSON") from None


def tls_context(config):
    cafile = config["tickets.peer_cafile"] or None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise PeerError(f"tickets.peer_cafile: cannot use {cafile}: {exc}") from None


def refusal(error):
    try:
        return json.loads(error.read().decode("utf-8"))["error"]["message"]
    except (ValueError, KeyError, TypeError, OSError):
        return error.reason


# --- receiving -----------------------------------------------------------------------------

def accepted_peer(config, token_name):
    """The peer a request's token speaks for, else Refused: only a token named as a configured
    peer hands tickets over, since answers must be able to go back to it."""
    if token_name not in peers(config):
        raise Refused.of(N_("{field}: token {token_name!r} is not a peer in tickets.peers"),
                         field="peer", token_name=token_name)
    return token_name


def receive(config, peer_name, payload, now=None):
    """Take a peer's hand-off: (TicketHandoff row, created). The same key again finds the
    ticket the first one made."""
    now = now or clock.now()
    try:
        return retrying(_receive, peer_name, payload, now)
    except peewee.IntegrityError:  # the same hand-off at once from a retry (PostgreSQL)
        row = received(peer_name, payload["key"])
        if row is None:
            raise
        return row, False


def received(peer_name, key):
    return TicketHandoff.get_or_none((TicketHandoff.peer == peer_name) & (TicketHandoff.direction == "in")
                                     & (TicketHandoff.key == key))


def _receive(peer_name, payload, now):
    from appliance.ivr.tickets import open_ticket  # its module opens every ticket
    with write_transaction():
        row = received(peer_name, payload["key"])
        if row is not None:
            return row, False
        caller = phones.as_received(payload.get("caller", ""))
        ticket = open_ticket(payload["kind"], "remote", number=caller, text=payload.get("text", ""),
                             customer=phonebook.customer_by_number(phones.e164_or_none(caller)), now=now)
        for event in sorted(payload.get("history", []), key=lambda e: e["id"]):
            TicketEvent.create(ticket=ticket, at=instant(event.get("at"), now), by=marked(event, peer_name),
                               action=event["action"], from_status=event.get("from_status", ""),
                               to_status=event.get("to_status", ""), department=event.get("department", ""),
                               assignee=event.get("assignee", ""), text=event.get("text", ""))
        Ticket.update(remote=peer_name, remote_number=payload["number"]).where(Ticket.id == ticket.id).execute()
        last_here = TicketEvent.select(peewee.fn.MAX(TicketEvent.id)).where(TicketEvent.ticket == ticket).scalar()
        row = TicketHandoff.create(ticket=ticket, peer=peer_name, direction="in", key=payload["key"],
                                   remote_number=payload["number"], created_at=now, delivered_at=now,
                                   sent_through=last_here or 0,
                                   received_through=max((e["id"] for e in payload.get("history", [])), default=0))
    return row, True


def receive_events(config, peer_name, key, side, events, now=None):
    """Apply a peer's events to the hand-off `key` it made (side out) or took (side in);
    returns the last event id applied. Events already applied are skipped."""
    now = now or clock.now()
    return retrying(_receive_events, config, peer_name, key, side, events, now)


def _receive_events(config, peer_name, key, side, events, now):
    mine = "in" if side == "out" else "out"
    with write_transaction():
        row = TicketHandoff.get_or_none((TicketHandoff.peer == peer_name) & (TicketHandoff.direction == mine)
                                        & (TicketHandoff.key == key))
        if row is None:
            raise NotFound.of(N_("{field}: no hand-off {key} with peer {peer_name}"),
                              field="key", key=key, peer_name=peer_name)
        new = sorted((e for e in events if e["id"] > row.received_through), key=lambda e: e["id"])
        if not new:
            return row.received_through
        # The row count decides: of two deliveries of the same events at once, one applies them.
        claimed = (TicketHandoff.update(received_through=new[-1]["id"])
                   .where((TicketHandoff.id == row.id) & (TicketHandoff.received_through == row.received_through))
                   .execute())
        if not claimed:
            return TicketHandoff.get_by_id(row.id).received_through
        ticket = Ticket.get_by_id(row.ticket_id)
        for event in new:
            before = ticket.status
            follow(ticket, FOLLOW[mine].get(event["action"]), event, now)
            # Stamped when it arrived: the history here stays in the order things happened here.
            update = TicketEvent.create(ticket=ticket, at=now, by=marked(event, peer_name), action="remote_update",
                                        from_status=before, to_status=ticket.status,
                                        department=event.get("department", ""),
                                        assignee=event.get("assignee", ""), text=event.get("text", ""))
            if ticket.status == "answered" and before != "answered":
                # The answer came back from the box that handled it: this box's customer is told
                # here, in the same transaction, as an answer given here would be (that box never
                # tells a customer it got from us: its ticket's source is remote).
                lifecycle.tell_customer(ticket, update, config, now)
    return new[-1]["id"]


def marked(event, peer_name):
    """Who did it, marked as at the peer: `张经理@head-office`."""
    return f"{event.get('by', '')}@{peer_name}"


def follow(ticket, status, event, now):
    """Move the ticket as the peer's event says (status None: history only); saved."""
    if status is None or status == ticket.status:
        return
    if status == "reopened":  # closed there and here, reopened there: back to whoever had it
        if ticket.status != "closed":
            return
        status = "assigned" if ticket.department_id or ticket.assignee else "new"
    ticket.status, ticket.updated_at = status, now
    if status == "answered":
        ticket.answered_at, ticket.resolution = now, event.get("text", "")
    ticket.closed_at = now if status == "closed" else None
    ticket.save(only=[Ticket.status, Ticket.updated_at, Ticket.answered_at, Ticket.resolution, Ticket.closed_at])


def instant(text, default):
    """An event's time as sent (ISO 8601 with an offset), else `default`."""
    try:
        return clock.parse(text) if text else default
    except ValueError:
        return default


# --- appliance doctor ----------------------------------------------------------------------

def doctor_check(config):
    """`appliance doctor`'s lines (entry point appliance.doctor): does each peer answer and take
    its token, and is anything still waiting to be sent to it."""
    results = []
    for target in peers(config).values():
        try:
            me = post(config, target, "/api/v1/me", method="GET")
            results.append(("ok", f"ticket peer {target.name}", f"answers; it knows this box as {me.get('name')!r}"))
        except PeerError as exc:
            results.append(("fail", f"ticket peer {target.name}", str(exc)))
        try:
            waiting = list(TicketHandoff.select().where((TicketHandoff.peer == target.name)
                                                        & (TicketHandoff.attempts > 0)).order_by(TicketHandoff.id))
        except peewee.DatabaseError:  # a database not migrated yet: the migrations line says so
            waiting = []
        if waiting:
            results.append(("warn", f"ticket peer {target.name}",
                            f"{len(waiting)} hand-off(s) with something the peer has not taken; "
                            f"the latest error: {waiting[-1].last_error}"))
    return results
