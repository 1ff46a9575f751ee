"""SMS templates: defaults from notice_templates.toml, admins' edits in the
database, and rendering with variables ({salutation}, {policy_no}, …).

Marketing texts get the opt-out hint (回T退订) appended when they lack it.
"""
import difflib
import functools
import string
import tomllib
from pathlib import Path

from appliance import clock
from appliance.errors import N_, InputError, NotFound
from appliance.services.models import LANGUAGES, Template
from appliance.sms.models import CATEGORIES

# A render without a variable's value (the send page tells the variables the box fills in apart).
NO_VALUE = N_("template {key}: no value for variable {{{name}}}")

DEFAULTS_FILE = Path(__file__).with_name("notice_templates.toml")
_formatter = string.Formatter()


@functools.cache
def _catalogue():
    with open(DEFAULTS_FILE, "rb") as fh:
        return tomllib.load(fh)


def defaults():
    """Default templates by key: {'title', 'category', 'zh', 'en'}."""
    return {k: v for k, v in _catalogue().items() if k != "words"}


def word(table, key, language="zh"):
    """A word used inside texts (a status, a festival name) in one language."""
    pair = _catalogue()["words"].get(table, {}).get(key)
    if not pair:
        return key
    return pair[0] if language == "zh" else pair[1]


def check_language(language):
    if language not in LANGUAGES:
        raise InputError.of(N_("{field}: must be zh or en, got {language!r}"), field="language", language=language)
    return language


def variables_of(text):
    """The {names} a template text uses; InputError if the braces are malformed."""
    try:
        return {name for _, name, _, _ in _formatter.parse(text) if name}
    except ValueError as exc:
        raise InputError.of(N_("{field}: bad braces in template ({exc})"), field="text", exc=exc) from None


# Variables senders fill in that no default text happens to use.
EXTRA_VARIABLES = {"branch", "sum_assured", "badge_no"}


@functools.cache
def known_variables():
    """Every variable some sender fills in: those the default texts use, plus a few."""
    names = set(EXTRA_VARIABLES)
    for default in defaults().values():
        for language in LANGUAGES:
            names |= variables_of(default.get(language) or "")
    return frozenset(names)


def check_variables(text):
    """InputError naming `text` when it uses a variable no sender fills in ({nmae})."""
    unknown = sorted(variables_of(text) - known_variables())
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], sorted(known_variables()), n=1)
    if close:
        raise InputError.of(N_("{field}: unknown variable {{{name}}}; did you mean {{{close}}}?"), field="text",
                            name=unknown[0], close=close[0])
    raise InputError.of(N_("{field}: unknown variable {{{name}}}"), field="text", name=unknown[0])


def get(key, language="zh"):
    """(text, category) of template `key` in `language`: the admin's edit if any,
    else the default; English falls back to Chinese when it has no text."""
    check_language(language)
    rows = {t.language: t for t in Template.select().where(Template.key == key)}
    default = defaults().get(key)
    if not rows and default is None:
        raise NotFound.of(N_("{field}: no template named {key!r}"), field="template", key=key)
    edited = rows.get(language) or rows.get("zh") or next(iter(rows.values()), None)
    category = edited.category if edited else default["category"]
    for lang in (language, "zh"):
        if lang in rows:
            return rows[lang].text, category
        if default and default.get(lang):
            return default[lang], category
    raise NotFound.of(N_("{field}: {key!r} has no text"), field="template", key=key)


def put(key, language, text, category=None, title="", user=""):
    """Store an admin's version of a template (a new key needs a category)."""
    check_language(language)
    if not key or not key.replace("_", "").replace("-", "").isalnum():
        raise InputError.of(N_("{field}: {key!r} must be letters, digits, '_' or '-'"), field="key", key=key)
    if not text.strip():
        raise InputError.of(N_("{field}: empty"), field="text")
    check_variables(text)
    default = defaults().get(key)
    category = category or (default["category"] if default else None)
    existing = Template.get_or_none(Template.key == key, Template.language == language)
    if category is None:
        category = existing.category if existing else "service"
    if category not in CATEGORIES:
        raise InputError.of(N_("{field}: must be one of {choices}"), field="category", choices=', '.join(CATEGORIES))
    if existing:
        existing.text, existing.category, existing.updated_at, existing.updated_by = text, category, clock.now(), user
        existing.title = title or existing.title
        existing.save()
        return existing
    return Template.create(key=key, language=language, text=text, category=category,
                           title=title or (default or {}).get("title", ""), updated_by=user)


def reset(key, language):
    """Forget an admin's edit: the default applies again."""
    return Template.delete().where(Template.key == key, Template.language == language).execute()


def listing():
    """Every template key with its title, category, texts and whether it was edited."""
    rows = {}
    for key, default in defaults().items():
        rows[key] = {"key": key, "title": default.get("title", ""), "category": default["category"],
                     "zh": default.get("zh", ""), "en": default.get("en", ""), "edited": []}
    for t in Template.select().order_by(Template.key, Template.language):
        row = rows.setdefault(t.key, {"key": t.key, "title": t.title, "category": t.category,
                                      "zh": "", "en": "", "edited": []})
        row[t.language] = t.text
        row["category"] = t.category
        row["edited"].append(t.language)
    return list(rows.values())


class Renderer:
    """Renders one template for many recipients: looks it up once (bulk sends)."""

    def __init__(self, key=None, config=None, text=None, category=None):
        self.key = key
        self.config = config
        self.texts = {}
        if text is not None:
            variables_of(text)
            self.texts = {"zh": text, "en": text}
            self.category = category or "service"
        else:
            for language in LANGUAGES:
                self.texts[language], self.category = get(key, language)
            self.category = category or self.category
        self.hint = {lang: get("optout_hint", lang)[0] for lang in LANGUAGES}
        self.common = common_variables(config)

    def variables(self):
        return set().union(*(variables_of(t) for t in self.texts.values()))

    def render(self, variables, language="zh", hint=True):
        """The text for one recipient; InputError naming a variable it lacks. Without
        `hint` a marketing text is left without the SMS opt-out hint (e-mail has its own)."""
        values = dict(self.common)
        values.update(variables)
        text = self.texts.get(language) or self.texts["zh"]
        try:
            text = text.format_map(values)
        except KeyError as exc:
            name = exc.args[0]
            raise InputError.of(NO_VALUE, field=name, key=self.key or '(text)', name=name) from None
        except (ValueError, IndexError) as exc:
            raise InputError.of(N_("template {key}: {exc}"), field="text", key=self.key or '(text)', exc=exc) from None
        if self.category == "marketing" and hint:
            hint = self.hint.get(language) or self.hint["zh"]
            if hint not in text:
                text = f"{text}{'' if language == 'zh' else ' '}{hint}"
        return text


def common_variables(config):
    """Variables every template knows: {company}, {hotline}, {branch}."""
    if config is None:
        from appliance.config import Config
        config = Config()
    return {"company": config["company_name"], "hotline": config["hotline"], "branch": config["branch_name"]}


def render(key, variables, config=None, language="zh"):
    """Render template `key` once (see Renderer for many)."""
    return Renderer(key, config).render(variables, language)
