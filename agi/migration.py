"""Developer tool: write appliance/migrations/0003_calls.py, the frozen copy of the
IVR's models, which live in several domain modules but share one migration.

    rm appliance/migrations/0003_calls.py && python -m agi.migration
"""
from appliance.db import MIGRATIONS_DIR
from appliance.schema_freeze import freeze

NAME = "0003_calls"
MODULES = ["appliance.ivr.tickets", "appliance.ivr.calls", "appliance.ivr.menus", "appliance.ivr.verification"]
HEADER = ('"""IVR: tickets, call records, menu tree, policy lockouts and agent checks (frozen copy).\n\n'
          'Regenerate (delete this file first) with: python -m agi.migration\n"""\n'
          "from peewee import *\n")


def merged():
    ups, downs = [], []
    for module in MODULES:
        body = freeze(module)
        up, down = body.split("def up(migrator, db):\n", 1)[1].split("\ndef down(migrator, db):\n", 1)
        ups.append(up.rstrip() + "\n")
        downs.insert(0, down.rstrip() + "\n")
    return (HEADER + "\n\ndef up(migrator, db):\n" + "\n".join(ups)
            + "\n\ndef down(migrator, db):\n" + "".join(downs))


def main():
    path = MIGRATIONS_DIR / f"{NAME}.py"
    if path.exists():
        raise SystemExit(f"{path} exists")
    path.write_text(merged())
    print(path)


if __name__ == "__main__":
    main()
