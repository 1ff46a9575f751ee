"""`appliance doctor`'s checks of the box, one module each (appliance/doctor.py runs them).

A check returns (status, what, detail) lines, status ok|warn|fail. `what` and `detail` are
Said texts where they come from here: str() is the English, and `appliance doctor` says
them in the box's language (setting `language`) through the admin page's catalogue
(web/locale/*/web.po, reached through the `appliance.texts` entry point: the domain
imports no web code). A line that is not ok says what to do.
"""
class Said(str):
    """A text in English (its str) that knows its msgid and values, to be said in another language."""

    def __new__(cls, msgid, **values):
        self = super().__new__(cls, msgid.format(**values))
        self.msgid, self.values = msgid, values
        return self

    def said_in(self, gettext):
        return gettext(self.msgid).format(**{k: in_language(v, gettext) for k, v in self.values.items()})


class Joined(str):
    """Said texts joined by `separator`, each said in the other language in its turn."""

    def __new__(cls, parts, separator="; "):
        self = super().__new__(cls, separator.join(parts))
        self.parts, self.separator = list(parts), separator
        return self

    def said_in(self, gettext):
        return self.separator.join(in_language(part, gettext) for part in self.parts)


def said(msgid, **values):
    return Said(msgid, **values)


def in_language(text, gettext):
    """The text in the language of `gettext` when it is a Said (or Joined), else as it is."""
    return text.said_in(gettext) if isinstance(text, (Said, Joined)) else str(text)
