"""`appliance doctor`'s e-mail line (entry point appliance.doctor `mail`): does the relay
answer, take STARTTLS and our credentials; are mails waiting with no relay set, or left
interrupted (`unknown`) for someone to check."""
import peewee

from appliance.errors import N_
from appliance.mail import relay
from appliance.mail.models import MailMessage
from appliance.system.checks import said


def _count(state):
    try:
        return MailMessage.select().where(MailMessage.state == state).count()
    except peewee.DatabaseError:  # a database not migrated yet: the migrations line says so
        return 0


def doctor_check(config):
    return [_relay_line(config), *_unknown_lines()]


def _relay_line(config):
    what = said(N_("e-mail relay"))
    if not config["mail.host"]:
        waiting = _count("queued")
        if waiting:
            return ("warn", what, said(N_("not set (mail.host): {n} mail(s) waiting"), n=waiting))
        return ("ok", what, said(N_("not set (mail.host): nothing is sent by e-mail")))
    try:
        relay.probe(config)
    except (relay.Retry, relay.Rejected) as exc:
        return ("fail", what, said(N_("{detail}: check the [mail] settings"), detail=str(exc)))
    return ("ok", what, said(N_("{host}:{port} answers"), host=config["mail.host"], port=config["mail.port"]))


def _unknown_lines():
    unknown = _count("unknown")
    if not unknown:
        return []
    return [("warn", said(N_("e-mail")), said(
        N_("{n} mail(s) interrupted while sending: check whether they arrived, then appliance mail requeue ID"),
        n=unknown))]
