"""The early-audio classifier (appliance/voice/early_audio.py) on a small generated test set
(appliance/voice/screening_bench.py: espeak-ng voices other than the references', noise,
levels, clipped starts; SIT off-frequency; 450 Hz cadences; line noise), deterministic seed."""
import shutil

import numpy as np
import pytest

from appliance.voice import early_audio, screening, screening_bench

pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                                reason="needs espeak-ng and sox (./dev setup installs them)")


@pytest.fixture(scope="module")
def references():
    return screening.load_references(None)


@pytest.fixture(scope="module")
def small_set():
    return screening_bench.test_set(per_class=4, seed=11)


def test_every_class_of_a_small_generated_set_is_heard(small_set, references):
    report = screening_bench.measure(small_set, references)
    right = sum(r for r, _ in report["per_class"].values())
    assert right / len(small_set) >= 0.95, report["confusion"]
    assert all(r >= 3 for r, _ in report["per_class"].values()), report
    assert report["cpu_ms"] < 60   # measured ~6 ms on this machine


def test_without_the_sit_detector_sit_is_not_heard(small_set, references, monkeypatch):
    """The accuracy test above depends on the SIT detector: without it SIT goes unheard."""
    monkeypatch.setattr(early_audio, "find_sit", lambda segments: None)
    report = screening_bench.measure(small_set, references)
    assert report["per_class"]["sit_vacant"][0] == 0 and report["per_class"]["sit_no_circuit"][0] == 0
    assert sum(r for r, _ in report["per_class"].values()) / len(small_set) < 0.95


def test_without_the_references_announcements_are_only_speech(small_set):
    report = screening_bench.measure(small_set, [])
    assert all(report["per_class"][name][0] == 0 for name in screening_bench.ANNOUNCEMENTS)


def test_sit_frequencies_are_measured_to_a_few_hertz():
    samples = np.concatenate([screening_bench.tone(f, 0.3) for f in (985.2, 1428.5, 1776.7)]) * 0.3
    segments = early_audio.tone_segments(samples)
    assert [round(s.frequency) for s in segments] == pytest.approx([985, 1428, 1777], abs=3)
    assert early_audio.find_sit(segments) == "sit_no_circuit"


def test_the_second_sit_tone_decides_vacant_or_no_circuit():
    for second, expected in ((1370.6, "sit_vacant"), (1428.5, "sit_no_circuit")):
        samples = np.concatenate([screening_bench.tone(f, 0.3) for f in (913.8, second, 1776.7)]) * 0.1
        assert early_audio.classify(screening_bench.to_pcm(samples)).audio_class == expected


def test_level_does_not_change_what_is_heard(references):
    speech = screening_bench.speak(screening_bench.ANNOUNCEMENTS["guan_ji"], *screening_bench.TEST_VOICES[0])
    heard = {early_audio.classify(screening_bench.to_pcm(screening_bench.level(speech, db)), references).audio_class
             for db in (-30, -12, 0)}
    assert heard == {"guan_ji"}


def test_nothing_or_near_nothing_is_silence():
    assert early_audio.classify(b"").audio_class == "silence"
    assert early_audio.classify(bytes(16000)).audio_class == "silence"
    quiet = np.random.default_rng(1).standard_normal(8000 * 4) * 10 ** (-70 / 20)
    assert early_audio.classify(screening_bench.to_pcm(quiet)).audio_class == "silence"


def test_a_steady_tone_of_no_known_kind_is_a_tone():
    heard = early_audio.classify(screening_bench.to_pcm(screening_bench.tone(700, 3) * 0.3))
    assert heard.audio_class == "tone" and "700 Hz" in heard.detail
