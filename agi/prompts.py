"""Prompt audio at call time: defaults built from the catalogue
(appliance/ivr/prompts.toml) with espeak-ng and sox, prompts found again for a
call, dynamic texts (names) spoken into a cache, and recording a replacement
on the box with PyAudio.

The files themselves (layout, listing, converting and installing an admin's
replacement) are appliance/prompt_files.py, shared with the admin page.
Asterisk is given the path without extension and picks the .wav.
"""
import hashlib
import json
import logging
import os
import subprocess
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agi.products import phone_quote
from appliance.errors import ApplianceError, InputError
from appliance.ivr.prompt_files import (
    LANGUAGES,
    SOX_OUT,
    catalogue,
    check_language,
    check_name,
    fill,
    install,
    prompts_dir,
)

log = logging.getLogger(__name__)

VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}


class PromptError(ApplianceError):
    """Building or converting prompt audio failed (a tool is missing or broke)."""


# --- building -----------------------------------------------------------------------

def synthesize(text, language, out_path):
    """espeak-ng -> sox -> 8 kHz 16-bit mono WAV at out_path (written atomically)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.{id(text)}.tmp.wav")
    try:
        speech = subprocess.run(["espeak-ng", "-v", VOICES[language], "--stdout", text],
                                capture_output=True, check=True, timeout=60).stdout
        subprocess.run(["sox", "-q", "-t", "wav", "-", *SOX_OUT, str(tmp)],
                       input=speech, capture_output=True, check=True, timeout=60)
        os.replace(tmp, out_path)
    except FileNotFoundError as exc:
        raise PromptError(f"{exc.filename} is not installed (needed to build prompts)") from None
    except subprocess.CalledProcessError as exc:
        raise PromptError(f"{exc.cmd[0]} failed: {exc.stderr.decode(errors='replace').strip()}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


def make_tone(frequency, seconds, out_path):
    """A sine tone (the `beep` before a recording) as an Asterisk-ready WAV, with sox."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tone.tmp.wav")
    try:
        subprocess.run(["sox", "-q", "-n", *SOX_OUT, str(tmp), "synth", str(seconds), "sine", str(frequency),
                        "vol", "0.5"], capture_output=True, check=True, timeout=60)
        os.replace(tmp, out_path)
    except FileNotFoundError as exc:
        raise PromptError(f"{exc.filename} is not installed (needed to build prompts)") from None
    except subprocess.CalledProcessError as exc:
        raise PromptError(f"sox failed: {exc.stderr.decode(errors='replace').strip()}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


def _make(language, name, text, path):
    tone = catalogue()[name].get("tone")
    if tone:
        return make_tone(tone[0], tone[1], path)
    return synthesize(text, language, path)


def _manifest_path(config, language):
    return prompts_dir(config) / language / ".manifest.json"


def build(config, force=False, names=None, workers=2):
    """Generate every default prompt that is missing or whose text changed.
    Returns (built, kept) counts. Fast when nothing changed: only stats files."""
    jobs, kept = [], 0
    for language in LANGUAGES:
        manifest_file = _manifest_path(config, language)
        manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
        for name, entry in catalogue().items():
            if entry.get("dynamic") or language not in entry or (names and name not in names):
                continue
            text = fill(entry[language], config) if not entry.get("tone") else f"tone {entry['tone']}"
            path = prompts_dir(config) / language / f"{name}.wav"
            if not force and path.exists() and manifest.get(name) == text:
                kept += 1
                continue
            jobs.append((language, name, text, path))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda job: _make(*job), jobs))
    for language in LANGUAGES:
        done = {name: text for lang, name, text, _ in jobs if lang == language}
        if done:
            manifest_file = _manifest_path(config, language)
            manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
            manifest.update(done)
            manifest_file.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return len(jobs), kept


def missing(config):
    """Default prompts not built yet, as 'lang/name'."""
    return [f"{language}/{name}" for name, entry in catalogue().items() for language in LANGUAGES
            if not entry.get("dynamic") and language in entry
            and not (prompts_dir(config) / language / f"{name}.wav").exists()]


# --- finding a prompt at call time ---------------------------------------------------

