"""What the first seconds of a call's audio were: special information tones, China's
busy / congestion / ringback, a carrier's announcement, other speech, or silence.

Pure functions on 8 kHz 16-bit mono PCM (bytes or a numpy int16 array); no files, no
database (appliance/voice/screening.py reads the recordings and writes the results).

Why: hangup causes lie in China (MFC/R2 reports 空号 as cause 20, GSM modules 0, carriers
answer to play their announcements), but the audio does not.

- Tones are found per 32 ms frame (one FFT peak holding most of the frame's energy), joined
  into segments, and each segment's frequency measured to ~1 Hz over its whole length.
  SIT is three segments near 913.8/985.2, 1370.6/1428.5 and 1776.7 Hz; the second tone
  tells vacant code and intercept (low, 1370.6 Hz: the number is not in service) from no
  circuit and reorder (high, 1428.5 Hz: the network was busy). 450 Hz segments are China's
  call-progress tones, told apart by their length: busy 0.35 s, congestion 0.7 s,
  ringback 1 s (on 4 s off).
- Announcements are matched against reference recordings by a spectral fingerprint of
  their speech frames (pauses and tones left out): the spectral envelope as mel cepstra
  c1…c8 (no level, no pitch), the line's steady noise subtracted first, each coefficient's
  mean and spread over the utterance removed (the line's colouring), each frame unit
  length; compared by cosine distance along a dynamic time warping path that may start and
  end anywhere in the reference told twice (a clipped start, an 8 s cut, a repeat) and lets
  the speaker be up to twice as fast or slow; the recording's mel filters are also shifted
  up by 10-30 % (a higher voice's formants) and the nearest of all counts. Above
  MATCH_THRESHOLD it is unknown speech: a person or an answering machine must never
  match (an `invalid` number is skipped by every campaign after).
"""
from dataclasses import dataclass

import numpy as np

RATE = 8000
FRAME = 256                 # 32 ms: one FFT bin = 31.25 Hz
HOP = 128                   # 16 ms between frames
SILENCE_DBFS = -55.0        # quieter than this is no audio at all
TONAL_SHARE = 0.6           # a frame is a tone when its peak (±2 bins) holds this share
SIT_RANGES = ((880.0, 1020.0), (1330.0, 1470.0), (1730.0, 1830.0))
SIT_SECOND_SPLIT = 1399.55  # between 1370.6 (vacant code, intercept) and 1428.5 Hz (no circuit, reorder)
CADENCE_RANGE = (400.0, 500.0)   # China's 450 Hz call-progress tones
BANDS = 24                  # mel filters, 200-3600 Hz
COEFFICIENTS = 8            # the envelope only: fewer coefficients hold up better in noise
MIN_SPEECH_S = 0.8          # less speech than this is not matched against announcements
QUERY_S = 5.0               # how much of the speech is matched (the first seconds)
NOISE_OVER, NOISE_KEEP = 2.0, 0.05   # spectral subtraction: how much noise out, how much kept
FLOOR = 0.05                # log energies floored 13 dB under each band's mean: valleys alike in noise
MATCH_THRESHOLD = 0.38      # mean cosine distance along the path; above it: unknown speech

# Every class the classifier gives; announcements are the reference library's classes.
TONE_CLASSES = ("sit_vacant", "sit_no_circuit", "busy", "congestion", "ringback")
OTHER_CLASSES = ("speech", "tone", "silence")


@dataclass(frozen=True)
class Heard:
    """The classifier's answer: a class, how sure (announcements: the match distance), why."""
    audio_class: str
    distance: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class Reference:
    audio_class: str
    name: str
    fingerprint: np.ndarray


