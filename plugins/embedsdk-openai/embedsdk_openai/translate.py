"""The one place where the `openai` client's errors become embedsdk errors (chained with ``from exc``).

| the client raises                                   | embedsdk raises      | the core then                     |
|-----------------------------------------------------|----------------------|-----------------------------------|
| ``RateLimitError`` (429)                            | `RateLimitedError`   | waits ``retry_after``, retries    |
| ``InternalServerError`` (5xx), ``APITimeoutError``, | `TransientError`     | retries with exponential backoff  |
| ``APIConnectionError`` (reset, refused, dropped)    |                      | and jitter, a bounded number      |
| ``BadRequestError`` (400), 413, 422 for the input   | `ItemRejectedError`  | bisects the batch                 |
| ``BadRequestError`` about ``dimensions``            | `InvalidOptionError` | stops: the option is wrong        |
| ``AuthenticationError`` (401), 403                  | `ConfigurationError` | stops, naming OPENAI_API_KEY      |
| ``NotFoundError`` (404)                             | `ConfigurationError` | stops, naming the model and host  |
| anything else                                       | `ProviderError`      | stops                             |

Messages carry the provider, the endpoint's host and the service's own message; never the key (it is also
scrubbed from the service's message, should a server echo it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from embedsdk.errors import (
    ConfigurationError,
    EmbedSDKError,
    InvalidOptionError,
    ItemRejectedError,
    ProviderError,
    RateLimitedError,
    TransientError,
)
from embedsdk.providers import hosted

__all__ = ["retry_after_seconds", "translate_error"]


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``retry-after`` (seconds or an HTTP date), else None."""
    return hosted.retry_after_seconds(headers, milliseconds=True)


def _service_message(exc: Any, secret: str | None) -> str:
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, Mapping) else None
    text = str(message if message else getattr(exc, "message", None) or type(exc).__name__)
    return hosted.scrub(text, secret)


def translate_error(exc: BaseException, *, provider: str, host: str, secret: str | None = None) -> EmbedSDKError:
    """The embedsdk error for an exception raised by the `openai` client during a request to ``host``.

    Args:
        exc: What the client raised.
        provider: The provider id, for the message.
        host: The endpoint's ``host[:port]``, for the message.
        secret: The API key in use, scrubbed from anything the service sent back.
    """
    import openai  # the plugin's own dependency; imported here so the module stays cheap

    if isinstance(exc, EmbedSDKError):
        return exc
    where = f"{provider} at {host}"
    detail = _service_message(exc, secret)
    if isinstance(exc, openai.APITimeoutError):
        return TransientError(f"{where}: the request timed out ({detail}); raise timeout= if the service is slow")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        reason = f"{type(cause).__name__}: {cause}" if cause is not None else detail
        return TransientError(f"{where}: the connection failed ({hosted.scrub(reason, secret)})")
    if not isinstance(exc, openai.APIStatusError):
        return ProviderError(f"{where}: {type(exc).__name__}: {detail}")
    status = exc.status_code
    if status == 429:
        retry_after = retry_after_seconds(exc.response.headers)
        return RateLimitedError(f"{where}: rate limited (HTTP 429): {detail}", retry_after=retry_after)
    if status in (401, 403):
        return ConfigurationError(
            f"{where} refused the API key (HTTP {status}: {detail}); set OPENAI_API_KEY (or pass api_key=) to a "
            f"key valid for {host}"
        )
    if status == 404:
        return ConfigurationError(
            f"{where}: not found (HTTP 404: {detail}); check the model name and base_url / OPENAI_BASE_URL"
        )
    if status in (400, 413, 422):
        param = exc.body.get("param") if isinstance(exc.body, Mapping) else None
        if isinstance(exc.body, Mapping) and isinstance(exc.body.get("error"), Mapping):
            param = exc.body["error"].get("param", param)
        if param == "dimensions" or "dimensions" in detail.lower():
            return InvalidOptionError(f"{where} refused dimensions= ({detail}); drop it or pick a model that takes it")
        return ItemRejectedError(f"{where} refused the input (HTTP {status}): {detail}")
    if status >= 500 or status in (408, 409):
        return TransientError(f"{where}: the service failed (HTTP {status}: {detail})")
    return ProviderError(f"{where}: HTTP {status}: {detail}")
