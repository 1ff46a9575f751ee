"""Recovery after a restart against a real Asterisk 22: a restarted dialer takes only its own
box's attempts, and a call whose Hangup came just before the dialer listened (Asterisk still
listed it) is not followed forever. Skipped, saying why, without an Asterisk build."""
import threading

from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from peer_support import wait_for
from test_dialer_real_asterisk import (channel_of, dial_begins, make_dialer, manager, network,  # noqa: F401
                                       run_in_thread, voice_db)

from agi.ami import Manager
from agi.dialer import box_name, other_leg
from appliance.voice import campaigns
from appliance.voice.models import CallAttempt


def channel_list(ami):
    return ami.event_list("CoreShowChannels", "CoreShowChannelsComplete")


class StaleListManager(Manager):
    """A real manager connection whose first channel list is one taken a moment earlier:
    what recover() reads when a call hangs up just as the dialer starts (the list still
    has the channel; its Hangup event went out before we listened)."""
    stale = None

    def event_list(self, name, complete, **kwargs):
        if name == "CoreShowChannels" and self.stale is not None:
            stale, self.stale = self.stale, None
            return stale
        return super().event_list(name, complete, **kwargs)


def test_a_call_that_ended_just_before_the_dialer_listened_is_resolved_not_followed_forever(
        network, manager, voice_db):
    campaign = campaigns.create_campaign("race", ["13130009"])
    campaigns.set_state(campaign.id, "running")
    since = network.ami.mark()
    first = make_dialer(manager, network, channels=1)
    thread = threading.Thread(target=first.run, daemon=True)
    thread.start()
    attempt = wait_for(lambda: CallAttempt.get_or_none(CallAttempt.state == "dialling"), 10, "the call claimed")
    network.ami.wait_event(lambda e: e.get("Event") == "DialEnd" and e.get("DialStatus") == "ANSWER"
                           and e.get("Uniqueid") == other_leg(attempt.channel_id), 15, "the answer", since)
    first.stop()  # the dialer is gone; its call stays up and its attempt `dialling`
    thread.join(10)
    stale = channel_list(manager)
    assert other_leg(attempt.channel_id) in {e.get("Uniqueid") for e in stale}
    manager.action("Hangup", Channel=channel_of(network, attempt))
    wait_for(lambda: other_leg(attempt.channel_id) not in {e.get("Uniqueid") for e in channel_list(manager)},
             10, "the call to leave Asterisk's channel list")

    late = StaleListManager("127.0.0.1", network.ami_port, network.ami_user, network.ami_secret)
    late.stale = stale
    try:
        second = make_dialer(late, network, channels=1)
        second.recheck_seconds = 0.3
        run_in_thread(second, timeout=20)  # without the re-check: followed forever, and this fails
    finally:
        late.close()
    got = CallAttempt.get_by_id(attempt.id)
    assert (got.state, got.result) == ("done", "answered") and "CDR" in got.detail
    assert dial_begins(network.ami, since, "13130009") == 1


def test_recover_leaves_another_boxs_calls_alone(network, manager, voice_db):
    """Two boxes on one PostgreSQL: box B's calls are up on B's Asterisk, which this box's
    Asterisk does not list; this box must neither follow nor resolve them."""
    campaign = campaigns.create_campaign("two boxes", ["13020000001", "13020000002", "13020000003"])
    campaigns.set_state(campaign.id, "running")
    mine, theirs, unnamed = CallAttempt.select().order_by(CallAttempt.id)
    CallAttempt.update(state="dialling", channel_id="vc-mine-1", claimed_by=f"{box_name()}:999").where(
        CallAttempt.id == mine.id).execute()
    CallAttempt.update(state="dialling", channel_id="vc-theirs-1", claimed_by="other-box:4242").where(
        CallAttempt.id == theirs.id).execute()
    CallAttempt.update(state="dialling", channel_id="vc-unnamed-1", claimed_by="").where(
        CallAttempt.id == unnamed.id).execute()
    since = network.ami.mark()
    run_in_thread(make_dialer(manager, network, channels=2, cdr_grace=0.3), timeout=20)
    got = {a.id: a for a in CallAttempt.select()}
    assert (got[mine.id].state, got[unnamed.id].state) == ("unknown", "unknown")
    assert (got[theirs.id].state, got[theirs.id].result, got[theirs.id].detail) == ("dialling", "", "")
    assert all(dial_begins(network.ami, since, a.number) == 0 for a in got.values())
