"""Number screening (数据清洗), and what every call's early audio says about its number.

Asterisk records the first seconds of each call's audio from the dialled line (early media
before any answer; for screening probes also the first seconds after an answer) into
data_dir/early_audio/ (image/asterisk/extensions_outbound.conf), and names the file in
APPLIANCE_RESULT. When the dialer records the call's result it calls, in this order:

    heard = listen(result_value)                 # read, classify, trim: before the transaction
    with write_transaction():
        result = refine(attempt_id, result, heard)
        if finish(attempt_id, result, …):        # agi/dialer.py
            record(attempt_id, heard)            # audio_class, early_audio, ScreenedNumber

so the attempt's result, its audio class and the screened number are one commit.

Refining: an announcement or SIT says more than the hangup cause (a 空号 announcement
ending with cause 16 is `invalid`, not no_answer; a carrier answering to play it is
`invalid`, not answered); keys the callee pressed prove a person, and win.

停机 (ting_ji, service suspended) counts as `unreachable`, not `invalid`: the number is
still the customer's, usually back once the bill is paid, and an invalid number is
skipped by every campaign from then on.

A screening campaign's number gets one ScreenedNumber row (updated on a re-screen): valid
(answered, rang, busy, rejected by a person), invalid, unreachable, or unknown.
"""
import logging
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from appliance import clock
from appliance.errors import N_, InputError
from appliance.voice import early_audio
from appliance.voice.models import CallAttempt, ScreenedNumber, VoiceCampaign

log = logging.getLogger(__name__)

EARLY_AUDIO_DIR = "early_audio"     # under data_dir: Asterisk's recordings of early audio
LIBRARY_DIR = "announcements"       # under data_dir: CLASS/*.wav added by admins
SHIPPED = Path(__file__).with_name("announcements")   # CLASS.wav, made by screening_bench.write_references
KEEP_SECONDS = 8.0                  # what is classified, and kept, of each recording
PROBE_RING_SECONDS = 8              # a screening probe rings at most this long…
PROBE_LISTEN_SECONDS = 3            # …and, answered, listens this long before hanging up
# Recordings of these are not kept: no reference could be made of them (most calls ring
# before they are answered: their ringback would fill the disk).
NOTHING_TO_LEARN = ("silence", "ringback", "busy", "congestion")

ANNOUNCEMENT_STATUS = {"kong_hao": "invalid", "ting_ji": "unreachable", "guan_ji": "unreachable",
                       "wu_fa_jie_tong": "unreachable"}
ANNOUNCEMENT_CLASSES = tuple(ANNOUNCEMENT_STATUS)
# What a heard class makes of a call's result (classes not named here change nothing).
CLASS_RESULT = {**ANNOUNCEMENT_STATUS, "sit_vacant": "invalid", "sit_no_circuit": "congestion",
                "busy": "busy", "congestion": "congestion"}
PERSON_RESULTS = ("confirmed", "completed")          # a key pressed: a person, whatever was heard
VALID_RESULTS = ("confirmed", "answered", "completed", "machine", "busy", "no_answer", "rejected")


@dataclass(frozen=True)
class Listened:
    audio_class: str
    path: str = ""          # the recording, relative to data_dir ("" once deleted)
    detail: str = ""


# --- the dialplan's side ---------------------------------------------------------------

def dial_variables(attempt):
    """Extra Originate variables for an attempt: a screening probe rings briefly and,
    answered, only listens (extensions_outbound.conf reads these)."""
    if attempt.campaign.kind != "screening":  # the dialer's claim joined the campaign: no query
        return []
    return ["APPLIANCE_KIND=screening", f"APPLIANCE_PROBE_RING={PROBE_RING_SECONDS}",
            f"APPLIANCE_PROBE_LISTEN={PROBE_LISTEN_SECONDS}"]


