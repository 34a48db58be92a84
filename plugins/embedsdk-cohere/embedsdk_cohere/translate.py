"""The one place where the `cohere` client's errors become embedsdk errors (chained with ``from exc``).

| the client raises                                          | embedsdk raises      | the core then               |
|------------------------------------------------------------|----------------------|-----------------------------|
| ``TooManyRequestsError`` (429)                             | `RateLimitedError`   | waits ``retry_after``       |
| ``InternalServerError``, ``ServiceUnavailableError``,      | `TransientError`     | retries with exponential    |
| ``GatewayTimeoutError``, other 5xx, 499; ``httpx``         |                      | backoff and jitter, bounded |
| timeouts and transport errors (reset, refused, dropped)    |                      |                             |
| ``BadRequestError`` (400), ``UnprocessableEntityError``    | `ItemRejectedError`  | bisects the batch           |
| a 400 naming ``input_type``, ``embedding_types``, ...     | `InvalidOptionError` | stops: an option is wrong   |
| ``UnauthorizedError`` (401), ``ForbiddenError`` (403), 498 | `ConfigurationError` | stops, naming CO_API_KEY    |
| ``NotFoundError`` (404)                                    | `ConfigurationError` | stops, naming the model     |
| anything else                                              | `ProviderError`      | stops                       |

Messages carry the provider, the endpoint's host and the service's own message; never the key (it is
scrubbed from anything the service sends back, should a server echo it).
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

_OPTION_WORDS = ("input_type", "embedding_types", "output_dimension")


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, from ``retry-after`` (seconds or an HTTP date), else None."""
    return hosted.retry_after_seconds(headers, milliseconds=False)


def _service_message(exc: Any, secret: str | None) -> str:
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, Mapping) else body
    text = str(message) if message else type(exc).__name__
    return hosted.scrub(text, secret)


def translate_error(exc: BaseException, *, provider: str, host: str, secret: str | None = None) -> EmbedSDKError:
    """The embedsdk error for an exception raised by the `cohere` client during a request to ``host``.

    Args:
        exc: What the client (or httpx below it) raised.
        provider: The provider id, for the message.
        host: The endpoint's ``host[:port]``, for the message.
        secret: The API key in use, scrubbed from anything the service sent back.
    """
    import httpx  # the cohere client's transport; imported here so the module stays cheap
    from cohere.core.api_error import ApiError

    if isinstance(exc, EmbedSDKError):
        return exc
    where = f"{provider} at {host}"
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(
            f"{where}: the request timed out ({type(exc).__name__}); raise timeout= if the service is slow"
        )
    if isinstance(exc, httpx.TransportError):
        reason = f"{type(exc).__name__}: {exc}"
        return TransientError(f"{where}: the connection failed ({hosted.scrub(reason, secret)})")
    if not isinstance(exc, ApiError) or exc.status_code is None:
        return ProviderError(f"{where}: {type(exc).__name__}: {_service_message(exc, secret)}")
    status = exc.status_code
    detail = _service_message(exc, secret)
    if status == 429:
        return RateLimitedError(
            f"{where}: rate limited (HTTP 429): {detail}", retry_after=retry_after_seconds(exc.headers)
        )
    if status in (401, 403, 498):
        return ConfigurationError(
            f"{where} refused the API key (HTTP {status}: {detail}); set CO_API_KEY (or pass api_key=) to a key "
            f"valid for {host}"
        )
    if status == 404:
        return ConfigurationError(
            f"{where}: not found (HTTP 404: {detail}); check the model name and base_url / CO_API_URL"
        )
    if status in (400, 413, 422):
        lowered = detail.lower()
        if any(word in lowered for word in _OPTION_WORDS):
            return InvalidOptionError(f"{where} refused the request's options (HTTP {status}): {detail}")
        return ItemRejectedError(f"{where} refused the input (HTTP {status}): {detail}")
    if status >= 500 or status in (408, 409, 499):
        return TransientError(f"{where}: the service failed (HTTP {status}: {detail})")
    return ProviderError(f"{where}: HTTP {status}: {detail}")
