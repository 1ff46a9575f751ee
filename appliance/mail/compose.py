"""A mail from the SMS template catalogue (appliance/services/templates.py): the subject,
a text part and an HTML part, in the recipient's language.

- subject: the template's title in that language ("续期缴费提醒（投保人） / Renewal …"
  gives 续期缴费提醒), after the company's name; a text of one's own takes the given one;
- text part: the template rendered as for SMS, but a marketing mail ends with the mail's
  own opt-out line (template mail_optout_hint) instead of "回T退订";
- HTML part: the same text, every character escaped (the customer's facts and the
  admin's text are data, never markup), a paragraph per line.

to_email() turns a stored row into the MIME message the relay gets.
"""
import html
import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from appliance import clock
from appliance.services import templates
from appliance.services.models import Template

AUDIENCE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")  # "（投保人）": the admins' note of whom it is for
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def subject_of(key, language, config):
    """The mail subject of template `key`: its title's half in `language`, without the
    audience note, after the company's name."""
    row = Template.get_or_none(Template.key == key, Template.language == language)
    title = (row.title if row and row.title else "") or templates.defaults().get(key, {}).get("title", key)
    halves = re.split(r"\s*/\s+", title, maxsplit=1)
    half = halves[0] if language == "zh" or len(halves) == 1 else halves[1]
    return f"【{config['company_name']}】{AUDIENCE.sub('', half)}"


class Composer:
    """Composes one template's mail for many recipients (looked up once)."""

    def __init__(self, config, key=None, text=None, category=None, subject=None):
        self.config = config
        self.renderer = templates.Renderer(key, config, text=text, category=category)
        self.category = self.renderer.category
        self.key = key or ""
        self.subjects = {}
        self.subject = subject
        self.footer = templates.Renderer("mail_optout_hint", config) if self.category == "marketing" else None

    def compose(self, variables, language="zh"):
        """(subject, text part, HTML part) for one recipient; InputError naming a missing variable."""
        text = self.renderer.render(variables, language, hint=False)
        if self.footer is not None:
            text = f"{text}\n\n{self.footer.render({}, language, hint=False)}"
        return self._subject(language), text, html_part(text, language)

    def _subject(self, language):
        if self.subject:
            return self.subject
        if language not in self.subjects:
            self.subjects[language] = subject_of(self.key, language, self.config)
        return self.subjects[language]


def html_part(text, language="zh"):
    """The HTML twin of a text part: escaped, a paragraph per line (blank lines dropped)."""
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return (f'<!DOCTYPE html>\n<html lang="{HTML_LANG.get(language, "zh-CN")}">\n'
            f'<head><meta charset="utf-8"></head>\n<body>\n{paragraphs}\n</body>\n</html>\n')


def to_email(row, sender, now=None):
    """The MIME message (multipart/alternative: text, then HTML) of MailMessage `row`."""
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = row.to_address
    message["Date"] = format_datetime(clock.aware(now or clock.now()))
    domain = sender.rpartition("@")[2].strip("> ") or "appliance.invalid"
    message["Message-ID"] = make_msgid(f"mail{row.id}", domain=domain)
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message