def recording_of(result_value):
    """(data_dir, relative path) of the early audio APPLIANCE_RESULT names, or None.
    Its fields: status, cause, answered, dialled, relative path, data_dir (last: it may hold commas)."""
    parts = (result_value or "").split(",", 5)
    if len(parts) < 6 or not parts[4].strip() or not parts[5].strip():
        return None
    relative = parts[4].strip()
    if relative.startswith("/") or ".." in Path(relative).parts:
        return None
    return Path(parts[5].strip()), relative


def prepare(data_dir):
    """data_dir/early_audio, made by us so that Asterisk (in our group) writes into it and we
    may trim and delete its files: setgid and group-writable (as agi/flows.shared_folder)."""
    folder = Path(data_dir) / EARLY_AUDIO_DIR
    folder.mkdir(parents=True, exist_ok=True)
    mode = folder.stat().st_mode
    if mode & 0o2070 != 0o2070:
        try:
            os.chmod(folder, mode & 0o777 | 0o2770)
        except OSError as exc:
            log.warning("cannot make %s group-writable for Asterisk: %s", folder, exc)
    return folder


# --- hearing a call ---------------------------------------------------------------------

def read_pcm(path, seconds=KEEP_SECONDS):
    """The first `seconds` of a WAV's 8 kHz 16-bit samples. A file Asterisk has not closed
    yet has no sizes in its header: the data after the 44-byte header is read as it is."""
    with open(path, "rb") as handle:
        head = handle.read(44)
        if len(head) < 44 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path}: not a WAV file")
        return handle.read(int(seconds * early_audio.RATE) * 2)


def listen(result_value, seconds=KEEP_SECONDS):
    """Classify the early audio APPLIANCE_RESULT names (a Listened, or None if none was
    recorded); keep only its first `seconds`, and nothing of silence and call-progress tones."""
    found = recording_of(result_value)
    if found is None:
        return None
    data_dir, relative = found
    path = data_dir / relative
    try:
        pcm = read_pcm(path, seconds)
    except (OSError, ValueError) as exc:
        log.warning("early audio %s: %s", relative, exc)
        return None
    heard = early_audio.classify(pcm, load_references(data_dir), seconds)
    if heard.audio_class in NOTHING_TO_LEARN:
        _remove(path)
        return Listened(heard.audio_class, "", heard.detail)
    _keep(path, pcm)
    return Listened(heard.audio_class, relative, heard.detail)


