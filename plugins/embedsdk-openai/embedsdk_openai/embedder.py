"""`OpenAIEmbedder`: ``openai/<model>`` on the official `openai` client, sync and async.

One request per batch the planner hands over (within 2,048 inputs, 300,000 tokens and 8,191 tokens an
input, counted with the model's real tiktoken encoding), ``encoding_format="base64"`` decoded to float32.
Every request first reserves its tokens from the process's shared limiter for this endpoint and key
(`embedsdk.pipeline.limiter`), which also learns from the ``x-ratelimit-*`` headers of every answer. The
client's own retries are off (``max_retries=0``): the core retries, so attempts are never multiplied.
Errors are translated in `embedsdk_openai.translate`, the one place that knows the client's classes.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from embedsdk import BaseEmbedder, EmbeddingSpace, ProviderLimits
from embedsdk.errors import (
    ConfigurationError,
    InvalidOptionError,
    MissingDependencyError,
    ProviderError,
)
from embedsdk.pipeline.limiter import RateLimiter, endpoint_host, key_digest, limits_from_env
from embedsdk.providers.hosted import LoopClients, alimited_request, limited_request, limiter_failure
from embedsdk.runtime import current as current_runtime
from embedsdk_openai.options import OpenAIOptions
from embedsdk_openai.tokenizer import TiktokenTokenizer
from embedsdk_openai.translate import translate_error

__all__ = ["FIXED_DIMENSIONS", "KNOWN_MODELS", "OpenAIEmbedder"]

KNOWN_MODELS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""Models this plugin knows, with their native dimension."""

FIXED_DIMENSIONS = frozenset({"text-embedding-ada-002"})
"""Known models that refuse ``dimensions``."""

MAX_INPUTS = 2048
MAX_TOKENS_PER_REQUEST = 300_000
MAX_TOKENS_PER_INPUT = 8191
PROBE_TEXT = "dimension probe"


def _openai() -> Any:
    try:
        import openai  # heavy (httpx, pydantic models): imported on the first request, not at registration
    except ImportError as exc:
        raise MissingDependencyError("openai/ providers need the openai client: pip install embedsdk-openai") from exc
    return openai


