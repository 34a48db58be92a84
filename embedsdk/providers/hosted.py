"""What every hosted-API provider repeats, library-agnostic: the OpenAI and Cohere plugins share it.

- `limited_request` / `alimited_request`: one request between the limiter's ``acquire`` (or ``aacquire``)
  and ``release``, learning from the answer's headers; a failure is translated by the caller's function and
  re-raised chained (``from exc``).
- `limiter_failure`: after a translated failure, observe the error response's headers and, on a
  `RateLimitedError`, pause every caller sharing the limiter.
- `LoopClients`: an async client and a semaphore per event loop (both belong to the loop they were made on).
- `retry_after_seconds`, `scrub`: the ``Retry-After`` value in seconds, the key scrubbed from a message.

Nothing here imports an API client: callers pass headers, client factories and translation functions.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from embedsdk.errors import RateLimitedError

if TYPE_CHECKING:
    from embedsdk.pipeline.limiter import RateLimiter

__all__ = ["LoopClients", "alimited_request", "limited_request", "limiter_failure", "retry_after_seconds", "scrub"]

R = TypeVar("R")
T = TypeVar("T")


def scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` (the API key) replaced by ``***``."""
    return text.replace(secret, "***") if secret else text


def retry_after_seconds(headers: Mapping[str, str] | None, *, milliseconds: bool = False) -> float | None:
    """Seconds to wait: ``retry-after-ms`` (if ``milliseconds``), ``retry-after`` (seconds or date), else None."""
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    raw_ms = lowered.get("retry-after-ms") if milliseconds else None
    if raw_ms is not None:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed is not None else None


def limiter_failure(
    error: Exception, limiter: RateLimiter, ticket: int, headers: Mapping[str, str] | None
) -> Exception:
    """``error`` (already translated), after the limiter learnt from the failed answer's ``headers``."""
    if headers is not None:
        limiter.observe(headers, ticket)
    if isinstance(error, RateLimitedError):
        limiter.pause(error.retry_after if error.retry_after is not None else 1.0)
    return error


def limited_request(
    limiter: RateLimiter,
    tokens: int,
    send: Callable[[], R],
    headers: Callable[[R], Mapping[str, str]],
    read: Callable[[R], T],
    failed: Callable[[Exception, int], Exception],
) -> T:
    """``read(send())`` within a reservation of ``tokens``; ``failed(exc, ticket)`` is what a failure raises."""
    ticket = limiter.acquire(tokens)
    try:
        raw = send()
        limiter.observe(headers(raw), ticket)
        return read(raw)
    except Exception as exc:
        error = failed(exc, ticket)
        if error is exc:
            raise
        raise error from exc
    finally:
        limiter.release(ticket)


async def alimited_request(
    limiter: RateLimiter,
    tokens: int,
    send: Callable[[], Awaitable[R]],
    headers: Callable[[R], Mapping[str, str]],
    read: Callable[[R], T],
    failed: Callable[[Exception, int], Exception],
) -> T:
    """Async twin of `limited_request`."""
    ticket = await limiter.aacquire(tokens)
    try:
        raw = await send()
        limiter.observe(headers(raw), ticket)
        return read(raw)
    except Exception as exc:
        error = failed(exc, ticket)
        if error is exc:
            raise
        raise error from exc
    finally:
        limiter.release(ticket)


class LoopClients:
    """One async client and one semaphore per event loop, made by ``make_client`` on first use in a loop."""

    def __init__(self, make_client: Callable[[], Any], concurrency: Callable[[], int]) -> None:
        self._make_client = make_client
        self._concurrency = concurrency
        self._states: dict[int, tuple[asyncio.AbstractEventLoop, Any, asyncio.Semaphore]] = {}

    def get(self) -> tuple[Any, asyncio.Semaphore]:
        """The running loop's client and semaphore (stale entries of closed loops are dropped)."""
        loop = asyncio.get_running_loop()
        state = self._states.get(id(loop))
        if state is None or state[0] is not loop:
            for stale in [key for key, (old, _, _) in self._states.items() if old.is_closed()]:
                del self._states[stale]
            state = (loop, self._make_client(), asyncio.Semaphore(self._concurrency()))
            self._states[id(loop)] = state
        return state[1], state[2]

    def clear(self) -> None:
        """Forget every loop's client."""
        self._states.clear()
