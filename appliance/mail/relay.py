"""Handing one mail to the SMTP relay of the configuration (smtplib): STARTTLS, AUTH.

smtplib's exceptions are translated here into two of ours, so the mailer decides on
kinds, not on smtplib's classes:
- Retry: try again later (a 4xx answer, a connection refused, reset or timed out, a
  relay that would not do STARTTLS or refused our credentials — the relay's fault or
  ours, never the contact's);
- Rejected: the relay refused this mail for good (a 5xx to the sender, recipient or
  data): a failure recorded against the contact, never retried.
"""
import contextlib
import re
import smtplib
import socket
import ssl

from appliance.privacy import mask_email


class Retry(Exception):
    def __init__(self, reason, code=None):
        super().__init__(reason)
        self.code = code


class Rejected(Exception):
    def __init__(self, reason, code):
        super().__init__(reason)
        self.code = code


ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _reason(code, text):
    """The relay's answer on one line, any address in it masked (it goes to logs and pages)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = ADDRESS.sub(lambda m: mask_email(m.group(0)), " ".join(str(text).split()))
    return f"{code} {text}"[:240]


def _context(config):
    return ssl.create_default_context(cafile=config["mail.cafile"] or None)


@contextlib.contextmanager
def session(config):
    """An SMTP session with the relay, after STARTTLS and AUTH as configured. Raises Retry
    or Rejected (smtplib's errors translated here, inside the session too)."""
    host, port, timeout = config["mail.host"], config["mail.port"], config["mail.timeout"]
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if config["mail.starttls"]:
                smtp.starttls(context=_context(config))
                smtp.ehlo()
            if config["mail.username"]:
                smtp.login(config["mail.username"], config["mail.password"])
            yield smtp
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        _raise(code, text)
    except smtplib.SMTPAuthenticationError as exc:
        raise Retry(f"authentication refused: {_reason(exc.smtp_code, exc.smtp_error)}", exc.smtp_code) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise Retry(f"the relay does not offer it: {exc}") from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, HELO refused…
        _raise(exc.smtp_code, exc.smtp_error)
    except (smtplib.SMTPException, ssl.SSLError, socket.timeout, OSError) as exc:
        raise Retry(f"relay {host}:{port}: {exc.__class__.__name__}: {exc}") from None


def deliver(config, message):
    """Send `message` (an EmailMessage) through the relay; returns the relay's answer.
    Raises Retry or Rejected."""
    with session(config) as smtp:
        refused = smtp.send_message(message)
        if refused:  # some recipients refused: we send to one, so this is it
            code, text = next(iter(refused.values()))
            _raise(code, text)
    return "250 accepted"


def probe(config):
    """Open a session and close it (`appliance doctor`): Retry or Rejected when it fails."""
    with session(config) as smtp:
        smtp.noop()


def _raise(code, text):
    if 500 <= code < 600:
        raise Rejected(_reason(code, text), code)
    raise Retry(_reason(code, text), code)
