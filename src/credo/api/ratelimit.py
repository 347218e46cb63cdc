"""Per-partner rate limits: a token bucket for each partner, in process memory.

Each partner's bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per second; a
request takes one token, and a request that finds less than one is refused with the time until
one will be there (:class:`~credo.errors.RateLimitedError`, HTTP 429 with ``Retry-After``).

The buckets live in the process that serves the request: with ``N`` workers a partner may reach
``N`` times the rate. That bounds abuse well enough for one host; a shared limit across hosts
would need a shared store and is left to the gateway in front of the API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from credo.errors import InvalidInputError, RateLimitedError

__all__ = ["Monotonic", "RateLimiter", "TokenBucket"]

Monotonic = Callable[[], float]
"""A clock in seconds that never goes back (``time.monotonic`` unless a test injects one)."""


@dataclass(slots=True)
class TokenBucket:
    """One caller's bucket: ``tokens`` available as of the instant ``at`` (monotonic seconds)."""

    tokens: float
    at: float

    def take(self, now: float, *, rate: float, burst: int) -> float:
        """Take one token at ``now``; returns 0 when taken, else the seconds until one refills.

        >>> bucket = TokenBucket(tokens=1.0, at=0.0)
        >>> bucket.take(0.0, rate=2.0, burst=1), bucket.take(0.0, rate=2.0, burst=1)
        (0.0, 0.5)
        """
        # time that seems to run backwards (a clock reset, a test) must never mint tokens
        elapsed = max(0.0, now - self.at)
        self.tokens = min(float(burst), self.tokens + elapsed * rate)
        self.at = max(self.at, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / rate


class RateLimiter:
    """Token buckets by caller key (a partner's id), safe to use from many threads.

    Parameters
    ----------
    rate
        Tokens each bucket regains per second (the sustained requests per second).
    burst
        Tokens a bucket holds at most (requests accepted at once after a quiet spell).
    clock
        Monotonic seconds; tests inject a fake one.
    """

    def __init__(self, rate: float, burst: int, *, clock: Monotonic = time.monotonic) -> None:
        if not rate > 0:
            raise InvalidInputError(f"a rate limit needs a rate above 0 per second; got {rate}")
        if burst < 1:
            raise InvalidInputError(f"a rate limit needs a burst of at least 1; got {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, key: Hashable) -> float:
        """Take a token for ``key``; 0 when the request may go on, else the seconds to wait."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(tokens=float(self.burst), at=now)
            return bucket.take(now, rate=self.rate, burst=self.burst)

    def acquire(self, key: Hashable, *, who: str) -> None:
        """Take a token for ``key`` or raise RateLimitedError naming ``who`` and the wait."""
        wait = self.check(key)
        if wait > 0:
            raise RateLimitedError(
                f"{who} exceeded its rate limit of {self.rate:g} requests per second "
                f"(burst {self.burst}); retry in {wait:.2f} s",
                retry_after_seconds=wait,
            )
