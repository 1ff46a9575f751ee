"""The SMPP bearer's sender against the fake SMSC: claims, submits, receipts, MO,
the window, the account's rate, refusals and lost links (modem/smpp/sender.py)."""

from smpp_support import queue_smpp
from peer_support import wait_for

from appliance.sms.models import InboundMessage, InboundPart, Message, MessagePart, ModemStatus
from appliance.sms.text import segments

LONG = "尊敬的客户，您的保单即将到期，请及时续保以免影响保障。" * 6   # UCS2, several parts


def parts_of(message):
    return list(MessagePart.select().where(MessagePart.message == message.id).order_by(MessagePart.seq))


def states(messages):
    return [Message.get_by_id(m.id).state for m in messages]


def test_short_and_long_ucs2_sent_in_order_with_udh_and_receipts_delivered(start_sender, smsc):
    short = queue_smpp("+8613800138000", "Policy 886010000001 renewed")
    long = queue_smpp("+8613800138001", LONG)
    start_sender()
    wait_for(lambda: states([short, long]) == ["delivered", "delivered"], 10, "both delivered")
    seg = segments(LONG)
    assert seg.encoding == "ucs2" and seg.part_count >= 3
    got = [s for s in smsc.accepted() if s.destination == "8613800138001"]
    ref = parts_of(long)[0].concat_ref
    assert [s.concat for s in got] == [(ref, seg.part_count, n) for n in range(1, seg.part_count + 1)]
    assert [s.text for s in got] == list(seg.parts)
    assert {(s.data_coding, s.esm_class, s.registered_delivery) for s in got} == {(8, 0x40, 1)}
    [plain] = [s for s in smsc.accepted() if s.destination == "8613800138000"]
    assert (plain.data_coding, plain.esm_class, plain.concat, plain.text) == (0, 0, None, "Policy 886010000001 renewed")
    for part in parts_of(short) + parts_of(long):
        assert (part.modem, part.state, part.claimed_by) == ("smpp", "delivered", part.claimed_by)
        assert part.bearer_ref in {s.message_id for s in smsc.accepted()}
    row = ModemStatus.get(ModemStatus.port == "smpp")
    wait_for(lambda: ModemStatus.get(ModemStatus.port == "smpp").sent_today == 1 + seg.part_count, 5, "status row")
    assert (row.state, row.device, row.operator) == ("ok", f"smpp://127.0.0.1:{smsc.port}", "branch")


def test_window_never_exceeded(start_sender, smsc):
    smsc.latency = 0.15
    messages = [queue_smpp(f"+86138001381{i:02d}", f"notice {i}") for i in range(12)]
    start_sender(**{"smpp.window": 3})
    wait_for(lambda: set(states(messages)) <= {"sent", "delivered"}, 15, "all sent")
    assert smsc.max_outstanding == 3   # the window filled, and never more
    assert len(smsc.accepted()) == 12


def test_rate_respected(start_sender, smsc):
    messages = [queue_smpp(f"+86138001382{i:02d}", f"notice {i}") for i in range(12)]
    start_sender(**{"smpp.rate": 5.0, "smpp.window": 50})
    wait_for(lambda: set(states(messages)) <= {"sent", "delivered"}, 15, "all sent")
    at = [s.at for s in smsc.accepted()]
    # A token bucket of 5/s with a burst of 5: at most 5 + 5*T submits in any T seconds.
    for i in range(len(at)):
        for j in range(i + 1, len(at)):
            assert j - i + 1 <= 5 + 5 * (at[j] - at[i]) + 1, (i, j, at[j] - at[i])
    assert at[-1] - at[0] >= 1.2


def test_throttled_parts_go_back_to_the_queue_and_the_bearer_backs_off(start_sender, smsc):
    smsc.max_rate = 2   # ESME_RTHROTTLED past 2 submits in any second
    messages = [queue_smpp(f"+86138001383{i:02d}", f"notice {i}") for i in range(5)]
    start_sender(**{"smpp.window": 1})  # each submit waits for its answer: no submit is on its way unseen
    wait_for(lambda: set(states(messages)) <= {"sent", "delivered"}, 15, "all sent")
    throttled = [s for s in smsc.submits if s.status == 88]
    assert throttled, "the SMSC throttled some"
    # Each message went on the air once; a throttled one was submitted again (it never was).
    assert sorted(s.destination for s in smsc.accepted()) == sorted(m.to_number.lstrip("+") for m in messages)
    for refused in throttled:  # once told, the bearer paused: nothing more for a second, though parts waited
        assert not [s for s in smsc.submits if 0 < s.at - refused.answered_at < 0.9]
    retried = MessagePart.get(MessagePart.message == next(m for m in messages
                                                          if m.to_number.lstrip("+") == throttled[0].destination).id)
    assert retried.attempts >= 2


def test_refused_part_fails_in_words(start_sender, smsc):
    smsc.undeliverable = {"8613800138400"}
    bad = queue_smpp("+8613800138400", "notice")
    start_sender()
    wait_for(lambda: states([bad]) == ["failed"], 10, "failed by its receipt")
    part = parts_of(bad)[0]
    assert "could not deliver" in part.error and part.status_at is not None


