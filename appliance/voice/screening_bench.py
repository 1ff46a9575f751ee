"""A generated test set for the early-audio classifier, and its measurement
(`appliance bench screening`; tests/appliance/voice/test_early_audio.py uses a small one).

Announcements are spoken by espeak-ng with voices, speeds and pitches other than the shipped
references' (appliance/voice/announcements/, made by write_references with REFERENCE_VOICE),
then levelled (-30…0 dBFS), clipped at the start, put after ringback and under noise, and
every recording passes through G.711 A-law, as over an E1 trunk.
SIT is generated with its frequencies off by up to ±1.5 % and its lengths by ±10 %;
busy, congestion and ringback with a random phase; silence is line noise.
"""
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from appliance.voice import early_audio

RATE = early_audio.RATE
SHIPPED = Path(__file__).with_name("announcements")

# What Chinese carriers say (one text per class; real ones vary a little by carrier).
ANNOUNCEMENTS = {
    "kong_hao": "您好，您拨打的号码是空号，请查证后再拨。",
    "ting_ji": "您好，您拨打的电话已停机。",
    "guan_ji": "您好，您拨打的电话已关机。",
    "wu_fa_jie_tong": "对不起，您拨打的电话暂时无法接通，请稍后再拨。",
}
# Speech that is no announcement: an answering machine, a person, a colour ring-back's words.
OTHER_SPEECH = ("您好，我现在不方便接听电话，请在提示音后留言。", "喂，你好，请问哪位？",
                "欢迎致电，业务咨询请按一，人工服务请按零。")
REFERENCE_VOICE = ("cmn-latn-pinyin", 150, 50)
# (The `cmn` voice spells Chinese characters out in English: only the pinyin one speaks them.)
TEST_VOICES = (("cmn-latn-pinyin+f2", 170, 65), ("cmn-latn-pinyin+m3", 135, 35), ("cmn-latn-pinyin+f5", 185, 55),
               ("cmn-latn-pinyin+klatt2", 160, 40), ("cmn-latn-pinyin+m7", 125, 60))
SNRS = (20, 25, 30, 40)     # dB under the signal: a carrier's announcement comes over a digital line
HARSH_SNRS = (15, 10)       # measured apart: noisier than a digital trunk gives
CLASSES = (*ANNOUNCEMENTS, "speech", "sit_vacant", "sit_no_circuit", "busy", "congestion", "ringback", "silence")


