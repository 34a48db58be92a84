"""Client-side rate limiting for hosted providers: requests and tokens per minute, shared per endpoint and key.

A `RateLimiter` holds two token buckets (requests, tokens), each of a minute's allowance refilled
continuously at ``limit / 60`` a second, the way hosted APIs meter. Callers *reserve* before they send:
`RateLimiter.acquire` (threads) and `RateLimiter.aacquire` (asyncio) take the units at once, letting a bucket
go below zero, and sleep until it is back at zero. Reservations are therefore served in order, a request
never waits for more than its own share, and the time a request spends on the wire is not lost to the
budget (the buckets keep refilling). It learns from the service:

- `RateLimiter.observe` reads ``x-ratelimit-limit-*`` (the limits, when none were configured) and
  ``x-ratelimit-remaining-*`` (the service's own count: the local buckets never hold more than it, less
  what is still in flight);
- `RateLimiter.pause` is called on a 429: every caller sharing the limiter waits ``Retry-After`` seconds.

One limiter is shared by every call to the same endpoint with the same key in a process (threads and event
loops alike): `LimiterRegistry.get` hands it out by ``(endpoint, key digest)``; the registry lives in the
runtime, the one owner of process state, so a provider asks
``embedsdk.runtime.current().limiters.get(endpoint_host(url), key_digest(key), rpm=..., tpm=...)``.
Limits come from, in order: the provider's options (``rpm=``, ``tpm=``), the variables
``EMBEDSDK_<FAMILY>_RPM`` and ``EMBEDSDK_<FAMILY>_TPM`` (`limits_from_env`), the provider's declared
`ProviderLimits`, and the service's headers.

Why not a library: aiolimiter is asyncio-only, pyrate-limiter and limits have no weighted reservation that
threads and event loops can share or a way to follow the service's remaining counts. What is needed is
about a hundred lines, tested here.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from embedsdk.errors import ConfigurationError

__all__ = ["LimiterRegistry", "RateLimiter", "SAFETY_MARGIN", "endpoint_host", "key_digest", "limits_from_env"]


SAFETY_MARGIN = 0.01
"""Seconds added to every wait, so a request never reaches the service a moment before its budget has."""


def key_digest(secret: str | None) -> str:
    """A short sha256 of an API key: tells keys apart without holding one (never shown, never cached)."""
    return hashlib.sha256((secret or "").encode("utf-8")).hexdigest()[:16]


def limits_from_env(family: str) -> tuple[int | None, int | None]:
    """``EMBEDSDK_<FAMILY>_RPM`` and ``EMBEDSDK_<FAMILY>_TPM`` (None when unset).

    Raises:
        ConfigurationError: a variable is set to something other than a positive whole number.
    """
    values: list[int | None] = []
    for what in ("RPM", "TPM"):
        name = f"EMBEDSDK_{family.upper()}_{what}"
        raw = os.environ.get(name, "").strip()
        if not raw:
            values.append(None)
            continue
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise ConfigurationError(f"{name}={raw!r}: set it to a positive whole number per minute, or unset it")
        values.append(value)
    return values[0], values[1]


class _Bucket:
    """A minute's allowance refilled continuously; the level may go below zero (reserved ahead)."""

    def __init__(self, per_minute: int, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = float(per_minute)
        self.stamp = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def reserve(self, amount: float, now: float) -> float:
        """Take ``amount``; return the seconds until the level is back at zero."""
        self.refill(now)
        self.level -= min(amount, self.capacity)  # a request bigger than a minute waits a minute, not forever
        return max(0.0, -self.level / self.rate)


class RateLimiter:
    """Requests-per-minute and tokens-per-minute buckets shared by every caller of one endpoint and key.

    Args:
        rpm: Requests per minute (None: not limited until the service's headers say).
        tpm: Tokens per minute (None: not limited until the service's headers say).
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self, rpm: int | None = None, tpm: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        self.requests = _Bucket(rpm, now) if rpm else None
        self.tokens = _Bucket(tpm, now) if tpm else None
        self._paused_until = 0.0
        self._in_flight: dict[int, int] = {}  # ticket -> tokens, for requests reserved and not yet answered
        self._tickets = 0
        self.waited = 0.0
        """Seconds callers spent waiting in total (for benchmarks and tests)."""

    @property
    def rpm(self) -> int | None:
        """The requests-per-minute limit in force."""
        return int(self.requests.capacity) if self.requests else None

    @property
    def tpm(self) -> int | None:
        """The tokens-per-minute limit in force."""
        return int(self.tokens.capacity) if self.tokens else None

    def _reserve(self, tokens: int) -> tuple[float, int]:
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._paused_until - now)
            if self.requests is not None:
                wait = max(wait, self.requests.reserve(1, now))
            if self.tokens is not None:
                wait = max(wait, self.tokens.reserve(tokens, now))
            if wait > 0:
                # A hair more than the arithmetic: timers may wake early and the service's clock is not ours.
                wait += SAFETY_MARGIN
            self._tickets += 1
            self._in_flight[self._tickets] = tokens
            self.waited += wait
            return wait, self._tickets

    def acquire(self, tokens: int) -> int:
        """Reserve one request of ``tokens`` tokens and sleep until it may be sent (threads).

        Returns:
            The request's ticket, for `observe` and `release`.
        """
        wait, ticket = self._reserve(tokens)
        if wait > 0:
            time.sleep(wait)
        return ticket

    async def aacquire(self, tokens: int) -> int:
        """Reserve one request of ``tokens`` tokens and wait until it may be sent, without blocking the loop.

        Returns:
            The request's ticket, for `observe` and `release`.
        """
        wait, ticket = self._reserve(tokens)
        if wait > 0:
            await asyncio.sleep(wait)
        return ticket

    def release(self, ticket: int) -> None:
        """The request of ``ticket`` is answered (whatever the answer); call once per acquire."""
        with self._lock:
            self._in_flight.pop(ticket, None)

    def pause(self, seconds: float) -> None:
        """The service answered 429: nobody sharing this limiter sends for ``seconds``."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def observe(self, headers: Mapping[str, str], ticket: int | None = None) -> None:
        """Learn from the ``x-ratelimit-*`` headers of the answer to the request of ``ticket``.

        ``limit`` headers set a limit that was not configured; ``remaining`` headers lower the local level to
        what the service has left, minus the requests reserved after this one and not yet answered (the
        service cannot have counted them; the ones reserved before it, it has). Without a ticket every
        request in flight is taken as uncounted. Absent or unreadable headers are ignored.
        """
        lowered = {key.lower(): value for key, value in headers.items()}
        with self._lock:
            now = self._clock()
            later = [tokens for other, tokens in self._in_flight.items() if ticket is None or other > ticket]
            others = {"requests": len(later), "tokens": sum(later)}
            for what, bucket in (("requests", self.requests), ("tokens", self.tokens)):
                limit = _as_int(lowered.get(f"x-ratelimit-limit-{what}"))
                if bucket is None and limit:
                    bucket = _Bucket(limit, now)
                    setattr(self, what, bucket)
                remaining = _as_int(lowered.get(f"x-ratelimit-remaining-{what}"))
                if bucket is None or remaining is None:
                    continue
                bucket.refill(now)
                bucket.level = min(bucket.level, float(remaining - others[what]))

    def tighten(self, rpm: int | None, tpm: int | None) -> None:
        """Lower the limits to ``rpm`` and ``tpm`` where they are lower (or none was set)."""
        with self._lock:
            now = self._clock()
            for what, value in (("requests", rpm), ("tokens", tpm)):
                bucket: _Bucket | None = getattr(self, what)
                if value and (bucket is None or value < bucket.capacity):
                    setattr(self, what, _Bucket(value, now))


def _as_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


class LimiterRegistry:
    """Hands out one `RateLimiter` per ``(endpoint, key digest)``; the runtime keeps the process's one."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._lock = threading.Lock()

    def get(self, endpoint: str, key: str, *, rpm: int | None = None, tpm: int | None = None) -> RateLimiter:
        """The limiter of ``endpoint`` and ``key`` (a `key_digest`), built with these limits the first time.

        Later callers with other limits share the first one's limiter; the lower limit wins, so no caller
        can make another exceed what it was told.
        """
        with self._lock:
            limiter = self._limiters.get((endpoint, key))
            if limiter is None:
                limiter = self._limiters[(endpoint, key)] = RateLimiter(rpm, tpm)
                return limiter
        limiter.tighten(rpm, tpm)
        return limiter

    def clear(self) -> None:
        """Forget every limiter (tests; a new process)."""
        with self._lock:
            self._limiters.clear()


def endpoint_host(url: str) -> str:
    """``host[:port]`` of ``url``: what a space records of an endpoint (never its userinfo, path or query)."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return f"{host}:{port}" if port is not None and port != default else host
