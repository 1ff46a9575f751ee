"""The e-mail outbox (邮件): every mail with its state in words, newest first, filtered by
state; addresses masked for roles that do not see mobiles. An interrupted (unknown) or
failed mail can be queued again on purpose, once someone checked it did not arrive."""
from peewee import JOIN

from appliance.errors import InputError
from appliance.mail import mailer
from appliance.mail.models import MAIL_STATES, MailMessage
from appliance.models import Customer
from web.pages import N_, keyset_page, page, page_url
from web.pages.confirm import ask_first

# A mail's state in words (the codes are the CLI's and the API's).
STATE_LABELS = {
    "queued": N_("waiting to be sent"), "sending": N_("with the mail server now"),
    "sent": N_("accepted by the mail server"), "failed": N_("failed (refused or given up)"),
    "expired": N_("not sent: its sending window closed"),
    "unknown": N_("interrupted while sending; may have arrived (not sent again)"),
    "cancelled": N_("cancelled"),
}
REQUEUE_QUESTION = N_("Send mail {id} again? Only if you checked it did not arrive: it may reach the customer twice.")


@page("/mail", "view", nav=("E-mail", 42))
def mail_page(ctx):
    state = ctx.query("state")
    query = MailMessage.select(MailMessage, Customer).join(Customer, JOIN.LEFT_OUTER)
    if state:
        if state not in MAIL_STATES:
            raise InputError.of(N_("{field}: unknown state"), field="state")
        query = query.where(MailMessage.state == state)
    rows, next_before = keyset_page(query, MailMessage.id, ctx.query_int("before"))
    return ctx.render("mail", title=ctx._("E-mail"), rows=rows, state=state, states=MAIL_STATES,
                      labels=STATE_LABELS, address=lambda a: ctx.email(a),
                      next_url=page_url("/mail", state=state, before=next_before) if next_before else None)


@page("/mail/{mail_id:int}/requeue", "send", method="POST")
def mail_requeue(ctx, mail_id):
    ask_first(ctx, ctx._(REQUEUE_QUESTION).format(id=mail_id), ctx._("Send again"), "/mail")
    if not mailer.requeue(mail_id, actor=ctx.user.username, source=ctx.source):
        raise InputError.of(N_("{field}: only an interrupted or failed mail can be sent again"), field="id")
    ctx.redirect("/mail", "ok", ctx._("Mail {id} queued again.").format(id=mail_id))
