"""A ticket answer goes by e-mail to a customer who prefers it: the whole answer, once per
answer, in the same transaction as the answer, and the relay receives it."""
import datetime

from mail_support import make_customer

from appliance.ivr.tickets import open_ticket
from appliance.mail import mailer
from appliance.mail.models import MailMessage
from appliance.sms.models import Message
from appliance.tickets import lifecycle

NOW = datetime.datetime(2026, 12, 1, 2, 0)
LONG = "您反映的理赔进度问题已核实：材料已齐全，理赔款将于三个工作日内转入您的账户，" * 4


def test_the_answer_is_mailed_whole_to_a_customer_who_prefers_mail(mail_config, smtp_server):
    holder = make_customer(email="holder@example.com")
    ticket = open_ticket("complaint", "sms", number=holder.mobile, customer=holder, text="理赔太慢", now=NOW)
    ticket = lifecycle.answer(ticket, by="wang", text=LONG, config=mail_config, now=NOW)
    (mail,) = MailMessage.select()
    assert (mail.kind, mail.category, mail.customer_id) == ("ticket_answered", "service", holder.id)
    assert Message.select().where(Message.customer == holder.id).count() == 0  # no SMS besides
    assert lifecycle.history(ticket)[-1].action == "notified"
    assert mailer.step(mail_config, NOW) == {"sent": 1}
    (got,) = smtp_server.handler.received
    assert got["Subject"] == "【平安保险】工单已答复"
    assert LONG in got.get_body(("plain",)).get_content()  # not shortened as for SMS
    assert ticket.number in got.get_body(("html",)).get_content()
