"""The mailer: sends queued mails through the relay, one at a time (`appliance run mailer`).

Crash rules, as for SMS (DESIGN.md section 3):
- a mail is claimed (state `sending`, claimed_by this box, attempted_at now) in a
  committed transaction before the relay hears of it;
- at start, this box's mails still `sending` were interrupted (kill -9, power cut while
  the relay had them): they become `unknown`, never re-sent silently (the relay may
  have taken them); an admin may queue one again on purpose (requeue());
- the outcome is committed after the relay answers: `sent`; back to `queued` with a
  later next_attempt_at after a 4xx or a lost connection (retry_base doubling, at most
  mail.max_attempts tries); `failed` after a 5xx, recorded against the contact
  (Customer.email_failed_at, the audit log).
Windows: a mail waits for not_before and is `expired` once not_after has passed,
never sent late. The hourly cap counts the mails handed to the relay (attempted_at)
in the last hour; at the cap the mailer waits.
"""
import datetime
import logging

from peewee import fn

from appliance import clock, db as dbmod
from appliance.cluster.identity import box_name
from appliance.daemon import Loop, serve
from appliance.mail import relay
from appliance.mail.compose import to_email
from appliance.mail.models import MailMessage
from appliance.models import Customer, audit
from appliance.privacy import mask_email

log = logging.getLogger(__name__)

HOUR = datetime.timedelta(hours=1)
STEP_MAILS = 50  # at most this many mails per step: a step stays well inside STALL
STALL = 30 * 60


@dbmod.retry_writes
def recover(config, now=None):
    """This box's mails left `sending` by a crash become `unknown`; returns how many."""
    now = now or clock.now()
    with dbmod.write_transaction():
        count = (MailMessage.update(state="unknown", updated_at=now,
                                    failure_reason="interrupted while the relay had it; not sent again")
                 .where(MailMessage.state == "sending", MailMessage.claimed_by == box_name(config)).execute())
    if count:
        log.warning("mailer: %d mail(s) interrupted mid-send are now unknown (never re-sent silently)", count)
    return count


@dbmod.retry_writes
def expire(now):
    """Queued mails whose window has closed become `expired`; returns how many."""
    with dbmod.write_transaction():
        return (MailMessage.update(state="expired", updated_at=now, failure_reason="the sending window closed")
                .where(MailMessage.state == "queued", MailMessage.not_after.is_null(False),
                       MailMessage.not_after <= now).execute())


def sent_last_hour(now):
    return MailMessage.select().where(MailMessage.attempted_at > now - HOUR).count()


def room(config, now):
    """How many more mails the hourly cap allows now (None: no cap)."""
    cap = config["mail.per_hour_cap"]
    return None if not cap else max(0, cap - sent_last_hour(now))


def _due(now):
    return ((MailMessage.state == "queued")
            & (MailMessage.not_before.is_null() | (MailMessage.not_before <= now))
            & (MailMessage.next_attempt_at.is_null() | (MailMessage.next_attempt_at <= now))
            & (MailMessage.not_after.is_null() | (MailMessage.not_after > now)))


@dbmod.retry_writes
def claim(config, now):
    """The next due mail, claimed (state `sending`, committed), or None. The UPDATE's row
    count decides, so two mailers (two boxes on one database) never claim one mail."""
    with dbmod.write_transaction():
        for mail in MailMessage.select().where(_due(now)).order_by(MailMessage.priority, MailMessage.id).limit(5):
            taken = (MailMessage.update(state="sending", claimed_by=box_name(config), attempted_at=now,
                                        attempts=MailMessage.attempts + 1, updated_at=now)
                     .where(MailMessage.id == mail.id, MailMessage.state == "queued").execute())
            if taken:
                return MailMessage.get_by_id(mail.id)
    return None


@dbmod.retry_writes
def _finish(mail_id, **values):
    with dbmod.write_transaction():
        MailMessage.update(**values).where(MailMessage.id == mail_id, MailMessage.state == "sending").execute()


