"""One caller on the line: what the IVR flows use to talk to them.

Wraps the FastAGI channel with prompts by name (found in the caller's language,
falling back to the other one; a missing file is skipped with a warning rather
than sent, because Asterisk answers a missing file with -1 exactly as it answers
a hangup), key collection with retries, spoken numbers, and the call record.
"""
import datetime
import logging

from agi import speech
from agi.channel import ALL_KEYS, AgiReplyError, CallerHungUp
from appliance import clock
from appliance.ivr import calls
from appliance.privacy import mask_mobile

log = logging.getLogger(__name__)

class EndCall(Exception):
    """The IVR is done with this caller (goodbye said, or transferred)."""

    def __init__(self, outcome="completed"):
        super().__init__(outcome)
        self.outcome = outcome


class Session:
    def __init__(self, channel, context, call, started=None, customer=None, staff=None, language="zh"):
        self.channel = channel
        self.config = context.config
        self.finder = context.finder
        self.writer = context.writer
        self.call = call
        self.started = started  # Future of the call record's first commit
        self.customer = customer
        self.staff = staff
        self.language = language
        self.where = "start"  # the node or flow step the caller is at
        self.channel_typeahead = ""  # a key pressed during the greeting, for the first menu
        self.typeahead = ""  # a digit that stopped a flow's intro: the first of the next entry
        self.entry_full = False  # the last entry took its maximum: a '#' after it is no escape
        self.env = channel.env

    @property
    def caller_id(self):
        return self.call.caller_id

    @property
    def call_id(self):
        """The call record's id, once its first commit is done (waits for it)."""
        if self.started is not None:
            self.started.result()
        return self.call.id

    # --- where the caller is ------------------------------------------------------------
    def enter(self, step):
        self.where = step
        self.call.enter(step)
        log.debug("call %s (%s) at %s", self.call.id, mask_mobile(self.caller_id), step)

    def pressed(self, keys, secret=False):
        self.call.pressed(self.where, keys, secret=secret)

    # --- playing -------------------------------------------------------------------------
    def _file(self, name):
        path = self.finder.path(name, self.language)
        if path is None:
            log.warning("prompt %s (%s) has no audio file; skipped (run `appliance prompts build`)",
                        name, self.language)
        return path

    def play(self, *items, escape=ALL_KEYS):
        """Play prompts in order (names, or ('text', words) spoken from the cache);
        a key in `escape` stops playback and is returned, else ''.

        After an entry that took all the digits it could, the caller's habitual '#'
        reaches this prompt (Asterisk passes keys beyond GET DATA's maximum to the
        next command): it does not stop it."""
        if self.entry_full:
            self.entry_full = False
            escape = escape.replace("#", "")
        for item in items:
            path = self._resolve(item)
            if path is None:
                continue
            key = self.channel.stream(path, escape)
            if key:
                return key
        return ""

    def _resolve(self, item):
        if isinstance(item, tuple):
            template, language, text = item
            return self.finder.spoken(text, language, template)
        return self._file(item)

    def text(self, words, template="spoken_text"):
        """A dynamic item for play(): names and product names, in the Mandarin voice."""
        return (template, "zh", words)

    def wait_key(self, timeout_ms):
        self.entry_full = False
        key = self.channel.wait_for_digit(timeout_ms)
        return key or ""

    def ask_key(self, prompts, allowed, timeout_ms=5000, retries=3):
        """Play `prompts` and wait for one key in `allowed`; on no or a wrong key,
        say so and ask again, up to `retries` more times. Returns the key or ''."""
        pending = ""
        for attempt in range(retries + 1):
            key = pending or self.play(*prompts) or self.wait_key(timeout_ms)
            pending = ""
            if key:
                self.pressed(key)
            if key and key in allowed:
                return key
            if attempt < retries:
                pending = self.play("invalid_input" if key else "no_input")
        return ""

    def ask_digits(self, prompt, max_digits, timeout_ms=5000, secret=False):
        """GET DATA: the digits keyed ('#' ends; not returned). '' on no input.
        A digit typed ahead (it stopped the intro before) is the entry's first.
        An answer that is not an entry (more keys than asked for, not keys) is
        refused like no input: the caller is asked again."""
        path = self._file(prompt)
        first, self.typeahead = self.typeahead, ""
        self.entry_full = False
        if path is None:
            return ""
        digits = first
        if len(first) < max_digits:
            try:
                digits += self.channel.get_digits(path, timeout_ms, max_digits - len(first))
            except AgiReplyError as exc:
                log.warning("call %s at %s: entry refused: %s", self.call.id, self.where, exc)
                return ""
        self.entry_full = len(digits) >= max_digits
        self.pressed(digits, secret=secret)
        return digits

    # --- speaking values -------------------------------------------------------------------
    def say_digits(self, text):
        return speech.digits(text, self.language)

    def say_money(self, amount):
        return speech.money(amount, self.language)

    def say_date(self, day):
        return speech.date(day, self.language)

    # --- operator --------------------------------------------------------------------------
    def operator_open(self, now=None):
        """Is the operator reachable at instant `now` (business days and hours, the box's time zone)?"""
        now = clock.local_now(now)
        days = parse_days(self.config["agi.business_days"])
        start, end = parse_hours(self.config["agi.business_hours"])
        return now.isoweekday() in days and start <= now.time() < end

    # --- database writes: all through the server's one writer thread ------------------------
    def checkpoint(self):
        self.call_id
        self.writer.call(calls.checkpoint, self.call)

    def write(self, fn, *args, **kwargs):
        """Run a write in the writer thread and wait until it is committed."""
        return self.writer.call(fn, *args, **kwargs)

    def write_acknowledged(self, fn, *args, then=None, **kwargs):
        """Start a write, say 'OK' while it commits, and return its result once
        committed: the caller hears at once that the key was taken, and hears
        about the effect only after it is written. then(result) runs once it is
        committed, also when the caller hangs up during the 'OK' (so the call
        record still notes what was done)."""
        job = self.writer.submit(fn, *args, **kwargs)
        try:
            self.play("ack", escape="")
        except CallerHungUp:
            if then is not None:
                then(job.result())
            raise
        result = job.result()
        if then is not None:
            then(result)
        return result

    def write_soon(self, fn, *args, **kwargs):
        """Start a write; returns a Future to wait on before telling the caller about it."""
        return self.writer.submit(fn, *args, **kwargs)


def parse_days(text):
    """'1-5' or '1,3,5' or '1-5,7' -> {1,2,3,4,5,7}."""
    days = set()
    for part in str(text).split(","):
        part = part.strip()
        if "-" in part:
            low, high = part.split("-", 1)
            days.update(range(int(low), int(high) + 1))
        elif part:
            days.add(int(part))
    return days


def parse_hours(text):
    start, end = str(text).split("-", 1)
    return (datetime.time.fromisoformat(start.strip()), datetime.time.fromisoformat(end.strip()))
