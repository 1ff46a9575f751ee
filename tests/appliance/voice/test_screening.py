"""Number screening's bookkeeping (appliance/voice/screening.py) and the announcement library
(`appliance voice reference …`, agi/screening_cli.py): reading, classifying and trimming a
call's early audio, refining its result, ScreenedNumber, and extending the library from a
real call's recording so that a carrier's own announcement is recognised."""
import json
import random
import shutil
import stat
import wave

import numpy as np
import pytest

from appliance.db import write_transaction
from appliance.voice import campaigns, early_audio, screening, screening_bench
from appliance.voice.models import CallAttempt, ScreenedNumber, VoiceCampaign

pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                                reason="needs espeak-ng and sox (./dev setup installs them)")
# A voice far from the shipped references' (appliance/voice/screening_bench.REFERENCE_VOICE).
FAR_VOICE = ("cmn-latn-pinyin+f4", 180, 70)


def write_wav(path, samples):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(screening_bench.to_pcm(samples))


def an_attempt(kind="screening", number="13800138000"):
    campaign = campaigns.create_campaign("t", [number])
    VoiceCampaign.update(kind=kind).where(VoiceCampaign.id == campaign.id).execute()
    attempt = CallAttempt.get(CallAttempt.campaign == campaign.id)
    CallAttempt.update(state="dialling").where(CallAttempt.id == attempt.id).execute()
    return attempt


def result_value(config, relative, status="NOANSWER", cause=16):
    return f"{status},{cause},,,{relative},{config.data_dir}"


def test_early_audio_is_classified_and_trimmed_and_silence_removed(config, database):
    speech = screening_bench.speak(screening_bench.ANNOUNCEMENTS["kong_hao"], *screening_bench.TEST_VOICES[0])
    write_wav(config.data_dir / "early_audio" / "a.wav", screening_bench.level(
        np.concatenate([speech, speech]), -6))
    heard = screening.listen(result_value(config, "early_audio/a.wav"))
    assert (heard.audio_class, heard.path) == ("kong_hao", "early_audio/a.wav")
    kept = config.data_dir / "early_audio" / "a.wav"
    assert kept.stat().st_size == 44 + 2 * 8000 * 8 and stat.S_IMODE(kept.stat().st_mode) == 0o640

    write_wav(config.data_dir / "early_audio" / "b.wav", screening_bench.silence(3))
    heard = screening.listen(result_value(config, "early_audio/b.wav"))
    assert (heard.audio_class, heard.path) == ("silence", "")
    assert not (config.data_dir / "early_audio" / "b.wav").exists()
    write_wav(config.data_dir / "early_audio" / "c.wav", screening_bench.cadence(1.0, 4.0, 8, random.Random(1)) * 0.3)
    heard = screening.listen(result_value(config, "early_audio/c.wav"))
    assert (heard.audio_class, heard.path) == ("ringback", "")   # most calls ring: not kept
    assert not (config.data_dir / "early_audio" / "c.wav").exists()
    # no recording named, or one outside data_dir: nothing heard
    assert screening.listen("ANSWER,16,3,3") is None
    assert screening.listen(result_value(config, "../x.wav")) is None
    assert screening.listen(result_value(config, "early_audio/missing.wav")) is None


def test_what_was_heard_refines_the_result_and_screens_the_number(config, database):
    attempt = an_attempt("screening")
    heard = screening.Listened("ting_ji", "early_audio/x.wav")
    with write_transaction():
        result = screening.refine(attempt.id, "no_answer", heard)
        CallAttempt.update(state="done", result=result).where(CallAttempt.id == attempt.id).execute()
        screening.record(attempt.id, heard)
    row = ScreenedNumber.get(ScreenedNumber.number == attempt.number)
    assert (result, row.status, row.audio_class, row.attempt_id) == ("unreachable", "unreachable", "ting_ji", attempt.id)
    assert CallAttempt.get_by_id(attempt.id).early_audio == "early_audio/x.wav"

    # a re-screen: the same row, updated
    again = an_attempt("screening", attempt.number)
    with write_transaction():
        CallAttempt.update(state="done", result="answered").where(CallAttempt.id == again.id).execute()
        screening.record(again.id, None)
    row = ScreenedNumber.get(ScreenedNumber.number == attempt.number)
    assert ScreenedNumber.select().count() == 1 and (row.status, row.attempt_id) == ("valid", again.id)


def test_keys_pressed_and_answers_are_not_overruled(config, database):
    attempt = an_attempt("notice")
    CallAttempt.update(keys="1", result="confirmed").where(CallAttempt.id == attempt.id).execute()
    assert screening.refine(attempt.id, "answered", screening.Listened("kong_hao")) == "answered"
    other = an_attempt("notice", "13900139000")
    assert screening.refine(other.id, "answered", screening.Listened("busy")) == "answered"
    assert screening.refine(other.id, "no_answer", screening.Listened("busy")) == "busy"
    assert screening.refine(other.id, "answered", screening.Listened("speech")) == "answered"
    screening.record(other.id, screening.Listened("speech"))
    assert ScreenedNumber.select().count() == 0   # not a screening campaign


def test_a_carriers_own_recording_added_to_the_library_is_recognised(config, database, config_file, run_cli):
    """Far from the synthesised references, a carrier's voice is unknown speech; once an
    admin adds a call's recording of it (`appliance voice reference add`), it is 空号."""
    announcement = screening_bench.speak("您拨打的号码是空号，请查证后再拨。", *FAR_VOICE)
    attempt = an_attempt("notice")
    write_wav(config.data_dir / "early_audio" / "call.wav", screening_bench.level(announcement, -3))
    CallAttempt.update(early_audio="early_audio/call.wav").where(CallAttempt.id == attempt.id).execute()
    later = screening_bench.to_pcm(screening_bench.noisy(screening_bench.level(announcement[4000:], -15), 25,
                                                         random.Random(3)))
    assert early_audio.classify(later, screening.load_references(config.data_dir)).audio_class == "speech"

    bad = run_cli("voice", "reference", "add", attempt.id, "kong-hao", config_path=config_file)
    assert bad.returncode == 2 and "class: must be one of" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    none = run_cli("voice", "reference", "add", 999, "kong_hao", config_path=config_file)
    assert none.returncode == 2 and "attempt: no call attempt 999" in none.stderr
    added = run_cli("voice", "reference", "add", attempt.id, "kong_hao", config_path=config_file)
    assert added.returncode == 0, added.stderr
    target = config.data_dir / "announcements" / "kong_hao" / f"attempt{attempt.id}.wav"
    assert target.is_file() and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert early_audio.classify(later, screening.load_references(config.data_dir)).audio_class == "kong_hao"

    listed = json.loads(run_cli("voice", "reference", "list", "--json", config_path=config_file).stdout)
    assert {(r["class"], r["source"]) for r in listed} >= {("kong_hao", "shipped"), ("kong_hao", "added")}
    removed = run_cli("voice", "reference", "remove", "kong_hao", target.name, config_path=config_file)
    assert removed.returncode == 0 and not target.exists()
    assert early_audio.classify(later, screening.load_references(config.data_dir)).audio_class == "speech"
