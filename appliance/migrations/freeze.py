"""Developer tool: write a numbered migration that creates a module's tables
from a frozen copy of its models.

    python -m appliance.migrations.freeze appliance.models 0001_foundation

peewee's pwmigrate template writes the frozen copy but leaves out CHECK
constraints; this adds them back, so the schema refuses bad enum values even
when written by other tools. Review the file before committing it.
"""
import importlib
import re
import sys

from peewee import Model
from playhouse.migrations import _resolve_diff, template

from appliance.db import MIGRATIONS_DIR


def check_sql(constraint):
    """'CHECK (x IN (...))' -> 'x IN (...)'."""
    return re.sub(r"^CHECK \((.*)\)$", r"\1", constraint.sql, flags=re.S)


def freeze(module_name, models=None):
    module = importlib.import_module(module_name)
    spec = module_name if models is None else f"{module_name}:{models}"
    body = template(_resolve_diff(None, spec))
    body = "\n".join(line for line in body.splitlines() if not line.startswith("# TODO: ")) + "\n"
    for model in vars(module).values():
        if not (isinstance(model, type) and issubclass(model, Model) and model.__module__ == module_name):
            continue
        table = model._meta.table_name
        for field in model._meta.sorted_fields:
            checks = [check_sql(c) for c in (field.constraints or []) if c.sql.startswith("CHECK")]
            if checks:
                args = ", ".join(f"Check({c!r})" for c in checks)
                body = _add_field_arg(body, table, field.name, f"constraints=[{args}]")
        table_checks = [check_sql(c) for c in (model._meta.constraints or [])]
        if table_checks:
            args = ", ".join(f"Check({c!r})" for c in table_checks)
            body = body.replace(f"            table_name = '{table}'\n",
                                f"            table_name = '{table}'\n            constraints = [{args}]\n")
    return body


def _add_field_arg(body, table, field, arg):
    block = re.search(rf"(    class \w+\(Model\):\n(?:        .*\n)*?            table_name = '{table}'\n)", body)
    text = block.group(1)
    new = re.sub(rf"^(        {field} = \w+\()(.*)\)$",
                 lambda m: f"{m.group(1)}{m.group(2)}{', ' if m.group(2) else ''}{arg})",
                 text, count=1, flags=re.M)
    return body.replace(text, new)


def main(argv=None):
    module_name, name, *models = argv or sys.argv[1:]
    path = MIGRATIONS_DIR / f"{name}.py"
    if path.exists():
        sys.exit(f"{path} exists")
    path.write_text(freeze(module_name, models[0] if models else None))
    print(path)


if __name__ == "__main__":
    main()
