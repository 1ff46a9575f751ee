"""Number screening and the early-audio classifier against a real Asterisk 22: the test
network (tests/agi/test-network.conf) plays synthesised 空号/停机/关机 announcements and SIT
as early media or after answering; our outbound dialplan records the line's first seconds
(image/asterisk/extensions_outbound.conf), the dialer has them classified and the results
refined (appliance/voice/screening.py), and a screening campaign fills ScreenedNumber.
Skipped, saying why, where there is no Asterisk tarball (tests/asterisk_support.py).
"""
import stat

import pytest
from asterisk_support import asterisk, asterisk_install  # noqa: F401  (fixtures)
from test_dialer_real_asterisk import make_dialer, manager, network, run_in_thread, voice_db  # noqa: F401

from appliance.voice import campaigns, screening
from appliance.voice.models import CallAttempt, ScreenedNumber, VoiceCampaign

# number -> (ScreenedNumber status, attempt result, audio class)
PROBES = {
    "13070000": ("invalid", "invalid", "kong_hao"),           # 空号 as early media, then cause 1
    "13080000": ("unreachable", "unreachable", "ting_ji"),    # 停机 as early media, then cause 16
    "13120000": ("invalid", "invalid", "kong_hao"),           # a carrier answers to play 空号
    "13020000": ("valid", "answered", "silence"),             # a person answers: hung up after the listen
    "13040000": ("valid", "busy", "silence"),                 # Busy(): a signal, no tones in band
    "13050000": ("valid", "no_answer", "silence"),            # rings: given up after the probe's ring
    "13110000": ("invalid", "invalid", "silence"),            # cause 1 at once, no audio
    "13300000": ("invalid", "invalid", "sit_vacant"),         # SIT, then cause 16
    "13310000": ("unreachable", "unreachable", "guan_ji"),    # 关机 as early media, then cause 16
}


@pytest.fixture
def early_audio(network, voice_db):
    """Early audio recorded under this test's data_dir (the network fixture's dialplan
    records only where EARLY_AUDIO_DATA is set)."""
    screening.prepare(voice_db.data_dir)
    network.ami.action("Setvar", Variable="EARLY_AUDIO_DATA", Value=str(voice_db.data_dir))
    yield voice_db.data_dir
    network.ami.action("Setvar", Variable="EARLY_AUDIO_DATA", Value="")


def run_campaign(manager, network, numbers, kind, ring_seconds):
    """One call per number (no retries) of a campaign of `kind`, dialled to the end."""
    campaign = campaigns.create_campaign(f"{kind} test", numbers)
    VoiceCampaign.update(kind=kind, max_tries=1).where(VoiceCampaign.id == campaign.id).execute()
    campaigns.set_state(campaign.id, "running")
    dialer = make_dialer(manager, network, channels=len(numbers))
    dialer.ring_seconds = ring_seconds
    run_in_thread(dialer)
    return {a.number: a for a in CallAttempt.select().where(CallAttempt.campaign == campaign.id)}


def our_problems(network, since):
    """Warnings and errors Asterisk logged since a log mark (recording, probing: none expected)."""
    return [line for line in network.log_lines()[since:] if "WARNING[" in line or "ERROR[" in line]


def test_a_screening_campaign_classifies_each_number(network, manager, early_audio):
    log_mark = len(network.log_lines())
    got = run_campaign(manager, network, list(PROBES), "screening", ring_seconds=40)
    assert our_problems(network, log_mark) == []
    screened = {s.number: s for s in ScreenedNumber.select()}
    assert {n: (screened[n].status, a.result, a.audio_class) for n, a in got.items()} == PROBES, \
        {n: (a.dial_status, a.hangup_cause, a.detail) for n, a in got.items()}
    assert all(screened[n].attempt_id == got[n].id and screened[n].audio_class == got[n].audio_class for n in PROBES)
    # A probe rings at most PROBE_RING_SECONDS (not the 40 s of a notice), and an answered
    # one is hung up after PROBE_LISTEN_SECONDS.
    assert got["13050000"].dial_status == "NOANSWER"
    assert (got["13050000"].ended_at - got["13050000"].dialled_at).total_seconds() < screening.PROBE_RING_SECONDS + 3
    assert got["13020000"].talk_seconds <= screening.PROBE_LISTEN_SECONDS + 1
    # What was heard is kept (its first seconds, readable by our group only); silence is not.
    for number in ("13070000", "13120000", "13300000"):
        path = early_audio / got[number].early_audio
        assert got[number].early_audio.startswith("early_audio/") and path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        assert path.stat().st_size <= 44 + 2 * 8000 * screening.KEEP_SECONDS
    assert got["13020000"].early_audio == ""

    # A re-screen updates the number's one row.
    again = run_campaign(manager, network, ["13020000"], "screening", ring_seconds=40)
    row = ScreenedNumber.get(ScreenedNumber.number == "13020000")
    assert ScreenedNumber.select().count() == len(PROBES)
    assert row.attempt_id == again["13020000"].id and row.status == "valid"


def test_every_campaign_kind_has_its_result_refined_by_the_early_audio(network, manager, early_audio):
    """A notice campaign: hangup causes alone said no_answer (cause 16 after an announcement)
    and would have retried; what was heard says invalid / unreachable. No ScreenedNumber rows."""
    numbers = ["13070000", "13080000", "13300000", "13310000", "13040000"]
    got = run_campaign(manager, network, numbers, "notice", ring_seconds=10)
    assert {n: (a.result, a.audio_class) for n, a in got.items()} == {
        "13070000": ("invalid", "kong_hao"), "13080000": ("unreachable", "ting_ji"),
        "13300000": ("invalid", "sit_vacant"), "13310000": ("unreachable", "guan_ji"), "13040000": ("busy", "silence")}
    assert got["13080000"].hangup_cause == 16 and got["13080000"].dial_status == "NOANSWER"
    assert ScreenedNumber.select().count() == 0
