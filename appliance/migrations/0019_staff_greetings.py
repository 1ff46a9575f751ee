# Staff birthdays (生日祝福, issue 13): a staff member may opt out of the birthday greeting,
# and with it of the reminders about their birthday to their department's colleagues
# (appliance/services/notices.py). Only adds a column: it needs nothing of 0016-0018.
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('staff', 'greetings_opt_out', BooleanField(default=False)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('staff', 'greetings_opt_out'))