def as_samples(pcm):
    """bytes or int16 array -> float64 array in [-1, 1)."""
    if isinstance(pcm, (bytes, bytearray, memoryview)):
        pcm = np.frombuffer(bytes(pcm)[: len(pcm) // 2 * 2], dtype="<i2")
    return np.asarray(pcm, dtype=np.float64) / 32768.0


def frames(samples, size=FRAME, hop=HOP):
    if len(samples) < size:
        samples = np.pad(samples, (0, size - len(samples)))
    count = 1 + (len(samples) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return samples[index]


WINDOW = np.hanning(FRAME)


def power_spectra(samples):
    return np.abs(np.fft.rfft(frames(samples) * WINDOW, axis=1)) ** 2


@dataclass(frozen=True)
class Segment:
    start: float      # seconds
    end: float
    frequency: float  # Hz, measured over the whole segment

    @property
    def length(self):
        return self.end - self.start


def tone_segments(samples, spectra=None):
    """Steady tones: runs of tonal frames whose peak stays within a bin, with their
    frequency measured on the run's samples (zero-padded FFT, parabolic peak)."""
    spectra = power_spectra(samples) if spectra is None else spectra
    usable = spectra[:, 3:]                      # below ~94 Hz is hum, not a tone
    total = usable.sum(axis=1) + 1e-20
    peak = usable.argmax(axis=1)
    cumulative = np.concatenate([np.zeros((len(usable), 1)), np.cumsum(usable, axis=1)], axis=1)
    low = np.clip(peak - 2, 0, usable.shape[1])
    high = np.clip(peak + 3, 0, usable.shape[1])
    share = (cumulative[np.arange(len(usable)), high] - cumulative[np.arange(len(usable)), low]) / total
    loud = 10 * np.log10(spectra.sum(axis=1) / (FRAME * np.sum(WINDOW ** 2) / 2) + 1e-20) > SILENCE_DBFS
    tonal = (share >= TONAL_SHARE) & loud
    segments, first = [], None
    for i in range(len(tonal) + 1):
        ongoing = i < len(tonal) and tonal[i] and first is not None and abs(int(peak[i]) - int(peak[first])) <= 1
        if ongoing:
            continue
        if first is not None and i - first >= 3:   # at least ~64 ms
            segments.append(_measure(samples, first, i))
        first = i if i < len(tonal) and tonal[i] else None
    return segments


def _measure(samples, first, stop):
    start, end = first * HOP, (stop - 1) * HOP + FRAME
    piece = samples[start:end]
    size = 1 << max(13, int(np.ceil(np.log2(len(piece)))))   # >= 8192 points: under 1 Hz a bin
    spectrum = np.abs(np.fft.rfft(piece * np.hanning(len(piece)), n=size))
    k = int(spectrum[3:].argmax()) + 3
    a, b, c = np.log(spectrum[k - 1:k + 2] + 1e-20)
    offset = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0
    # a frame straddling the edge counts half: the tone's length is the frames' hop span
    return Segment(start / RATE + (FRAME - HOP) / 2 / RATE, end / RATE - (FRAME - HOP) / 2 / RATE,
                   (k + offset) * RATE / size)


def find_sit(segments):
    """'sit_vacant' or 'sit_no_circuit' if three segments in a row are SIT, else None."""
    for i in range(len(segments) - 2):
        triple = segments[i:i + 3]
        if all(lo <= s.frequency <= hi and 0.15 <= s.length <= 0.55
               for s, (lo, hi) in zip(triple, SIT_RANGES)) \
                and all(b.start - a.end <= 0.08 for a, b in zip(triple, triple[1:])):
            return "sit_vacant" if triple[1].frequency < SIT_SECOND_SPLIT else "sit_no_circuit"
    return None


def find_cadence(segments):
    """'busy', 'congestion' or 'ringback' from 450 Hz segments, else None."""
    on = [s.length for s in segments if CADENCE_RANGE[0] <= s.frequency <= CADENCE_RANGE[1] and s.length >= 0.2]
    if not on:
        return None
    if 0.85 <= max(on) <= 1.5:     # the recording may cut a burst short: the longest one counts
        return "ringback"
    typical = float(np.median(on))
    if typical < 0.5 and len(on) >= 3:
        return "busy"
    if typical < 0.85 and len(on) >= 2:
        return "congestion"
    return None


# --- announcements ------------------------------------------------------------------

def mel(hz):
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def mel_bank(warp=1.0, bands=BANDS, low=200.0, high=3600.0):
    """Triangular mel filters; `warp` scales their frequencies (a higher voice's formants
    sit higher: warp 1.2 brings a woman's voice onto a man's reference)."""
    freqs = np.fft.rfftfreq(FRAME, 1 / RATE)
    edges = 700.0 * (10 ** (np.linspace(mel(low * warp), mel(min(high * warp, 3990.0)), bands + 2) / 2595.0) - 1)
    bank = np.zeros((len(freqs), bands))
    for i in range(bands):
        left, centre, right = edges[i:i + 3]
        bank[:, i] = np.clip(np.minimum((freqs - left) / (centre - left), (right - freqs) / (right - centre)), 0, None)
    return bank


WARPS = (1.0, 1.1, 1.2, 1.3)
MEL_BANKS = {w: mel_bank(w) for w in WARPS}
CEPSTRA = np.cos(np.pi / BANDS * (np.arange(BANDS)[:, None] + 0.5) * np.arange(1, COEFFICIENTS + 1)[None, :])


def speech_frames(spectra, tonal_mask=None):
    """Frames well above the recording's noise floor and not a steady tone."""
    energy = spectra.sum(axis=1) / (FRAME * np.sum(WINDOW ** 2) / 2)
    db = 10 * np.log10(energy + 1e-20)
    floor = np.percentile(db, 10)
    # 6 dB over the floor; with no quiet frames at all (floor near the top), the loud ones
    threshold = floor + 6.0 if db.max() - floor > 16.0 else db.max() - 10.0
    active = (db > SILENCE_DBFS) & (db > threshold)
    if tonal_mask is not None:
        active &= ~tonal_mask
    return active


def fingerprint(spectra, warp=1.0, noise=None):
    """Speech frames x cepstral coefficients (c1…c12 of log mel energies: the spectral
    envelope, without level or pitch), each coefficient's mean and spread over the
    utterance removed (the line's colouring, the voice's), each frame unit length.
    Frames are taken two hops apart (32 ms): enough for speech, half the matching work."""
    spectra = spectra[::2]
    if noise is not None:  # spectral subtraction: the line's steady noise out of the valleys
        spectra = np.maximum(spectra - NOISE_OVER * noise, NOISE_KEEP * noise)
    energies = spectra @ MEL_BANKS[warp]
    coefficients = np.log(energies + energies.mean(axis=0) * FLOOR + 1e-20) @ CEPSTRA
    coefficients -= coefficients.mean(axis=0)
    coefficients /= coefficients.std(axis=0) + 1e-9
    norms = np.linalg.norm(coefficients, axis=1, keepdims=True)
    return coefficients / np.where(norms > 0, norms, 1.0)


def speech_part(samples):
    """The spectra of the first QUERY_S of speech frames (pauses and tones left out), or
    None if there is too little speech."""
    spectra = power_spectra(samples)
    tonal = np.zeros(len(spectra), dtype=bool)
    for seg in tone_segments(samples, spectra):
        if seg.length < 0.2:
            continue  # a vowel held by one harmonic, not a line's tone
        tonal[max(0, int(seg.start * RATE / HOP) - 2): int(seg.end * RATE / HOP) + 2] = True  # and its edges
    mask = speech_frames(spectra, tonal)
    active = np.flatnonzero(mask)
    if len(active) * HOP / RATE < MIN_SPEECH_S:
        return None
    return spectra[active[: int(QUERY_S * RATE / HOP)]], noise_spectrum(spectra)


def noise_spectrum(spectra):
    """The line's steady noise: the mean spectrum of the quietest tenth of the frames."""
    energy = spectra.sum(axis=1)
    quiet = energy <= np.percentile(energy, 10)
    return spectra[quiet].mean(axis=0)


def reference_fingerprint(samples):
    """A reference recording's fingerprint: all its speech frames."""
    spectra = power_spectra(samples)
    active = speech_frames(spectra)
    if active.sum() * HOP / RATE < MIN_SPEECH_S:
        raise ValueError("the reference holds less than a second of sound")
    return fingerprint(spectra[active])


def match_distance(query, reference):
    """Mean cosine distance along the best warping path of the whole query through any
    stretch of the reference (steps: the reference advances 0, 1 or 2 frames a frame)."""
    cost = 1.0 - query @ reference.T                    # query frames x reference frames
    big = np.inf
    row = cost[0].copy()                                # free start anywhere in the reference
    for i in range(1, len(query)):
        step = np.concatenate(([big], row[:-1]))
        skip = np.concatenate(([big, big], row[:-2]))
        row = cost[i] + np.minimum(np.minimum(row, step), skip)
    return float(row.min() / len(query))


def match_announcement(samples, references):
    """(class, distance) of the nearest reference over every voice warp, or (None,
    distance) if none is near; (None, inf) when there is too little speech."""
    part = speech_part(samples)
    if part is None or not references:
        return None, float("inf")
    spectra, noise = part
    best, best_class = float("inf"), None
    for warp in WARPS:
        query = fingerprint(spectra, warp, noise)
        for ref in references:
            # Carriers repeat their announcement: the query may run from one telling into
            # the next, so it is matched against two tellings, and no longer than one.
            twice = np.concatenate([ref.fingerprint, ref.fingerprint])
            distance = match_distance(query[: len(ref.fingerprint)], twice)
            if distance < best:
                best, best_class = distance, ref.audio_class
    return (best_class if best <= MATCH_THRESHOLD else None), best


def level_dbfs(samples):
    return 10 * np.log10(float(np.mean(samples ** 2)) + 1e-20) if len(samples) else -200.0


def classify(pcm, references=(), seconds=8.0):
    """What the first `seconds` of a call's audio were (a Heard)."""
    samples = as_samples(pcm)[: int(seconds * RATE)]
    if len(samples) < FRAME or level_dbfs(samples) < SILENCE_DBFS:
        return Heard("silence", detail=f"{len(samples) / RATE:.1f} s, {level_dbfs(samples):.0f} dBFS")
    segments = tone_segments(samples)
    sit = find_sit(segments)
    announcement, distance = match_announcement(samples, references)
    if announcement:
        return Heard(announcement, distance, "announcement" + (f" after {sit}" if sit else ""))
    if sit:
        return Heard(sit, detail="special information tones")
    if distance < float("inf"):   # before the cadences: ringback, then someone speaking
        return Heard("speech", distance, "speech matching no reference")
    cadence = find_cadence(segments)
    if cadence:
        return Heard(cadence, detail="450 Hz cadence")
    if segments:
        return Heard("tone", detail=", ".join(f"{s.frequency:.0f} Hz {s.length:.2f} s" for s in segments[:3]))
    return Heard("silence", detail="no tone, no speech")
