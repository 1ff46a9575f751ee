"""How fast the SMPP bearer may go: the account's rate as a token bucket, and the
doubling waits after a refusal (throttled, queue full) or a lost link."""
import time


class TokenBucket:
    """`rate` submits a second on average, bursts of at most `burst` (default: one
    second's worth, at least 1). Time is passed in (monotonic seconds) so tests can step it."""

    def __init__(self, rate, burst=None, now=None):
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, self.rate))
        self.tokens = self.burst
        self.at = time.monotonic() if now is None else now

    def _refill(self, now):
        if now > self.at:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def available(self, now):
        """Whole submits allowed now."""
        self._refill(now)
        return int(self.tokens)

    def take(self, count, now):
        self._refill(now)
        self.tokens -= count

    def wait(self, now):
        """Seconds until the next submit is allowed (0 when one is now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def empty(self, now):
        """The SMSC said we went too fast: start again from nothing."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)


class Backoff:
    """first, 2*first, 4*first … up to `limit` seconds; reset() after a success."""

    def __init__(self, first, limit=300.0):
        self.first, self.limit = float(first), float(limit)
        self.current = 0.0

    def next(self):
        self.current = self.first if not self.current else min(self.limit, self.current * 2)
        return self.current

    def reset(self):
        self.current = 0.0
