"""IVR prompt files: the catalogue (appliance/ivr/prompts.toml) and the WAV files
under data_dir/prompts/, as the command line and the admin page see them.

Layout under data_dir/prompts/:
    zh/NAME.wav, en/NAME.wav            generated defaults (8 kHz 16-bit mono)
    custom/zh/NAME.wav, custom/en/…     admins' replacements, used first
    cache/zh/HASH.wav, cache/en/…       dynamic texts (names) spoken at call time
    {zh,en}/.manifest.json             text each default was built from

Building defaults (espeak-ng) and finding prompts at call time live in
agi/prompts.py; this module converts, checks, installs and removes admins'
replacements, which needs only sox.
"""
import functools
import os
import subprocess
import tempfile
import tomllib
from pathlib import Path

from appliance.errors import N_, InputError, NotFound

CATALOGUE_FILE = Path(__file__).with_name("prompts.toml")
LANGUAGES = ("zh", "en")
SOX_OUT = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
MIN_SECONDS, MAX_SECONDS = 0.2, 300.0


@functools.cache
def catalogue():
    """{name: {'zh': text, 'en': text, 'dynamic': bool}} from prompts.toml."""
    with open(CATALOGUE_FILE, "rb") as fh:
        return tomllib.load(fh)


def playable(name):
    """Is `name` a prompt a menu can play (a catalogue entry, default or uploaded)?"""
    entry = catalogue().get(name)
    return entry is not None and not entry.get("dynamic")


def check_name(name, label="NAME"):
    """NAME if it is a prompt an admin can replace; InputError otherwise
    (NotFound, so the web answers 404). Only catalogue names pass, so a name
    is always safe to use in a path."""
    if name not in catalogue() or catalogue()[name].get("dynamic"):
        raise NotFound.of(N_("{field}: unknown prompt '{name}' (see `appliance prompts list`)"),
                          field=label, name=name)
    return name


def check_language(language, label="--lang"):
    if language not in LANGUAGES:
        raise InputError.of(N_("{field}: must be zh or en, got {language!r}"),
                            field=label, language=language)
    return language


def prompts_dir(config):
    return Path(config.data_dir) / "prompts"


def default_path(config, name, language):
    return prompts_dir(config) / language / f"{name}.wav"


def custom_path(config, name, language):
    return prompts_dir(config) / "custom" / language / f"{name}.wav"


def fill(template, config, **fields):
    # English prompts say {company_en}: a Chinese name read out in English is nonsense.
    values = {"company": config["company_name"], "company_en": config["company_name_en"] or config["company_name"],
              "hotline": config["hotline"], "branch": config["branch_name"]}
    values.update(fields)
    return template.format(**values)


def state(config, name, language):
    """'custom' (an admin's replacement), 'default', '' (not built yet) or
    'n/a' (the prompt has no text in this language)."""
    if custom_path(config, name, language).exists():
        return "custom"
    if default_path(config, name, language).exists():
        return "default"
    return "" if language in catalogue()[name] else "n/a"


def listing(config):
    """Every replaceable prompt with its texts and which files exist."""
    rows = []
    for name, entry in catalogue().items():
        if entry.get("dynamic"):
            continue
        row = {"name": name, "zh": entry.get("zh", ""), "en": entry.get("en", "")}
        for language in LANGUAGES:
            row[f"{language}_file"] = state(config, name, language)
        rows.append(row)
    return rows


def audio_file(config, name, language, default=False):
    """The WAV callers hear for NAME in LANGUAGE (the replacement first, or the
    default when asked), or NotFound."""
    check_name(name)
    if language not in LANGUAGES:
        raise NotFound.of(N_("{field}: no language {language!r} (zh or en)"), field="lang", language=language)
    candidates = [default_path(config, name, language)]
    if not default:
        candidates.insert(0, custom_path(config, name, language))
    for path in candidates:
        if path.exists():
            return path
    msgid = (N_("{field}: prompt '{name}' has no default {language} audio file") if default
             else N_("{field}: prompt '{name}' has no {language} audio file"))
    raise NotFound.of(msgid, field="lang", name=name, language=language)


# --- admins' replacements -------------------------------------------------------------

def _sox_stat(path):
    """Duration (s) and maximum amplitude of an audio file, via sox."""
    result = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ValueError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "sox failed")
    stats = {}
    for line in result.stderr.splitlines():
        key, _, value = line.partition(":")
        stats[key.strip()] = value.strip()
    return float(stats.get("Length (seconds)", 0)), float(stats.get("Maximum amplitude", 0))


def install(config, name, source, language="zh", field="FILE", shown=None):
    """Convert an audio file with sox into the custom prompt NAME and check it.
    Bad audio raises InputError naming `field` and the file (`shown`, default
    the path); the old prompt stays. Returns (target path, seconds)."""
    check_name(name)
    check_language(language)
    source = Path(source)
    shown = shown or str(source)
    if not source.is_file():
        raise InputError.of(N_("{field}: {shown} does not exist"), field=field, shown=shown)
    target = custom_path(config, name, language)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        converted = Path(tmp) / "converted.wav"
        try:
            result = subprocess.run(["sox", "-q", str(source), *SOX_OUT, str(converted)],
                                    capture_output=True, text=True, timeout=120)
        except FileNotFoundError:
            raise InputError.of(N_("{field}: cannot convert {shown}: sox is not installed"),
                                field=field, shown=shown) from None
        if result.returncode != 0 or not converted.exists():
            reason = (result.stderr.strip().splitlines() or ["sox cannot read it"])[-1]
            reason = reason.removeprefix("sox FAIL formats: ").replace(str(source), shown)
            raise InputError.of(N_("{field}: {shown} is not audio sox can read ({reason})"),
                                field=field, shown=shown, reason=reason)
        try:
            seconds, peak = _sox_stat(converted)
        except ValueError as exc:
            raise InputError.of(N_("{field}: {shown}: {exc}"), field=field, shown=shown, exc=exc) from None
        if seconds < MIN_SECONDS:
            raise InputError.of(N_("{field}: {shown} is too short ({seconds:.2f} s, at least {least} s)"),
                                field=field, shown=shown, seconds=seconds, least=MIN_SECONDS)
        if seconds > MAX_SECONDS:
            raise InputError.of(N_("{field}: {shown} is too long ({seconds:.0f} s, at most {most:.0f} s)"),
                                field=field, shown=shown, seconds=seconds, most=MAX_SECONDS)
        if peak < 0.01:
            raise InputError.of(N_("{field}: {shown} is silent"), field=field, shown=shown)
        os.replace(converted, target)  # atomic: a call never plays half a file
    return target, seconds


def restore_default(config, name, language):
    """Remove the admin's replacement of NAME, so callers hear the default
    again. Returns False when there was none."""
    check_name(name)
    check_language(language)
    try:
        custom_path(config, name, language).unlink()
    except FileNotFoundError:
        return False
    return True
