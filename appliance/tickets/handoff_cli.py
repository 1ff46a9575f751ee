"""`appliance tickets hand-off NUMBER PEER` (entry point `tickets-handoff`): hand a ticket to
another box or head office's system (appliance.tickets.handoff), and `appliance tickets
hand-offs` to see what is still to be sent."""
from appliance import clock
from appliance.cli import add_command, print_json
from appliance.tickets.cli import subparsers  # the one `appliance tickets` parser, whoever loads first


def cmd_hand_off(args, config):
    from appliance.ivr.tickets import get_ticket
    from appliance.tickets import handoff
    ticket = get_ticket(args.number)
    row = handoff.hand_off(config, ticket, args.peer, by=args.by, text=args.note or "", source="cli")
    if args.json:
        print_json(row_dict(row))
    elif row.delivered_at:
        print(f"ticket {ticket.number} handed to {row.peer}: their number {row.remote_number}")
    else:
        print(f"ticket {ticket.number} handed to {row.peer}, not taken yet ({row.last_error}); "
              f"the services daemon sends it again")
    return 0


def cmd_hand_offs(args, config):
    from appliance.tickets.models import TicketHandoff
    rows = [row_dict(r) for r in TicketHandoff.select().order_by(TicketHandoff.id.desc()).limit(args.limit)]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        state = "taken" if r["delivered"] else f"to send ({r['attempts']} tries: {r['error']})"
        print("\t".join([r["number"], r["direction"], r["peer"], r["remote_number"], state,
                         clock.format(r["next_at"]) if r["next_at"] else ""]))
    return 0


def row_dict(row):
    return {"number": row.ticket.number, "direction": row.direction, "peer": row.peer, "key": row.key,
            "remote_number": row.remote_number, "delivered": row.delivered_at is not None,
            "sent_through": row.sent_through, "received_through": row.received_through,
            "attempts": row.attempts, "next_at": row.next_at, "error": row.last_error}


def register(sub):
    tsub = subparsers(sub)
    hand = add_command(tsub, "hand-off", cmd_hand_off,
                       "hand a ticket with its history to a peer in tickets.peers (its answers come back)")
    hand.add_argument("number", help="the ticket's number (or id)")
    hand.add_argument("peer", help="a peer's name in tickets.peers")
    hand.add_argument("--note", help="what the peer should know")
    hand.add_argument("--by", default="cli", help="who hands it over, for the history (default cli)")
    hand.add_argument("--json", action="store_true", help="print JSON")
    listing = add_command(tsub, "hand-offs", cmd_hand_offs,
                          "hand-offs to and from peers, newest first, and what is still to be sent")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="print JSON")
