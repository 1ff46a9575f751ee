"""smsd (pool + dispatcher) against simulated modems on real ptys: sending in
every encoding, long messages, delivery reports, inbound in any order and across
restarts, faults (CMS errors, silence, garbage, unplug/replug), scheduling rules
and window ends."""
import datetime

from appliance.models import AuditLog, Customer
from appliance.sms import inbox, outbox
from appliance.sms.models import InboundMessage, InboundPart, Message, MessagePart, ModemStatus
from modem import pdu


def texts_on_air(sims):
    """Decoded (number, text) of every PDU accepted by the simulated network."""
    return [(i["number"], i["text"], i["concat"]) for i in (pdu.decode(r["pdu"]) for r in sims.air())]


def state_of(message_id):
    return Message.get_by_id(message_id).state


def test_send_every_encoding_and_get_delivery_reports(make_sims, start_smsd, wait_for):
    sims = make_sims(2)
    start_smsd(sims)
    texts = ["Plain 7-bit text @ 12:00", "Extension €[]{}^~|\\ chars", "您的保单已续保成功，谢谢！",
             "Emoji 😀🎉 and 中文"]
    ids = [outbox.queue_message("13800138000", t).id for t in texts]
    wait_for(lambda: all(state_of(i) == "delivered" for i in ids), 10, "all delivered")
    assert sorted(t for _, t, _ in texts_on_air(sims)) == sorted(texts)
    for message_id in ids:
        part = MessagePart.get(MessagePart.message == message_id)
        assert part.state == "delivered" and part.status_code == 0 and part.reference is not None
        assert part.modem in ("gsm0", "gsm1") and part.imsi.startswith("460")
        message = Message.get_by_id(message_id)
        assert message.sent_at is not None and message.final_at is not None


def test_ten_part_message_goes_out_whole_on_one_modem(make_sims, start_smsd, wait_for):
    sims = make_sims(3)
    start_smsd(sims)
    text = "".join(f"第{i}条：保单条款与理赔须知。" for i in range(60))[:660]
    message = outbox.queue_message("+8613800138000", text)
    assert message.part_count == 10
    wait_for(lambda: state_of(message.id) == "delivered", 15, "10-part message delivered")
    air = sims.air()
    assert len(air) == 10
    assert len({r["modem"] for r in air}) == 1   # one sender number, so the phone can join them
    decoded = [pdu.decode(r["pdu"]) for r in air]
    assert [d["concat"][1:] for d in decoded] == [(10, n) for n in range(1, 11)]
    assert len({d["concat"][0] for d in decoded}) == 1
    assert "".join(d["text"] for d in decoded) == text
    states = [p.state for p in MessagePart.select().where(MessagePart.message == message.id)]
    assert states == ["delivered"] * 10


def test_inbound_parts_out_of_order_are_joined_and_deleted_after_commit(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims)
    customer = Customer.create(name="王芳", mobile="13912345678")
    text = "您好，我想咨询一下我的保单续保和理赔进度，请尽快联系我。" * 6
    parts = pdu.deliver_parts("+8613912345678", text, reference=33)
    assert len(parts) == 3
    for hex_pdu in (parts[2], parts[0], parts[1]):
        sims.control.inject("gsm0", hex_pdu)
    message = wait_for(lambda: InboundMessage.get_or_none(), 10, "inbound message")
    assert message.text == text and message.complete and message.part_count == 3
    assert message.from_number == "+8613912345678" and message.customer_id == customer.id
    wait_for(lambda: sims.control.store("gsm0") == {}, 5, "SIM store emptied")
    assert InboundPart.select().count() == 0


