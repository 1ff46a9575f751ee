# Written by hand: one index, so the inbox's "state = ?" lists stay fast with a
# million inbound messages (matches index=True on InboundMessage.state).
INDEX = "inbound_message_state"


def up(migrator, db):
    # Skip when the index is there already (e.g. a database built by hand or
    # re-run after a restore), so applying this twice is harmless.
    if INDEX not in {i.name for i in db.get_indexes("inbound_message")}:
        migrator.migrate(migrator.add_index("inbound_message", ("state",), name=INDEX))


def down(migrator, db):
    if INDEX in {i.name for i in db.get_indexes("inbound_message")}:
        migrator.migrate(migrator.drop_index("inbound_message", INDEX))