def backoff(config, attempts):
    """Seconds before try number attempts + 1: retry_base, doubling, at most a day."""
    return min(config["mail.retry_base"] * 2 ** (attempts - 1), 86400.0)


def send_one(config, mail, now=None):
    """Hand claimed `mail` to the relay and commit the outcome; returns its new state."""
    try:
        answer = relay.deliver(config, to_email(mail, config["mail.from"], now))
    except relay.Rejected as exc:
        return _rejected(mail, exc, now)
    except relay.Retry as exc:
        return _retry(config, mail, exc, now)
    _finish(mail.id, state="sent", sent_at=clock.now(), updated_at=clock.now(), smtp_code=250,
            failure_reason="", next_attempt_at=None)
    log.info("mail %s sent to %s: %s", mail.id, mask_email(mail.to_address), answer)
    return "sent"


def _retry(config, mail, exc, now):
    now = now or clock.now()
    if mail.attempts >= config["mail.max_attempts"]:
        _finish(mail.id, state="failed", updated_at=now, smtp_code=exc.code,
                failure_reason=f"gave up after {mail.attempts} tries: {exc}"[:250])
        log.warning("mail %s failed after %d tries: %s", mail.id, mail.attempts, exc)
        return "failed"
    wait = backoff(config, mail.attempts)
    _finish(mail.id, state="queued", updated_at=now, smtp_code=exc.code, failure_reason=str(exc)[:250],
            next_attempt_at=now + datetime.timedelta(seconds=wait))
    log.warning("mail %s: %s; trying again in %.0f s", mail.id, exc, wait)
    return "queued"


def _rejected(mail, exc, now):
    """A 5xx: the mail fails and the failure is recorded against the contact."""
    now = now or clock.now()
    with dbmod.write_transaction():
        MailMessage.update(state="failed", updated_at=now, smtp_code=exc.code, failure_reason=str(exc)[:250]).where(
            MailMessage.id == mail.id, MailMessage.state == "sending").execute()
        if mail.customer_id:
            Customer.update(email_failed_at=now).where(Customer.id == mail.customer_id).execute()
            audit("mailer", "mail.fail", f"customer:{mail.customer_id}", f"mail {mail.id}: {exc}", "mailer")
    log.warning("mail %s to %s refused by the relay: %s", mail.id, mask_email(mail.to_address), exc)
    return "failed"


def step(config, now=None):
    """Expire, then send what is due within the cap (STEP_MAILS at most, and none after one
    put back for a retry: a relay that is down costs one timeout a step, not one a mail);
    returns {state: count} of what was sent or tried. Without mail.host nothing is sent."""
    done = {}
    expire(now or clock.now())
    if not config["mail.host"]:
        return done
    for _ in range(STEP_MAILS):
        moment = now or clock.now()
        left = room(config, moment)
        if left == 0:
            done["capped"] = 1
            break
        mail = claim(config, moment)
        if mail is None:
            break
        state = send_one(config, mail, now)
        done[state] = done.get(state, 0) + 1
        if state == "queued":  # the relay said "later" or could not be reached: not the next mail now either
            break
    return done


def requeue(mail_id, actor, now=None, source="cli"):
    """Queue an `unknown` or `failed` mail again on purpose (the admin checked it did not go)."""
    now = now or clock.now()
    with dbmod.write_transaction():
        count = (MailMessage.update(state="queued", next_attempt_at=None, attempts=0, updated_at=now,
                                    failure_reason="")
                 .where(MailMessage.id == mail_id, MailMessage.state.in_(("unknown", "failed"))).execute())
        if count:
            audit(actor, "mail.requeue", f"mail:{mail_id}", "", source)
    return bool(count)


def counts():
    """{state: count} over the whole mail outbox."""
    return dict(MailMessage.select(MailMessage.state, fn.COUNT(MailMessage.id))
                .group_by(MailMessage.state).tuples())


def main(config):
    """`appliance run mailer`: recover, then a step every mail.poll seconds until SIGTERM."""
    recover(config)
    loop = Loop("mailer", lambda: step(config), config["mail.poll"], STALL)
    return serve("mailer", loop.start, loop.stop, loop.alive)
