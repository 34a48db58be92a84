"""What follows a failed request: one decision function shared by the sync and the async send loops.

- `RateLimitedError`: wait (the provider's ``retry_after`` when it said, else exponential backoff with jitter)
  and retry the same batch, at most ``EMBEDSDK_MAX_RETRIES`` times.
- `TransientError` (HTTP 5xx, a timeout, a dropped connection): the same, always with exponential backoff and
  jitter. When the retries run out, the error raised (`Decision.final`) says how many attempts were made and
  how they were spaced.
- `ItemRejectedError`: a batch of several items is split in two, so the bad item ends up alone; a single
  rejected item is recorded as failed and the call goes on.
- Anything else is raised (the job translates foreign exceptions into `ProviderError` first).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from embedsdk.errors import ItemRejectedError, ProviderError, RateLimitedError, TransientError

__all__ = ["MAX_BACKOFF_SECONDS", "Decision", "backoff_delay", "decide", "gave_up"]

MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class Decision:
    """What to do with a failed request.

    Attributes:
        action: ``retry`` the same batch after ``delay`` seconds, ``split`` it in two halves sent on their
            own, ``fail`` its one item (recorded, not raised), or ``raise`` the error.
        delay: Seconds to wait before a retry.
        final: For ``raise`` after the retries ran out: the error to raise instead, saying what was tried
            (chained to the last error).
    """

    action: Literal["retry", "split", "fail", "raise"]
    delay: float = 0.0
    final: ProviderError | None = None


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    The provider's ``retry_after`` when it gave one, else capped exponential backoff (0.5 s, 1 s, 2 s...) with
    jitter, so concurrent callers do not retry in step.
    """
    if retry_after is not None:
        return max(0.0, float(retry_after))
    return float(min(MAX_BACKOFF_SECONDS, 0.5 * 2**attempt) * (0.5 + random.random() / 2))


def decide(error: BaseException, batch_size: int, attempt: int, max_retries: int) -> Decision:
    """The decision for ``error``, raised by a request of ``batch_size`` items on its ``attempt`` (0-based)."""
    if isinstance(error, (RateLimitedError, TransientError)):
        if attempt >= max_retries:
            return Decision("raise", final=gave_up(error, attempt + 1, max_retries))
        retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
        return Decision("retry", backoff_delay(attempt, retry_after))
    if isinstance(error, ItemRejectedError):
        return Decision("split") if batch_size > 1 else Decision("fail")
    return Decision("raise")


def gave_up(error: RateLimitedError | TransientError, attempts: int, max_retries: int) -> ProviderError:
    """The error to raise when ``attempts`` requests all failed with ``error`` (of the same class, to catch alike)."""
    spacing = (
        "waiting what the service asked (Retry-After), else exponential backoff from 0.5 s with jitter"
        if isinstance(error, RateLimitedError)
        else "exponential backoff from 0.5 s, doubling, with jitter"
    )
    message = f"{error} (gave up after {attempts} attempts, {spacing}; EMBEDSDK_MAX_RETRIES={max_retries} allows more)"
    if isinstance(error, RateLimitedError):
        return RateLimitedError(message, retry_after=error.retry_after)
    return TransientError(message)