@lru_cache(maxsize=None)
def speak(text, voice, speed, pitch):
    """espeak-ng's speech as 8 kHz int16 samples (read-only)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav, raw = Path(tmp) / "s.wav", Path(tmp) / "s.raw"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), text],
                       check=True, capture_output=True)
        subprocess.run(["sox", str(wav), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                        "-t", "raw", str(raw)], check=True, capture_output=True)
        samples = np.frombuffer(raw.read_bytes(), dtype="<i2").astype(np.float64) / 32768.0
    samples.flags.writeable = False
    return samples


def write_references(folder=SHIPPED):
    """The shipped reference library: one WAV per announcement class, REFERENCE_VOICE."""
    import wave
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ANNOUNCEMENTS.items():
        with wave.open(str(folder / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(to_pcm(level(speak(text, *REFERENCE_VOICE), -3.0)))


def write_test_network_sounds(folder):
    """The sounds of the test network (tests/agi/test-network.conf): announcements short
    enough (about 2 s) to end before a 3 s ring time, in a test voice, and SIT."""
    import wave
    voice = ("cmn-latn-pinyin+f2", 210, 60)
    sounds = {"kong_hao": speak("您拨打的号码是空号。", *voice), "ting_ji": speak(ANNOUNCEMENTS["ting_ji"][3:], *voice),
              "guan_ji": speak(ANNOUNCEMENTS["guan_ji"][3:], *voice), "machine_greeting": speak(OTHER_SPEECH[0], *voice),
              "sit": np.concatenate([sit(random.Random(1)), silence(0.3), sit(random.Random(2))])}
    for name, samples in sounds.items():
        with wave.open(str(Path(folder) / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(to_pcm(level(samples, -6.0)))
    return sorted(sounds)


# --- signals -----------------------------------------------------------------------------

def tone(frequency, seconds, phase=0.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return np.sin(2 * np.pi * frequency * t + phase)


def cadence(on, off, seconds, rng, frequency=450.0):
    """A 450 Hz on/off tone, starting anywhere in its period."""
    period = np.concatenate([tone(frequency, on), np.zeros(int(off * RATE))])
    reps = int(seconds * RATE / len(period)) + 2
    start = rng.randrange(len(period))
    return np.tile(period, reps)[start:start + int(seconds * RATE)]


def sit(rng, vacant=True, spread=0.015):
    """Three SIT tones (vacant code: 985.2, 1370.6, 1776.7 Hz; no circuit: 985.2, 1428.5, 1776.7)."""
    freqs = (985.2, 1370.6 if vacant else 1428.5, 1776.7)
    lengths = (0.380, 0.274 if vacant else 0.380, 0.380)
    return np.concatenate([tone(f * (1 + rng.uniform(-spread, spread)), s * rng.uniform(0.9, 1.1))
                           for f, s in zip(freqs, lengths)])


def level(samples, dbfs):
    peak = np.abs(samples).max() or 1.0
    return samples / peak * 10 ** (dbfs / 20)


def noisy(samples, snr_db, rng):
    """White noise, band-limited to the telephone band, snr_db below the signal's mean power
    (of its loud part: pauses do not count)."""
    gen = np.random.default_rng(rng.randrange(1 << 30))
    noise = np.convolve(gen.standard_normal(len(samples)), np.ones(3) / 3, mode="same")
    loud = samples[np.abs(samples) > np.abs(samples).max() * 0.05]
    power = float(np.mean(loud ** 2)) if len(loud) else 1e-6
    return samples + noise * np.sqrt(power / 10 ** (snr_db / 10) / np.mean(noise ** 2))


def a_law(samples, a=87.6):
    """Through G.711 A-law and back (China's E1 trunks): 8-bit logarithmic quantisation."""
    x = np.clip(np.abs(samples), 1e-12, 1.0)
    small = x < 1 / a
    y = np.where(small, a * x, 1 + np.log(np.where(small, 1 / a, x) * a)) / (1 + np.log(a))
    y = np.round(y * 127) / 127
    back = np.where(y < 1 / (1 + np.log(a)), y * (1 + np.log(a)) / a, np.exp(y * (1 + np.log(a)) - 1) / a)
    return np.sign(samples) * back


def to_pcm(samples):
    return (np.clip(samples, -1, 32767 / 32768) * 32768).astype("<i2").tobytes()


def silence(seconds):
    return np.zeros(int(seconds * RATE))


# --- the test set ------------------------------------------------------------------------

def case(kind, rng, voices=TEST_VOICES, snrs=SNRS):
    """One generated recording (8 s at most) of a class, as PCM bytes."""
    voice = rng.choice(voices)
    if kind in ANNOUNCEMENTS or kind == "speech":
        text = ANNOUNCEMENTS[kind] if kind != "speech" else rng.choice(OTHER_SPEECH)
        speech = speak(text, *voice)[int(rng.uniform(0, 1.0) * RATE):]       # a clipped start
        lead = rng.choice((silence(rng.uniform(0, 0.5)), cadence(1.0, 4.0, rng.uniform(1, 3), rng) * 0.5))
        signal = np.concatenate([lead, speech, speech])
    elif kind.startswith("sit_"):
        signal = np.concatenate([silence(rng.uniform(0, 0.8)), sit(rng, kind == "sit_vacant"), silence(0.6),
                                 sit(rng, kind == "sit_vacant"), silence(2)])
    elif kind == "busy":
        signal = cadence(0.35, 0.35, 8, rng)
    elif kind == "congestion":
        signal = cadence(0.7, 0.7, 8, rng)
    elif kind == "ringback":
        signal = cadence(1.0, 4.0, 8, rng)
    else:
        signal = silence(8)
    if kind == "silence":   # a quiet line's noise, -75…-58 dBFS
        noise = np.random.default_rng(rng.randrange(1 << 30)).standard_normal(len(signal))
        return to_pcm(a_law(signal + noise * 10 ** (rng.uniform(-75, -58) / 20)))
    signal = level(signal[: 8 * RATE], rng.uniform(-30, 0))
    return to_pcm(a_law(noisy(signal, rng.choice(snrs), rng)))


def test_set(per_class, seed=1, classes=CLASSES, snrs=SNRS):
    rng = random.Random(seed)
    return [(kind, case(kind, rng, snrs=snrs)) for kind in classes for _ in range(per_class)]


def shipped_references():
    from appliance.voice import screening
    return screening.load_references(None)


def measure(cases, references, classify=None):
    """{'per_class': {class: (right, total)}, 'confusion': Counter, 'cpu_ms': per call}."""
    classify = classify or early_audio.classify
    per_class, confusion = defaultdict(lambda: [0, 0]), Counter()
    cpu = 0.0
    for kind, pcm in cases:
        started = time.process_time()
        heard = classify(pcm, references)
        cpu += time.process_time() - started
        per_class[kind][1] += 1
        per_class[kind][0] += heard.audio_class == kind
        if heard.audio_class != kind:
            confusion[(kind, heard.audio_class)] += 1
    return {"per_class": {k: tuple(v) for k, v in per_class.items()}, "confusion": confusion,
            "cpu_ms": 1000 * cpu / max(1, len(cases))}


def run_bench(per_class=40, seed=1, out=print):
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        out("bench screening: needs espeak-ng and sox (apt-get install espeak-ng sox)")
        return 1
    started = time.monotonic()
    cases = test_set(per_class, seed)
    out(f"early-audio classifier: {len(cases)} generated recordings of 8 s ({per_class} per class, seed {seed}), "
        f"made in {time.monotonic() - started:.1f} s")
    report = measure(cases, shipped_references())
    right = sum(r for r, _ in report["per_class"].values())
    for kind in CLASSES:
        r, n = report["per_class"][kind]
        out(f"  {kind:16} {r:>4}/{n:<4} {r / n:6.1%}")
    out(f"  {'all':16} {right:>4}/{len(cases):<4} {right / len(cases):6.1%}")
    if report["confusion"]:
        out("  mistaken: " + ", ".join(f"{a}→{b} ×{n}" for (a, b), n in report["confusion"].most_common(8)))
    out(f"CPU per call: {report['cpu_ms']:.1f} ms (8 s of audio, {len(shipped_references())} references)")
    for snr in HARSH_SNRS:   # beyond the set: how far the announcements hold up in worse noise
        harsh = measure(test_set(per_class // 2 or 1, seed + snr, (*ANNOUNCEMENTS, "speech"), (snr,)),
                        shipped_references())
        r, n = (sum(v[i] for v in harsh["per_class"].values()) for i in (0, 1))
        out(f"  announcements and other speech at {snr} dB SNR: {r}/{n} {r / n:.1%}")
    return 0