class PromptFinder:
    """Maps prompt names to files for one data_dir; remembers what exists."""

    def __init__(self, config):
        self.config = config
        self.root = prompts_dir(config)
        self._cache = {}
        self._custom_stamp = None

    def _check_custom(self):
        """Forget what was found when an admin replaced or restored a prompt
        (the admin page and the CLI write custom/LANG/ in another process):
        adding or removing a file changes its folder's mtime. Two stats."""
        stamp = []
        for language in LANGUAGES:
            try:
                stamp.append((self.root / "custom" / language).stat().st_mtime_ns)
            except FileNotFoundError:
                stamp.append(0)
        if stamp != self._custom_stamp:
            self._cache.clear()
            self._custom_stamp = stamp

    def path(self, name, language):
        """Path without extension to give Asterisk, or None when no file exists.
        Order: custom/lang, lang, then the same in the other language."""
        self._check_custom()
        key = (name, language)
        if key in self._cache and self._cache[key] is not None:
            return self._cache[key]
        other = "en" if language == "zh" else "zh"
        found = None
        for folder in (f"custom/{language}", language, f"custom/{other}", other):
            candidate = self.root / folder / name
            if candidate.with_suffix(".wav").exists():
                found = str(candidate)
                break
        self._cache[key] = found
        return found

    def spoken(self, text, language, template="spoken_text", **fields):
        """A cached recording of a dynamic prompt (a name, a product) filled
        with `text` and `fields`: built with espeak-ng the first time, then
        reused. None if it cannot be built."""
        entry = catalogue()[template]
        voice = language if language in entry else "zh"
        words = fill(entry[voice], self.config, text=text, **fields)
        digest = hashlib.sha1(f"{voice}:{words}".encode()).hexdigest()[:16]
        path = self.root / "cache" / voice / digest
        if not path.with_suffix(".wav").exists():
            try:
                synthesize(words, voice, path.with_suffix(".wav"))
                path.with_suffix(".txt").write_text(words)  # for people reading a call's prompts
            except PromptError as exc:
                log.warning("cannot speak a dynamic prompt: %s", exc)
                return None
        return str(path)


def warm_names(config, finder=None):
    """Speak every agent's name and branch, every product name and the phone application's
    product options into the cache, so no caller waits for espeak-ng on a first lookup. Returns how many
    texts were built. Runs in the background at server start."""
    from appliance.models import Product, Staff
    finder = finder or PromptFinder(config)
    texts = {s.name for s in Staff.select(Staff.name)} | {s.branch for s in Staff.select(Staff.branch)}
    texts |= {p.name for p in Product.select(Product.name)}
    texts |= set(phone_quote.option_texts(config))  # 安心定期寿险请按1: the phone application's options
    texts.add(config["branch_name"])
    built = 0
    for text in sorted(t for t in texts if t):
        root = finder.root / "cache" / "zh"
        before = len(list(root.glob("*.wav"))) if root.exists() else 0
        finder.spoken(text, "zh")
        built += (len(list(root.glob("*.wav"))) if root.exists() else 0) - before
    return built


# --- recording a replacement on the box ----------------------------------------------

def record(config, name, language="zh", seconds=10.0, device=None, on_start=None):
    """Record NAME from the box's microphone with PyAudio, then install it.
    on_start() is called when the microphone is open (to tell the admin to speak)."""
    check_name(name)
    check_language(language)
    pcm, rate = _capture(seconds, device, on_start)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "recorded.wav"
        with wave.open(str(raw), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(pcm)
        return install(config, name, raw, language)


def _capture(seconds, device=None, on_start=None, rate=16000):
    import pyaudio
    with _quiet_stderr():  # PortAudio/ALSA print pages of probing noise to fd 2
        audio = pyaudio.PyAudio()
    try:
        inputs = [i for i in range(audio.get_device_count())
                  if audio.get_device_info_by_index(i).get("maxInputChannels", 0) > 0]
        if not inputs:
            raise InputError("no audio input device (microphone) found on this machine; "
                             "record elsewhere and use `appliance prompts upload`", field="device")
        index = device if device is not None else inputs[0]
        if index not in inputs:
            raise InputError(f"--device: {index} is not an input device (inputs: {inputs})", field="device")
        stream = audio.open(format=pyaudio.paInt16, channels=1, rate=rate, input=True,
                            input_device_index=index, frames_per_buffer=1024)
        if on_start:
            on_start()
        frames = [stream.read(1024, exception_on_overflow=False) for _ in range(int(rate / 1024 * seconds))]
        stream.stop_stream()
        stream.close()
        return b"".join(frames), rate
    finally:
        audio.terminate()


class _quiet_stderr:
    def __enter__(self):
        self.saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)


def text_of(config, path, language="zh"):
    """What a prompt file says, for printing: from prompts.toml, or the text a
    cached dynamic prompt was spoken from."""
    name = Path(path).name
    entry = catalogue().get(name)
    if entry is not None and not entry.get("dynamic"):
        return fill(entry.get(language) or entry.get("zh") or entry.get("en"), config)
    sidecar = Path(f"{path}.txt")
    return sidecar.read_text() if sidecar.exists() else name


