"""smsd against simulated modems on real ptys, when modems misbehave and smsd
stops at the worst moment: malformed answers of every kind, a part left without an
answer, a long message retried, inbound re-read after a crash, delivery reports
that come while smsd is down."""
import time

from appliance.models import AuditLog
from appliance.sms import inbox, outbox
from appliance.sms.models import InboundMessage, InboundPart, Message, MessagePart, ModemStatus
from modem import pdu
from modem.at import AtPort, PortGone

SENDER = "+8613912345678"


def state_of(message_id):
    return Message.get_by_id(message_id).state


def test_malformed_answers_of_each_kind_and_the_modem_keeps_sending(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    smsd = start_smsd(sims)
    sims.control.fault("gsm0", "answer", text="\n+CMGS: x\n\nOK\n")          # OK, reference unreadable
    first = outbox.queue_message("13800138000", "reference unreadable")
    wait_for(lambda: state_of(first.id) == "sent", 10, "sent without a reference")
    assert MessagePart.get(MessagePart.message == first.id).reference is None
    sims.control.fault("gsm0", "answer", text="\n+CMS ERROR: 5²00\n")         # not an ASCII number
    second = outbox.queue_message("13800138000", "odd error code")
    wait_for(lambda: state_of(second.id) == "delivered", 10, "delivered on the retry")
    assert MessagePart.get(MessagePart.message == second.id).attempts == 2
    # Unsolicited lines that cannot be read, in one burst with good ones.
    sims.control.fault("gsm0", "quiet")                                      # stored, no +CMTI
    sims.control.inject("gsm0", pdu.build_deliver(SENDER, "查询保单"))
    index = next(iter(sims.control.store("gsm0")))
    sims.control.fault("gsm0", "say", text='\n+CMTI: "SM",x\n\n+CDSI: "SR",²\n\n+CSQ: 1²,9\n\n+CREG: x,y\n'
                                           f'\n+CMTI: "SM",{index}\n')
    wait_for(lambda: InboundMessage.select().count() == 1, 10, "the good +CMTI read")
    sims.control.inject("gsm0", pdu.build_deliver(SENDER, "第二条"))
    index = next(iter(sims.control.store("gsm0")))
    sims.control.fault("gsm0", "say", text=f'\nRDY\n\n+CMTI: "SM",{index}\n')  # rebooted, then a message
    wait_for(lambda: InboundMessage.select().count() == 2, 10, "the message after RDY read")
    wait_for(lambda: sims.control.store("gsm0") == {}, 10, "both deleted from the SIM")
    smsd.wait_ready(1)
    last = [outbox.queue_message("13800138000", f"still sending {i}").id for i in range(3)]
    wait_for(lambda: all(state_of(i) == "delivered" for i in last), 10, "the modem keeps sending")
    assert smsd.worker("gsm0").state == "ok"


def test_a_retried_long_message_leaves_from_one_sim(make_sims, start_smsd, wait_for):
    sims = make_sims(2)
    start_smsd(sims)
    sims.control.fault("gsm0", "cms", code=42, after=1)        # part 2 meets congestion on gsm0
    message = outbox.queue_message("13800138000", "长" * 200)   # 3 parts; China Mobile: gsm0 first
    wait_for(lambda: state_of(message.id) == "delivered", 15, "delivered")
    records = [r for r in sims.air(result=None) if pdu.decode(r["pdu"])["concat"]]
    assert [(r["modem"], r["result"]) for r in records] == [
        ("gsm0", "ok"), ("gsm0", "+CMS ERROR: 42"), ("gsm0", "ok"), ("gsm0", "ok")]
    assert {p.modem for p in MessagePart.select().where(MessagePart.message == message.id)} == {"gsm0"}


def test_a_modem_silent_after_the_pdu_is_alarmed_long_before_submit_timeout(make_sims, start_smsd, wait_for):
    sims = make_sims(1, latency=0.5)
    start_smsd(sims, modems__submit_timeout=8.0)
    # Armed before the message is queued: the next submit takes the PDU, then nothing answers.
    # (Silencing the modem once the part was seen `sending` raced its answer under load.)
    sims.control.fault("gsm0", "silence_after_pdu", seconds=60)
    message = outbox.queue_message("13800138000", "no answer")
    wait_for(lambda: MessagePart.get_or_none((MessagePart.message == message.id) &
                                             (MessagePart.state == "sending")), 5, "sending")
    started = time.monotonic()
    wait_for(lambda: "no answer to AT+CMGS" in (ModemStatus.get_or_none(ModemStatus.port == "gsm0") or
                                                ModemStatus()).alarm, 10, "the alarm")
    assert time.monotonic() - started < 10 and state_of(message.id) == "sending"
    assert AuditLog.select().where(AuditLog.action == "modem.alarm").exists()


def test_killed_between_the_inbound_commit_and_the_delete_one_message(make_sims, start_smsd, wait_for,
                                                                      monkeypatch):
    sims = make_sims(1)
    real_command = AtPort.command
    crash = []

    def crash_before_delete(port, command, timeout=None):
        if crash and command.startswith("AT+CMGD"):
            raise PortGone("smsd killed")  # committed, never deleted
        return real_command(port, command, timeout)

    monkeypatch.setattr(AtPort, "command", crash_before_delete)
    first = start_smsd(sims)
    text = "请帮我查询一下保单的缴费情况，谢谢。" * 6   # 2 parts
    one, two = pdu.deliver_parts(SENDER, text, reference=33)
    sims.control.inject("gsm0", one)
    wait_for(lambda: InboundPart.select().count() == 1 and sims.control.store("gsm0") == {}, 10, "part 1 kept")
    crash.append(True)
    sims.control.inject("gsm0", two)                       # joins the message, then the crash
    wait_for(lambda: InboundMessage.select().count() == 1, 10, "joined")
    first.stop()
    assert len(sims.control.store("gsm0")) == 1            # part 2 still on the SIM
    monkeypatch.setattr(AtPort, "command", real_command)
    start_smsd(sims)                                       # reads the SIM store at start
    wait_for(lambda: sims.control.store("gsm0") == {}, 10, "re-read and deleted")
    assert InboundPart.select().count() == 0               # no orphan waiting for its sibling
    assert inbox.flush_incomplete(0) == []                 # so no second, incomplete message later
    assert [(m.text, m.complete) for m in InboundMessage.select()] == [(text, True)]


def test_delivery_reports_that_come_while_smsd_is_down_are_read_at_start(make_sims, start_smsd, wait_for):
    sims = make_sims(1, latency=0.01)                      # reports come 1 s after the submit
    first = start_smsd(sims)
    message = outbox.queue_message("13800138000", "report while down")
    wait_for(lambda: state_of(message.id) == "sent", 10, "sent")
    first.stop()
    wait_for(lambda: len(sims.control.store("gsm0")) == 1, 5, "the report stored on the SIM (+CDSI)")
    start_smsd(sims)
    wait_for(lambda: state_of(message.id) == "delivered", 10, "delivered")
    wait_for(lambda: sims.control.store("gsm0") == {}, 5, "the report deleted")
