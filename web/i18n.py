"""Page texts from one gettext catalogue: web/locale/<lang>/LC_MESSAGES/web.po.

Message ids are English; zh (Simplified Chinese) is the default language and
en shows the ids themselves. The .po file is read with Babel at start-up, so
there is no compiled .mo to keep in step with it.
"""
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "web"
LANGUAGES = ("zh", "en")
_cache = {}


def po_path(lang):
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(lang):
    with open(po_path(lang), "rb") as fh:
        return read_po(fh, locale=lang)


def translations(lang):
    """A gettext translations object for `lang` (en, or unknown: the ids)."""
    if lang not in _cache:
        if lang != "en" and po_path(lang).exists():
            buffer = io.BytesIO()
            write_mo(buffer, load_catalog(lang))
            buffer.seek(0)
            _cache[lang] = gettext.GNUTranslations(buffer)
        else:
            _cache[lang] = gettext.NullTranslations()
    return _cache[lang]


def gettext_for(lang):
    return translations(lang if lang in LANGUAGES else "zh").gettext
