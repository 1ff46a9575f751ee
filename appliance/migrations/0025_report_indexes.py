# Written by hand: two indexes, so issue 17's reports (appliance/reports/) read a month of a
# year's 2.7 million notices by when they were sent and the calls by when they were dialled,
# instead of scanning the tables (matches index=True on Message.sent_at and
# CallAttempt.dialled_at).
INDEXES = (("message", "sent_at", "message_sent_at"), ("call_attempt", "dialled_at", "call_attempt_dialled_at"))


def up(migrator, db):
    # Skip an index already there (a database built by hand, a re-run after a restore).
    for table, column, name in INDEXES:
        if name not in {i.name for i in db.get_indexes(table)}:
            migrator.migrate(migrator.add_index(table, (column,), name=name))


def down(migrator, db):
    for table, _column, name in INDEXES:
        if name in {i.name for i in db.get_indexes(table)}:
            migrator.migrate(migrator.drop_index(table, name))
