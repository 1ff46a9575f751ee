"""SMS texts the IVR sends, from agi/sms_texts.toml (the one place they are written)."""
import functools
import tomllib
from pathlib import Path

TEXTS_FILE = Path(__file__).with_name("sms_texts.toml")


@functools.cache
def _texts():
    with open(TEXTS_FILE, "rb") as fh:
        return tomllib.load(fh)


def word(table, key, language="zh"):
    pair = _texts()["words"][table].get(key)
    return (pair[0] if language == "zh" else pair[1]) if pair else key


def sms_text(text_name, language, config, **fields):
    """The text `text_name` in the caller's language, filled in."""
    entry = _texts()[text_name]
    values = {"company": config["company_name"], "hotline": config["hotline"], "branch": config["branch_name"]}
    values.update(fields)
    return entry.get(language, entry["zh"]).format(**values)