def _keep(path, pcm):
    """Rewrite the recording as just its first seconds (best effort: Asterisk's file stays
    whole if our user may not replace it)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".trim-")
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(early_audio.RATE)
            out.writeframes(pcm)
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("early audio %s: cannot trim it: %s", path.name, exc)
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


def _remove(path):
    try:
        path.unlink()
    except OSError:
        pass


def refine(attempt_id, result, heard):
    """The call's result in the light of what was heard (in the result's transaction)."""
    if heard is None or heard.audio_class not in CLASS_RESULT:
        return result
    attempt = CallAttempt.select(CallAttempt.result, CallAttempt.keys).where(CallAttempt.id == attempt_id).first()
    if attempt is not None and (attempt.result in PERSON_RESULTS or attempt.keys):
        return result
    refined = CLASS_RESULT[heard.audio_class]
    if refined in ("busy", "congestion") and result in ("answered", "confirmed", "completed"):
        return result   # tones before an answer say nothing once someone answered
    return refined


def record(attempt_id, heard, now=None):
    """Note what was heard on the attempt and, for a screening campaign, screen its number
    (in the result's transaction, after the result is written)."""
    attempt = CallAttempt.get_by_id(attempt_id)
    if heard is not None:
        (CallAttempt.update(audio_class=heard.audio_class, early_audio=heard.path)
         .where(CallAttempt.id == attempt_id).execute())
    kind = VoiceCampaign.select(VoiceCampaign.kind).where(VoiceCampaign.id == attempt.campaign_id).scalar()
    if kind != "screening":
        return None
    status = screen_status(attempt.result)
    row = {"number": attempt.number, "status": status, "screened_at": now or clock.now(),
           "audio_class": heard.audio_class if heard else "", "attempt": attempt_id}
    (ScreenedNumber.insert(**row)
     .on_conflict(conflict_target=[ScreenedNumber.number],
                  update={k: v for k, v in row.items() if k != "number"}).execute())
    return status


def screen_status(result):
    if result in VALID_RESULTS:
        return "valid"
    if result in ("invalid", "unreachable"):
        return result
    return "unknown"


# --- the reference library ---------------------------------------------------------------

_cache = {}   # path -> ((mtime_ns, size), Reference)


def reference_files(data_dir):
    """(class, path) of every reference: shipped CLASS.wav, then data_dir/announcements/CLASS/*.wav."""
    files = [(p.stem, p) for p in sorted(SHIPPED.glob("*.wav")) if p.stem in ANNOUNCEMENT_CLASSES]
    if data_dir is not None:
        library = Path(data_dir) / LIBRARY_DIR
        for name in ANNOUNCEMENT_CLASSES:
            files += [(name, p) for p in sorted((library / name).glob("*.wav"))]
    return files


def load_references(data_dir):
    """The library's fingerprints (each computed once per file version)."""
    references = []
    for name, path in reference_files(data_dir):
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
            cached = _cache.get(path)
            if cached is None or cached[0] != key:
                samples = early_audio.as_samples(read_pcm(path, seconds=30))
                cached = (key, early_audio.Reference(name, path.name, early_audio.reference_fingerprint(samples)))
                _cache[path] = cached
            references.append(cached[1])
        except (OSError, ValueError) as exc:
            log.warning("announcement reference %s: %s", path, exc)
    return references


def add_reference(data_dir, attempt_id, audio_class):
    """Copy an attempt's early audio into the library as a reference of `audio_class`;
    returns the new file's path."""
    if audio_class not in ANNOUNCEMENT_CLASSES:
        raise InputError.of(N_("{field}: must be one of {choices}, got {audio_class!r}"),
                            field="class", choices=', '.join(ANNOUNCEMENT_CLASSES), audio_class=audio_class)
    attempt = CallAttempt.get_or_none(CallAttempt.id == attempt_id)
    if attempt is None:
        raise InputError.of(N_("{field}: no call attempt {attempt_id}"), field="attempt", attempt_id=attempt_id)
    if not attempt.early_audio:
        raise InputError.of(N_("{field}: call attempt {attempt_id} has no early audio recorded"),
                            field="attempt", attempt_id=attempt_id)
    source = Path(data_dir) / attempt.early_audio
    try:
        pcm = read_pcm(source, seconds=30)
        early_audio.reference_fingerprint(early_audio.as_samples(pcm))
    except (OSError, ValueError) as exc:
        raise InputError.of(N_("{field}: the early audio of call attempt {attempt_id} cannot be used: {exc}"),
                            field="attempt", attempt_id=attempt_id, exc=exc) from None
    folder = Path(data_dir) / LIBRARY_DIR / audio_class
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"attempt{attempt_id}.wav"
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(early_audio.RATE)
        out.writeframes(pcm)
    os.chmod(target, 0o640)
    return target


def remove_reference(data_dir, audio_class, name):
    """Remove an admin-added reference (shipped ones stay); False if there was none."""
    if audio_class not in ANNOUNCEMENT_CLASSES:
        raise InputError.of(N_("{field}: must be one of {choices}, got {audio_class!r}"),
                            field="class", choices=', '.join(ANNOUNCEMENT_CLASSES), audio_class=audio_class)
    if "/" in name or name.startswith("."):
        raise InputError.of(N_("{field}: not a reference file name: {name!r}"), field="name", name=name)
    path = Path(data_dir) / LIBRARY_DIR / audio_class / name
    if not path.is_file():
        return False
    path.unlink()
    _cache.pop(path, None)
    return True
