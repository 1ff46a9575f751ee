"""Imports can be taken back: each published batch keeps, on its last staged row,
what it changed (the rows' earlier values, or that it created them), until the
job is done. Written by hand: one added column."""
from peewee import TextField


def up(migrator, db):
    migrator.migrate(migrator.add_column('import_row', 'undo', TextField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('import_row', 'undo'))
