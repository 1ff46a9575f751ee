# Bearers beside the modem pool (issue 18): the bearer the routing rules chose for each message
# (message.bearer: 'modem' or 'smpp'; appliance/sms/routing.py), and the SMSC's message id of a
# part sent over SMPP (message_part.bearer_ref, from submit_sm_resp), which its delivery
# receipt names. Parts sent over SMPP have modem = 'smpp'; a modem's TP-MR stays in `reference`.
# Both have a DEFAULT in the database too: bulk and raw inserts that name no bearer get 'modem'.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('message', 'bearer', CharField(
            default='modem', constraints=[SQL("DEFAULT 'modem'"), Check("bearer IN ('modem', 'smpp')")])),
        migrator.add_column('message_part', 'bearer_ref', CharField(default='', constraints=[SQL("DEFAULT ''")])),
        migrator.add_index('message_part', ('bearer_ref',), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('message_part', 'message_part_bearer_ref'),
        migrator.drop_column('message_part', 'bearer_ref'),
        migrator.drop_column('message', 'bearer'),
    )