def test_inbound_reassembly_survives_a_restart(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    smsd = start_smsd(sims)
    text = "Long English message from a customer about the renewal premium. " * 4
    parts = pdu.deliver_parts("+8613912345678", text, reference=5)
    sims.control.inject("gsm0", parts[1])
    wait_for(lambda: InboundPart.select().count() == 1, 5, "first part buffered")
    smsd.stop()
    start_smsd(sims)
    sims.control.inject("gsm0", parts[0])
    message = wait_for(lambda: InboundMessage.get_or_none(), 10, "joined after restart")
    assert message.text == text and message.complete


def test_incomplete_inbound_kept_after_timeout(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims, modems__concat_timeout=0.5)
    parts = pdu.deliver_parts("+8613912345678", "x" * 400, reference=8)
    sims.control.inject("gsm0", parts[0])
    sims.control.inject("gsm0", parts[2])
    message = wait_for(lambda: InboundMessage.get_or_none(), 10, "incomplete message kept")
    assert not message.complete and message.part_count == 3
    assert message.text == parts_text(parts[0]) + inbox.MISSING + parts_text(parts[2])


def parts_text(hex_pdu):
    return pdu.decode(hex_pdu)["text"]


def test_direct_cmt_and_missed_notifications_are_received(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims, modems__read_interval=0.5)
    sims.control.fault("gsm0", "direct")                    # +CMT: pushed, never stored
    sims.control.inject("gsm0", pdu.deliver_parts("+8613912345678", "直接送达")[0])
    sims.control.fault("gsm0", "direct", on=False)
    sims.control.fault("gsm0", "quiet")                     # stored, +CMTI lost
    sims.control.inject("gsm0", pdu.deliver_parts("+8613912345679", "通知丢失")[0])
    wait_for(lambda: InboundMessage.select().count() == 2, 10, "both received")
    assert {m.text for m in InboundMessage.select()} == {"直接送达", "通知丢失"}
    wait_for(lambda: sims.control.store("gsm0") == {}, 5, "store emptied by the full read")


def test_failed_delivery_report_fails_the_message_in_words(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims)
    sims.control.fault("gsm0", "report", status=0x41)
    message = outbox.queue_message("13800138000", "report test")
    wait_for(lambda: state_of(message.id) == "failed", 10, "failed by report")
    message = Message.get_by_id(message.id)
    assert message.failure_reason == "incompatible destination"
    assert MessagePart.get(MessagePart.message == message.id).status_code == 0x41


def test_transient_cms_error_retried_on_another_modem(make_sims, start_smsd, wait_for):
    sims = make_sims(2)
    start_smsd(sims)
    sims.control.fault("gsm0", "cms", code=42, count=1)   # congestion
    sims.control.fault("gsm1", "cms", code=42, count=1)
    message = outbox.queue_message("13800138000", "retry me")
    wait_for(lambda: state_of(message.id) == "delivered", 10, "delivered after retry")
    part = MessagePart.get(MessagePart.message == message.id)
    assert part.attempts == 3
    results = [(r["modem"], r["result"]) for r in sims.air(result=None)]
    assert results.count(("gsm0", "+CMS ERROR: 42")) + results.count(("gsm1", "+CMS ERROR: 42")) == 2
    assert {m for m, r in results[:2]} == {"gsm0", "gsm1"}     # the retry went to the other modem
    assert sum(1 for _, r in results if r == "ok") == 1


def test_permanent_cms_error_fails_with_reason(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims)
    sims.control.fault("gsm0", "cms", code=1, count=1)
    message = outbox.queue_message("13800138000", "to nowhere")
    wait_for(lambda: state_of(message.id) == "failed", 10, "failed")
    assert "invalid destination address" in Message.get_by_id(message.id).failure_reason
    assert len(sims.air(result=None)) == 1   # not retried


def test_silent_modem_reset_then_removed_with_alarm_then_rejoins(make_sims, start_smsd, wait_for):
    sims = make_sims(2)
    smsd = start_smsd(sims)
    sims.control.fault("gsm0", "silence", seconds=3600)
    worker = smsd.worker("gsm0")
    # A command to the silent modem (its periodic health check) fails; it is reset, then removed.
    worker.next_health = 0
    worker.wake_up()
    wait_for(lambda: worker.state == "removed", 20, "gsm0 removed")
    status = wait_for(lambda: ModemStatus.get_or_none((ModemStatus.port == "gsm0") &
                                                      (ModemStatus.state == "removed")), 5, "status row")
    assert "taken out of the pool" in status.alarm
    wait_for(lambda: AuditLog.select().where(AuditLog.action == "modem.alarm").exists(), 5, "alarm audited")
    ids = [outbox.queue_message("13800138000", f"while gsm0 is out {i}").id for i in range(3)]
    wait_for(lambda: all(state_of(i) == "delivered" for i in ids), 10, "sent by gsm1")
    assert {r["modem"] for r in sims.air()} == {"gsm1"}
    sims.control.fault("gsm0", "clear")
    wait_for(lambda: worker.state == "ok", 15, "gsm0 rejoined")
    wait_for(lambda: ModemStatus.get(ModemStatus.port == "gsm0").state == "ok", 5, "status ok")


def test_short_silence_is_cured_by_a_reset(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    smsd = start_smsd(sims, modems__remove_after=5)
    worker = smsd.worker("gsm0")
    sims.control.fault("gsm0", "silence", seconds=3)  # outlasts two failed checks
    worker.next_health = 0
    worker.wake_up()
    wait_for(lambda: worker.state == "resetting", 10, "reset begun")
    wait_for(lambda: worker.state == "ok", 15, "back after reset")
    message = outbox.queue_message("13800138000", "after the reset")
    wait_for(lambda: state_of(message.id) == "delivered", 10, "delivered")


def test_unplugged_modem_alarms_and_rejoins_when_plugged_back(make_sims, start_smsd, wait_for):
    sims = make_sims(2)
    smsd = start_smsd(sims)
    sims.control.fault("gsm1", "unplug")
    worker = smsd.worker("gsm1")
    wait_for(lambda: worker.state == "absent", 10, "gsm1 absent")
    assert "unplugged" in worker.alarm
    ids = [outbox.queue_message("13800138000", f"unplugged {i}").id for i in range(3)]
    wait_for(lambda: all(state_of(i) == "delivered" for i in ids), 10, "sent by gsm0")
    sims.control.fault("gsm1", "replug")
    wait_for(lambda: worker.state == "ok", 15, "gsm1 rejoined")
    sims.control.fault("gsm0", "unplug")
    message = outbox.queue_message("13800138000", "via the replugged modem")
    wait_for(lambda: state_of(message.id) == "delivered", 10, "delivered via gsm1")
    assert sims.air()[-1]["modem"] == "gsm1"


def test_garbage_on_the_line_is_logged_and_survived(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    smsd = start_smsd(sims)
    sims.control.fault("gsm0", "garbage")
    sims.control.fault("gsm0", "garbage", in_answer=True, count=3)
    ids = [outbox.queue_message("13800138000", f"through garbage {i}").id for i in range(3)]
    wait_for(lambda: all(state_of(i) == "delivered" for i in ids), 10, "delivered")
    assert smsd.worker("gsm0").port.garbage_count >= 2


def test_window_end_expires_never_sends_late(make_sims, start_smsd, wait_for):
    sims = make_sims(1, latency=0.3)
    start_smsd(sims)
    soon = datetime.datetime.now() + datetime.timedelta(seconds=0.5)
    ids = [outbox.queue_message("13800138000", f"window {i}", not_after=soon).id for i in range(8)]
    wait_for(lambda: all(state_of(i) in ("delivered", "expired", "sent") for i in ids), 10, "settled")
    expired = [i for i in ids if state_of(i) == "expired"]
    assert expired, "some messages should have run out of window"
    on_air = {t for _, t, _ in texts_on_air(sims)}
    for message_id in expired:
        assert Message.get_by_id(message_id).text not in on_air
        assert MessagePart.get(MessagePart.message == message_id).state == "expired"
    for record in sims.air():
        assert datetime.datetime.fromisoformat(record["time"]) <= soon + datetime.timedelta(seconds=0.05)


def test_daily_cap_and_minimum_interval(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims, modems__daily_cap=3, modems__min_interval=0.3)
    ids = [outbox.queue_message("13800138000", f"cap {i}").id for i in range(5)]
    wait_for(lambda: sum(state_of(i) == "delivered" for i in ids) == 3, 10, "three sent")
    import time
    time.sleep(1.0)
    assert sorted(state_of(i) for i in ids) == ["delivered"] * 3 + ["queued"] * 2
    times = [datetime.datetime.fromisoformat(r["time"]) for r in sims.air()]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.29


def test_carrier_preference_and_parallel_modems(make_sims, start_smsd, wait_for):
    sims = make_sims(3)  # gsm0 China Mobile, gsm1 China Unicom, gsm2 China Telecom SIMs
    start_smsd(sims)
    numbers = {"+8613800138000": "gsm0", "+8613012345678": "gsm1", "+8613312345678": "gsm2"}
    ids = {outbox.queue_message(n, f"carrier {n}").id: n for n in numbers}
    wait_for(lambda: all(state_of(i) == "delivered" for i in ids), 10, "delivered")
    for record in sims.air():
        assert numbers[pdu.decode(record["pdu"])["number"]] == record["modem"]


def test_least_busy_modems_share_the_load(make_sims, start_smsd, wait_for):
    sims = make_sims(4, latency=0.2)
    start_smsd(sims)
    ids = outbox.queue_many([{"to_number": "13800138000", "text": f"load {i}"} for i in range(16)])
    wait_for(lambda: all(state_of(i) == "delivered" for i in ids), 15, "delivered")
    per_modem = {}
    for record in sims.air():
        per_modem[record["modem"]] = per_modem.get(record["modem"], 0) + 1
    assert sorted(per_modem) == ["gsm0", "gsm1", "gsm2", "gsm3"]
    assert max(per_modem.values()) - min(per_modem.values()) <= 2


def test_modem_health_is_recorded(make_sims, start_smsd, wait_for):
    sims = make_sims(2)
    smsd = start_smsd(sims)
    smsd.dispatcher.write_status(force=True)
    rows = wait_for(lambda: list(ModemStatus.select().order_by(ModemStatus.port)), 5, "status rows")
    assert [r.port for r in rows] == ["gsm0", "gsm1"]
    first = rows[0]
    assert (first.state, first.sim_state, first.registration) == ("ok", "READY", "home")
    assert first.imei == "861234000000000" and first.imsi == "460001234500000"
    assert first.iccid == "8986000000000000000" and first.operator == "CHINA MOBILE"
    assert first.carrier == "China Mobile" and first.signal_dbm == -77


def test_sim_pin_from_config(make_sims, start_smsd, wait_for):
    sims = make_sims(1, pin="4321")
    smsd = start_smsd(sims, modems__pin="4321")
    assert smsd.worker("gsm0").info["sim_state"] == "READY"
    message = outbox.queue_message("13800138000", "after the PIN")
    wait_for(lambda: state_of(message.id) == "delivered", 10, "delivered")


def test_sim_asking_for_a_pin_without_one_is_removed_with_alarm(make_sims, start_smsd, wait_for):
    sims = make_sims(1, pin="4321")
    smsd = start_smsd(sims, ready=0)
    worker = smsd.worker("gsm0")
    wait_for(lambda: worker.state == "removed", 10, "removed")
    assert "PIN" in worker.alarm


def test_modem_silent_after_the_pdu_makes_the_part_unknown_not_resent(make_sims, start_smsd, wait_for):
    sims = make_sims(2, latency=0.5)
    smsd = start_smsd(sims, modems__submit_timeout=1.0)
    for modem in ("gsm0", "gsm1"):  # armed before queueing: whichever modem takes the part hangs after its PDU
        sims.control.fault(modem, "silence_after_pdu", seconds=30)
    message = outbox.queue_message("13800138000", "lost in the air")
    wait_for(lambda: state_of(message.id) == "unknown", 10, "unknown")
    part = MessagePart.get(MessagePart.message == message.id)
    assert "interrupted" in part.error and part.attempts == 1
    import time
    time.sleep(1.0)
    assert state_of(message.id) == "unknown"        # never re-sent by itself
    assert [r["result"] for r in sims.air(result=None)] == ["no answer"]
    assert smsd.worker(part.modem).errors >= 1


def test_status_reports_stored_on_the_sim_are_read_and_deleted(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims)
    sims.control.fault("gsm0", "stored_reports")
    message = outbox.queue_message("13800138000", "report via +CDSI")
    wait_for(lambda: state_of(message.id) == "delivered", 10, "delivered")
    wait_for(lambda: sims.control.store("gsm0") == {}, 5, "report deleted from the SIM")
    assert InboundMessage.select().count() == 0   # a report is not an inbound SMS


def test_monthly_cap(make_sims, start_smsd, wait_for):
    sims = make_sims(1)
    start_smsd(sims, modems__daily_cap=0, modems__monthly_cap=2)
    ids = [outbox.queue_message("13800138000", f"month {i}").id for i in range(3)]
    wait_for(lambda: sum(state_of(i) == "delivered" for i in ids) == 2, 10, "two sent")
    import time
    time.sleep(0.5)
    assert sum(state_of(i) == "queued" for i in ids) == 1


def test_unplugged_in_the_middle_of_a_submit_is_unknown(make_sims, start_smsd, wait_for):
    sims = make_sims(2, latency=0.8)
    start_smsd(sims)
    message = outbox.queue_message("13800138000", "unplugged mid-air")
    part = wait_for(lambda: MessagePart.get_or_none((MessagePart.message == message.id) &
                                                    (MessagePart.state == "sending")), 5, "sending")
    import time
    time.sleep(0.3)  # the PDU is with the modem now
    sims.control.fault(part.modem, "unplug")
    wait_for(lambda: state_of(message.id) == "unknown", 10, "unknown")
    assert "interrupted" in MessagePart.get(MessagePart.message == message.id).error
