"""Every refusal a page can show is said in the page's language: the domain and the page
modules raise InputError (Refused, NotFound, ConfigError) through InputError.of with an N_
msgid, which web.po translates. The command line's and the API's own checks may stay
plain English, but they too name the field ("name: empty").

Read from the source (every raise site, by its syntax tree), so a new plain English
refusal anywhere a page reaches fails here, before a Chinese page shows it."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {"InputError", "Refused", "NotFound", "ConfigError"}

# Modules whose refusals reach only the command line or the API (or a file branch IT edits
# by hand, before any daemon runs): plain English there is fine.
NOT_ON_PAGES = {
    "appliance/cli.py", "appliance/services/cli.py", "appliance/backup.py", "appliance/db.py",
    "appliance/config.py",            # reading the file at start-up (its key checks are translated)
    "appliance/cluster/identity.py",  # box.name, set by branch IT in the file
    "web/cli.py", "web/server.py",
    "appliance/system/releases.py", "appliance/system/upgrade.py",  # `appliance upgrade`, branch IT's
}
NOT_ON_PAGES_DIRS = ("web/api/",)

NAMES_A_FIELD = re.compile(r"^[\w.\-\[\]]+: ")


def sources():
    for folder in ("appliance", "web"):
        for path in sorted((ROOT / folder).glob("**/*.py")):
            yield path.relative_to(ROOT).as_posix(), path


def plain_errors(tree):
    """(line, message head, field) of every InputError(...) made directly, not through .of()."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant):
                head = str(first.value)
            elif isinstance(first, ast.JoinedStr):
                head = "".join(v.value if isinstance(v, ast.Constant) else "{x}" for v in first.values)
            else:
                head = ast.unparse(first) if first else ""
            field = next((k.value.value for k in node.keywords
                          if k.arg == "field" and isinstance(k.value, ast.Constant)), "")
            yield node.lineno, head, field


def on_pages(name):
    return (name not in NOT_ON_PAGES and not name.startswith(NOT_ON_PAGES_DIRS)
            and not name.endswith("/cli.py"))  # every package's command line


def test_every_refusal_a_page_shows_is_translatable():
    untranslated = [f"{name}:{line}: {head[:60]}" for name, path in sources() if on_pages(name)
                    for line, head, _ in plain_errors(ast.parse(path.read_text(encoding="utf-8")))]
    assert untranslated == [], "raise InputError.of(N_('{field}: …'), field=…) with a zh entry in web.po"


@pytest.mark.parametrize("name", sorted(n for n, _ in sources() if not on_pages(n)))
def test_plain_refusals_name_their_field(name):
    """The CLI's and API's plain refusals name the field (or option) they are about."""
    path = ROOT / name
    nameless = [f"{line}: {head[:60]}" for line, head, field in plain_errors(ast.parse(path.read_text("utf-8")))
                if not NAMES_A_FIELD.match(head.replace("{x}", "x", 1)) and not (field and field in head)]
    assert nameless == [] or name in FIELDLESS_ALLOWED, nameless


# Plain refusals about the whole configuration file, backup archive or release (there is no field:
# the message names the file). Kept as they are: the CLI's wording, scripts match it.
FIELDLESS_ALLOWED = {"appliance/config.py", "appliance/backup.py", "appliance/system/upgrade.py"}


def of_calls(tree):
    """(line, msgid, the names given) of every InputError.of(N_("…"), …) call."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "of"
                and isinstance(node.func.value, ast.Name) and node.func.value.id in ERRORS and node.args
                and isinstance(node.args[0], ast.Call) and getattr(node.args[0].func, "id", "") == "N_"):
            yield node.lineno, node.args[0].args[0].value, {k.arg for k in node.keywords} | {"field"}


def test_every_msgid_gets_the_values_it_names():
    """A placeholder the call does not give would fail only when the error is raised."""
    missing = []
    for name, path in sources():
        for line, msgid, given in of_calls(ast.parse(path.read_text(encoding="utf-8"))):
            wanted = set(re.findall(r"(?<!\{)\{(\w+)[^{}]*\}", msgid.replace("{{", "")))
            if wanted - given:
                missing.append(f"{name}:{line}: {sorted(wanted - given)}")
    assert missing == []
