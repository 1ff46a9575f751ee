"""Page texts from one gettext catalogue: web/locale/<lang>/LC_MESSAGES/web.po.

Message ids are English; zh (Simplified Chinese) is the default language and
en shows the ids themselves. The .po file is read with Babel at start-up, so
there is no compiled .mo to keep in step with it.
"""
import gettext
import io
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from appliance import importer, models, settings
from appliance.ivr.menus import RESERVED_KEYS
from appliance.ivr.models import MENU_ACTIONS, MENU_FALLBACKS
from appliance.sms import models as sms_models

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "web"
LANGUAGES = ("zh", "en")
# Each language named in itself for the switch (never translated, by convention).
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
_cache = {}


def po_path(lang):
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(lang):
    with open(po_path(lang), "rb") as fh:
        return read_po(fh, locale=lang)


def translations(lang):
    """A gettext translations object for `lang`: its catalogue, or the ids themselves.
    en's catalogue holds only the words for codes (in_force: In force, CODE_RE)."""
    if lang not in _cache:
        if po_path(lang).exists():
            buffer = io.BytesIO()
            write_mo(buffer, load_catalog(lang))
            buffer.seek(0)
            _cache[lang] = gettext.GNUTranslations(buffer)
        else:
            _cache[lang] = gettext.NullTranslations()
    return _cache[lang]


def gettext_for(lang):
    return translations(lang if lang in LANGUAGES else "zh").gettext


# A msgid that is a code shown through _(code) (in_force, delivered): it needs words in
# English as well (web/locale/en/…/web.po), or the English page would show the code raw.
CODE_RE = re.compile(r"[a-z][a-z0-9_]*")


def codes_without_english():
    """The code msgids of the Chinese catalogue that the English one has no words for."""
    english = load_catalog("en")
    return sorted(m.id for m in load_catalog("zh") if m.id and CODE_RE.fullmatch(m.id)
                  and not (m.id in english and english[m.id].string))


# --- keeping the catalogue complete ------------------------------------------------------

MSGID_RE = re.compile(r"""\b(?:_|N_)\(\s*(?P<q>["'])(?P<id>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*\)""")


def enumerated_msgids():
    """Values the pages show through _(value): states, roles, kinds from the domain."""
    groups = [sms_models.MESSAGE_STATES, sms_models.PART_STATES, sms_models.INBOUND_STATES,
              sms_models.CATEGORIES, sms_models.MODEM_STATES,
              models.ROLES, models.GROUP_KINDS, models.POLICY_STATUSES, models.STAFF_STATUSES,
              models.FREQUENCIES, models.CHANNELS, MENU_FALLBACKS, RESERVED_KEYS.values(), MENU_ACTIONS,
              importer.SPECS,
              # The settings page shows every key's help text (appliance/settings.py) translated.
              [s.help for s in settings.SETTINGS]]
    return {value for group in groups for value in group if value}


# The domain marks the errors the pages show translated with appliance.errors.N_, and the
# doctor's lines (appliance/system/checks, agi/checks) too.
DOMAIN_MSGID_RE = re.compile(r"""\bN_\(\s*(?P<q>["'])(?P<id>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*\)""")


def extract_msgids():
    """Every msgid the web package uses (literal arguments of _ and N_ in code and
    templates), the domain's N_-marked errors, plus the enumerations."""
    web_dir = Path(__file__).parent
    found = set(enumerated_msgids())
    domain = [*(web_dir.parent / "appliance").glob("**/*.py"), *(web_dir.parent / "agi" / "checks").glob("*.py")]
    for path in domain:
        for match in DOMAIN_MSGID_RE.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group("id"))
    for path in [*web_dir.glob("**/*.py"), *web_dir.glob("views/*.tpl")]:
        for match in MSGID_RE.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group("id").encode().decode("unicode_escape") if "\\" in match.group("id")
                      else match.group("id"))
    return found


def update_catalog(lang="zh"):
    """Add msgids missing from the .po (empty translations) and list obsolete ones.
    `python -m web.i18n` runs it; a translator then fills in the empty msgstr."""
    from babel.messages.pofile import write_po
    catalog = load_catalog(lang)
    wanted = extract_msgids()
    added = sorted(m for m in wanted if m not in catalog)
    for msgid in added:
        catalog.add(msgid, "")
    with open(po_path(lang), "wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True, omit_header=False)
    obsolete = sorted(m.id for m in catalog if m.id and m.id not in wanted)
    return added, obsolete


if __name__ == "__main__":
    added, obsolete = update_catalog()
    print(f"added {len(added)} msgid(s); obsolete: {', '.join(obsolete) or 'none'}")