def test_link_dropped_mid_window_parts_unknown_never_resent(start_sender, smsc):
    smsc.latency, smsc.drop_after = 0.5, 3
    messages = [queue_smpp(f"+86138001384{i:02d}", f"notice {i}", delivery_report=False) for i in range(8)]
    start_sender(**{"smpp.window": 3})
    wait_for(lambda: all(s in ("sent", "delivered", "unknown", "failed") for s in states(messages)), 20, "all done")
    first_link = smsc.submits[:3]
    unknown = [m for m in messages if Message.get_by_id(m.id).state == "unknown"]
    assert sorted(m.to_number.lstrip("+") for m in unknown) == sorted(s.destination for s in first_link)
    assert smsc.binds == 2
    # Every message reached the SMSC once: the 3 of the first link (their answers lost) were not sent again.
    submitted = [s.destination for s in smsc.submits]
    assert len(submitted) == len(set(submitted)) == 8
    assert {Message.get_by_id(m.id).state for m in messages if m not in unknown} <= {"sent", "delivered"}
    assert "dropped" in parts_of(unknown[0])[0].error


def test_receipt_for_a_submit_whose_answer_was_lost_resolves_the_unknown_part(start_sender, smsc):
    smsc.drop_after = 1   # the SMSC takes the submit, then the link drops before its answer
    message = queue_smpp("+8613800138450", "notice")
    other = queue_smpp("+8613800138451", "notice")
    start_sender(**{"smpp.window": 1})  # the other is not in flight when the link drops
    # unknown first (never re-sent), then its receipt came over the new link, matched by number
    wait_for(lambda: states([message]) == ["delivered"], 10, "resolved by its receipt")
    wait_for(lambda: states([other]) == ["delivered"], 10, "the other sent over the new link")
    part = parts_of(message)[0]
    assert part.bearer_ref == smsc.submits[0].message_id and part.attempts == 1
    assert [s.destination for s in smsc.submits].count("8613800138450") == 1


def test_dead_link_found_by_enquire_link_and_bound_again(start_sender, smsc):
    smsc.answer_enquire_link = False
    start_sender(**{"smpp.enquire_link": 0.3})
    wait_for(lambda: smsc.binds >= 2, 10, "bound again after the dead link")
    assert any(p[3] == "enquire_link" for p in smsc.pdus)
    smsc.answer_enquire_link = True
    message = queue_smpp("+8613800138500", "still works")
    wait_for(lambda: states([message]) in (["sent"], ["delivered"]), 10, "sent over the new link")


def test_bound_again_after_the_smsc_dropped_the_link(start_sender, smsc):
    start_sender()
    wait_for(lambda: smsc.binds == 1, 10, "bound")
    smsc.drop_links()
    wait_for(lambda: smsc.binds == 2, 10, "bound again")
    message = queue_smpp("+8613800138501", "after the drop")
    wait_for(lambda: states([message]) in (["sent"], ["delivered"]), 10, "sent")


def test_mo_short_and_long_reach_the_inbox(start_sender, smsc):
    stored_at_ack = []  # what the database held when each deliver_sm_resp reached the SMSC
    smsc.on_deliver_ack = lambda pdu: stored_at_ack.append(InboundMessage.select().count() +
                                                           InboundPart.select().count())
    start_sender()
    wait_for(lambda: smsc.binds == 1, 10, "bound")
    smsc.inject_mo("+8613900139000", "查询保单")
    wait_for(lambda: stored_at_ack, 10, "the first MO answered")
    smsc.inject_mo("+8613900139001", LONG)
    wait_for(lambda: InboundMessage.select().count() == 2, 10, "both stored")
    short, long = InboundMessage.select().order_by(InboundMessage.id)
    assert (short.from_number, short.text, short.modem) == ("+8613900139000", "查询保单", "smpp")
    assert (long.text, long.part_count, long.complete) == (LONG, segments(LONG).part_count, True)
    wait_for(lambda: len(smsc.deliver_acks) == 1 + segments(LONG).part_count, 5, "every deliver_sm answered")
    assert {status for _, _, status in smsc.deliver_acks} == {0}
    # Stored, then answered: the short one was in the inbox when its answer came, each part
    # of the long one was stored (waiting, or joined) when its answer came.
    assert stored_at_ack[0] == 1 and min(stored_at_ack[1:]) >= 2


def test_receipt_stored_before_it_is_answered(start_sender, smsc):
    states_at_ack = []
    smsc.on_deliver_ack = lambda pdu: states_at_ack.append(MessagePart.get().state)
    message = queue_smpp("+8613800138700", "notice")
    start_sender()
    wait_for(lambda: states_at_ack, 10, "the receipt answered")
    assert states_at_ack == ["delivered"] and states([message]) == ["delivered"]


def test_refused_bind_retried_with_doubling_waits_and_said_in_the_modem_table(start_sender, smsc):
    smsc.password = "changed"   # the account's password changed at the carrier
    start_sender(**{"smpp.reconnect": 0.2})
    binds = lambda: [p[0] for p in smsc.pdus if p[2] == "in" and p[3] == "bind_transceiver"]  # noqa: E731
    wait_for(lambda: len(binds()) >= 4, 10, "four bind attempts")
    at = binds()
    gaps = [b - a for a, b in zip(at, at[1:])]
    assert gaps[0] >= 0.15 and all(later >= 1.7 * earlier for earlier, later in zip(gaps, gaps[1:4]))
    wait_for(lambda: ModemStatus.get_or_none(ModemStatus.port == "smpp") is not None, 5, "status row")
    row = ModemStatus.get(ModemStatus.port == "smpp")
    assert row.state == "absent" and "refused the bind as 'branch'" in row.alarm and smsc.binds == 0