class OpenAIEmbedder(BaseEmbedder):
    """Embeds text with an OpenAI embedding model, or any OpenAI-compatible server; see `OpenAIOptions`.

    Args:
        provider_id: ``openai/<model>``.
        **options: `OpenAIOptions` fields.

    Raises:
        InvalidOptionError: no model in the id, ``dimensions`` for a model that refuses it or over its size.
    """

    Options = OpenAIOptions
    options: OpenAIOptions
    supports_async = True

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.model = provider_id.split("/", 1)[1] if "/" in provider_id else ""
        if not self.model:
            raise InvalidOptionError(
                "the openai provider needs a model: 'openai/<model>', e.g. openai/text-embedding-3-small"
            )
        dimensions = self.options.dimensions
        if dimensions is not None:
            self.check_dimensions(dimensions)
        native = KNOWN_MODELS.get(self.model, self.options.dim)
        if dimensions is not None and native is not None and dimensions > native:
            raise InvalidOptionError(
                f"{provider_id}: dimensions={dimensions} is over the model's {native}; pass 1 to {native}"
            )
        self.base_url = self.options.resolved_base_url()
        self.host = endpoint_host(self.base_url)
        self._tokenizer = TiktokenTokenizer()
        self._learnt_dim: int | None = None
        self._client: Any = None
        self._async = LoopClients(
            lambda: _openai().AsyncOpenAI(**self._client_arguments()), lambda: self.options.max_concurrency
        )
        self._limiter: RateLimiter | None = None

    # -- what it is ------------------------------------------------------------------------------------

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once in ``aembed`` (the ``max_concurrency`` option)."""
        return self.options.max_concurrency

    def check_dimensions(self, dimensions: int) -> None:
        """Refuse shorter vectors for a model whose API refuses them (``dimensions=`` here or in the call).

        Raises:
            InvalidOptionError: the model is text-embedding-ada-002.
        """
        if self.model in FIXED_DIMENSIONS:
            raise InvalidOptionError(
                f"{self.provider_id}: {self.model} has a fixed {KNOWN_MODELS[self.model]} dimensions and the API "
                f"refuses dimensions= for it; drop dimensions=, or use text-embedding-3-small or text-embedding-3-large"
            )

    @property
    def dim(self) -> int:
        """The vectors' dimension: ``dimensions``, the known model's, ``dim``, else learnt from one probe request."""
        known = self.options.dimensions or KNOWN_MODELS.get(self.model) or self.options.dim or self._learnt_dim
        if known is None:
            self.embed_batch([PROBE_TEXT])
            known = self._learnt_dim
        assert known is not None
        return known

    @property
    def space(self) -> EmbeddingSpace:
        """Model, dimension and endpoint host (so another server's vectors never share a cache entry)."""
        normalized = self.options.normalized
        if normalized is None:
            normalized = self.model in KNOWN_MODELS
        return EmbeddingSpace(
            provider=self.provider_id,
            model=self.model,
            dim=self.dim,
            normalized=normalized,
            max_tokens=MAX_TOKENS_PER_INPUT if self.model in KNOWN_MODELS else None,
            extra={"endpoint": self.host, "tokenizer": "cl100k_base"},
        )

    def _rate_limits(self) -> tuple[int | None, int | None]:
        rpm_env, tpm_env = limits_from_env("openai")
        return self.options.rpm or rpm_env, self.options.tpm or tpm_env

    @property
    def limits(self) -> ProviderLimits:
        """2,048 inputs, 300,000 tokens (or the TPM, when lower) a request; 8,191 tokens an input."""
        rpm, tpm = self._rate_limits()
        per_request = min(MAX_TOKENS_PER_REQUEST, tpm) if tpm else MAX_TOKENS_PER_REQUEST
        return ProviderLimits(
            max_items_per_request=MAX_INPUTS,
            max_tokens_per_item=MAX_TOKENS_PER_INPUT if self.model in KNOWN_MODELS else None,
            max_tokens_per_request=per_request,
            max_bytes_per_request=self.options.max_bytes_per_request,
            requests_per_minute=rpm,
            tokens_per_minute=tpm,
        )

    @property
    def tokenizer(self) -> TiktokenTokenizer:
        """Tiktoken's cl100k_base, loaded offline from the file shipped with the plugin."""
        return self._tokenizer

    # -- clients ---------------------------------------------------------------------------------------

    def _secret(self) -> str:
        key = self.options.resolved_api_key()
        if key is None:
            raise ConfigurationError(
                f"{self.provider_id} needs an API key: set the OPENAI_API_KEY environment variable or pass api_key=... "
                f"(a compatible server that takes no key still needs one: any non-empty string)"
            )
        return key.get_secret_value()

    def _client_arguments(self) -> dict[str, Any]:
        return {
            "api_key": self._secret(),
            "base_url": self.base_url,
            "organization": self.options.resolved_organization(),
            "timeout": self.options.timeout,
            "max_retries": 0,  # the core retries: the client's own retries would multiply attempts
        }

    def limiter(self) -> RateLimiter:
        """The process's limiter for this endpoint and key, shared with every other embedder using them."""
        if self._limiter is None:
            rpm, tpm = self._rate_limits()
            self._limiter = current_runtime().limiters.get(self.host, key_digest(self._secret()), rpm=rpm, tpm=tpm)
        return self._limiter

    def _sync_client(self) -> Any:
        if self._client is None:
            self._client = _openai().OpenAI(**self._client_arguments())
        return self._client

    def _async_state(self) -> tuple[Any, asyncio.Semaphore]:
        return self._async.get()

    # -- requests --------------------------------------------------------------------------------------

    def _request(self, items: Sequence[Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"input": list(items), "model": self.model, "encoding_format": "base64"}
        if self.options.dimensions is not None:
            request["dimensions"] = self.options.dimensions
        return request

    def _failed(self, exc: Exception, limiter: RateLimiter, ticket: int) -> Exception:
        error = translate_error(exc, provider=self.provider_id, host=self.host, secret=self._secret())
        response = getattr(exc, "response", None)
        return limiter_failure(error, limiter, ticket, response.headers if response is not None else None)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """One request for ``items`` (``role`` has no OpenAI equivalent; it stays in the space)."""
        client = self._sync_client()
        limiter = self.limiter()
        tokens = sum(self._tokenizer.count(list(items)))
        response = limited_request(
            limiter,
            tokens,
            lambda: client.embeddings.with_raw_response.create(**self._request(items)),
            lambda raw: raw.headers,
            lambda raw: raw.parse(),
            lambda exc, ticket: self._failed(exc, limiter, ticket),
        )
        return self._decode(response, len(items))

    async def aembed_batch(
        self, items: Sequence[Any], role: str | None = None, on_long: str | None = None
    ) -> np.ndarray:
        """Async twin of `embed_batch` on ``AsyncOpenAI``, at most ``max_concurrency`` requests in flight.

        ``on_long`` is part of the shared signature; OpenAI truncates nothing itself, so the core's planner
        has already applied the policy.
        """
        client, gate = self._async_state()
        limiter = self.limiter()
        tokens = sum(self._tokenizer.count(list(items)))
        async with gate:
            response = await alimited_request(
                limiter,
                tokens,
                lambda: client.embeddings.with_raw_response.create(**self._request(items)),
                lambda raw: raw.headers,
                lambda raw: raw.parse(),
                lambda exc, ticket: self._failed(exc, limiter, ticket),
            )
        return self._decode(response, len(items))

    def _decode(self, response: Any, count: int) -> np.ndarray:
        """Rows in input order, from base64 float32 (or plain floats, which some compatible servers send)."""
        data = sorted(response.data, key=lambda row: row.index)
        if len(data) != count or [row.index for row in data] != list(range(count)):
            raise ProviderError(
                f"{self.provider_id} at {self.host} answered {len(data)} embeddings (indexes "
                f"{json.dumps([row.index for row in data][:10])}...) for {count} inputs"
            )
        rows = []
        for row in data:
            value = row.embedding
            if isinstance(value, str):
                rows.append(np.frombuffer(base64.b64decode(value), dtype="<f4"))
            else:
                rows.append(np.asarray(value, dtype=np.float32))
        widths = {len(row) for row in rows}
        if len(widths) != 1:
            raise ProviderError(f"{self.provider_id} at {self.host} answered vectors of mixed sizes {sorted(widths)}")
        width = widths.pop()
        expected = self.options.dimensions or KNOWN_MODELS.get(self.model) or self.options.dim or self._learnt_dim
        if expected is None:
            self._learnt_dim = width
        elif width != expected:
            raise ProviderError(
                f"{self.provider_id} at {self.host} answered {width}-d vectors, expected {expected}; "
                f"set dim={width} (or dimensions=) to match what the server gives"
            )
        return np.stack(rows).astype(np.float32, copy=False)

    def close(self) -> None:
        """Close the HTTP clients (they reopen on next use)."""
        if self._client is not None:
            self._client.close()
        self._client = None
        self._async.clear()
