"""`CohereEmbedder`: ``cohere/<model>`` on the official `cohere` client (v2 API), sync and async.

One request per batch of at most 96 texts. ``role`` becomes Cohere's ``input_type`` (``query`` ->
``search_query``, ``document`` -> ``search_document``), or the ``input_type`` option (``classification``,
``clustering``) is sent; a call with neither is refused before any request, since the v3 and later models
require one. ``embedding_types`` picks float32, int8, uint8 or packed binary vectors, and the space records
which. Cohere truncates over-long inputs itself, as the call's ``on_long`` says (the plugin declares
``handles_long_inputs``). Every request reserves its tokens from the process's shared limiter for this endpoint
and key; the client's own retries are off, the core retries. Errors are translated in
`embedsdk_cohere.translate`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from embedsdk import BaseEmbedder, EmbeddingSpace, ProviderLimits
from embedsdk.errors import ConfigurationError, InvalidOptionError, MissingDependencyError, ProviderError
from embedsdk.pipeline.limiter import RateLimiter, endpoint_host, key_digest, limits_from_env
from embedsdk.providers.hosted import LoopClients, alimited_request, limited_request, limiter_failure
from embedsdk.runtime import current as current_runtime
from embedsdk_cohere.options import CohereOptions
from embedsdk_cohere.translate import translate_error

__all__ = ["DTYPES", "INPUT_TYPES", "KNOWN_MODELS", "CohereEmbedder"]

KNOWN_MODELS: dict[str, int] = {
    "embed-english-v3.0": 1024,
    "embed-multilingual-v3.0": 1024,
    "embed-english-light-v3.0": 384,
    "embed-multilingual-light-v3.0": 384,
    "embed-v4.0": 1536,
}
"""Models this plugin knows, with their (default) float dimension."""

MAX_TOKENS: dict[str, int] = {"embed-v4.0": 128_000}
"""Tokens an input may hold, where not 512."""

INPUT_TYPES = {"query": "search_query", "document": "search_document"}
"""embedsdk roles and the Cohere input types they become."""

DTYPES = {"float": "float32", "int8": "int8", "uint8": "uint8", "binary": "int8", "ubinary": "uint8"}
"""The numpy dtype of each embedding type (binary types hold eight dimensions a value, packed)."""

MAX_TEXTS = 96
PROBE_TEXT = "dimension probe"


def _cohere() -> Any:
    try:
        import cohere  # heavy (httpx, fern models): imported on the first request, not at registration
    except ImportError as exc:
        raise MissingDependencyError("cohere/ providers need the cohere client: pip install embedsdk-cohere") from exc
    return cohere


def estimate_tokens(texts: Sequence[str]) -> int:
    """About four UTF-8 bytes a token: what the limiter reserves (Cohere's tokenizer is not available offline)."""
    return sum(max(1, math.ceil(len(text.encode("utf-8")) / 4)) for text in texts)


class CohereEmbedder(BaseEmbedder):
    """Embeds text with a Cohere embed model; see `CohereOptions`.

    Args:
        provider_id: ``cohere/<model>``.
        **options: `CohereOptions` fields.

    Raises:
        InvalidOptionError: no model in the id, or ``dimensions`` for a model other than embed-v4.0.
    """

    Options = CohereOptions
    options: CohereOptions
    supports_async = True
    handles_long_inputs = True

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.model = provider_id.split("/", 1)[1] if "/" in provider_id else ""
        if not self.model:
            raise InvalidOptionError(
                "the cohere provider needs a model: 'cohere/<model>', e.g. cohere/embed-english-v3.0"
            )
        if self.options.dimensions is not None and self.model in KNOWN_MODELS and self.model != "embed-v4.0":
            raise InvalidOptionError(
                f"{provider_id}: dimensions= (Cohere's output_dimension) only works with embed-v4.0; drop it"
            )
        self.base_url = self.options.resolved_base_url()
        self.host = endpoint_host(self.base_url)
        self._learnt_dim: int | None = None
        self._client: Any = None
        self._async = LoopClients(
            lambda: _cohere().AsyncClientV2(**self._client_arguments()), lambda: self.options.max_concurrency
        )
        self._limiter: RateLimiter | None = None

    # -- what it is ------------------------------------------------------------------------------------

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once in ``aembed`` (the ``max_concurrency`` option)."""
        return self.options.max_concurrency

    def _float_dim(self) -> int | None:
        return self.options.dimensions or KNOWN_MODELS.get(self.model) or self.options.dim or self._learnt_dim

    @property
    def dim(self) -> int:
        """Values per vector: the model's dimension, or an eighth of it for the packed binary types."""
        width = self._float_dim()
        if width is None:
            self._embed_sync([PROBE_TEXT], "search_document", "END")
            width = self._learnt_dim
        assert width is not None
        return width // 8 if self.options.embedding_types in ("binary", "ubinary") else width

    @property
    def space(self) -> EmbeddingSpace:
        """Model, dimension, embedding type (as ``dtype`` and ``extra``), input type and endpoint host."""
        kind = self.options.embedding_types
        extra = {"endpoint": self.host, "embedding_type": kind}
        if self.options.input_type is not None:
            extra["input_type"] = self.options.input_type
        if self.options.truncate is not None:
            extra["truncate"] = self.options.truncate
        return EmbeddingSpace(
            provider=self.provider_id,
            model=self.model,
            dim=self.dim,
            normalized=False,
            dtype=DTYPES[kind],
            max_tokens=MAX_TOKENS.get(self.model, 512) if self.model in KNOWN_MODELS else None,
            extra=extra,
        )

    def _rate_limits(self) -> tuple[int | None, int | None]:
        rpm_env, tpm_env = limits_from_env("cohere")
        return self.options.rpm or rpm_env, self.options.tpm or tpm_env

    @property
    def limits(self) -> ProviderLimits:
        """96 texts a request; long inputs are Cohere's to truncate or refuse (see ``truncate``)."""
        rpm, tpm = self._rate_limits()
        return ProviderLimits(
            max_items_per_request=MAX_TEXTS,
            max_tokens_per_request=tpm,
            requests_per_minute=rpm,
            tokens_per_minute=tpm,
        )

    def input_type(self, role: str | None) -> str:
        """Cohere's ``input_type`` for ``role``: the option, else search_query / search_document.

        Raises:
            InvalidOptionError: neither a role nor the ``input_type`` option (v3 and later models need one).
        """
        if self.options.input_type is not None:
            return self.options.input_type
        if role in INPUT_TYPES:
            return INPUT_TYPES[role]
        raise InvalidOptionError(
            f"{self.provider_id} needs to know what the texts are for: pass role='query' (Cohere's search_query) or "
            f"role='document' (search_document), or input_type='classification' or 'clustering' as an option"
        )

    def truncate_mode(self, on_long: str | None) -> str:
        """Cohere's ``truncate``: the option, else ``END`` when the call truncates, else ``NONE`` (refuse)."""
        if self.options.truncate is not None:
            return self.options.truncate
        return "END" if on_long in ("truncate", "chunk") else "NONE"

    # -- clients ---------------------------------------------------------------------------------------

    def _secret(self) -> str:
        key = self.options.resolved_api_key()
        if key is None:
            raise ConfigurationError(
                f"{self.provider_id} needs an API key: set the CO_API_KEY environment variable or pass api_key=..."
            )
        return key.get_secret_value()

    def _client_arguments(self) -> dict[str, Any]:
        return {
            "api_key": self._secret(),
            "base_url": self.base_url,
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
            self._client = _cohere().ClientV2(**self._client_arguments())
        return self._client

    def _async_state(self) -> tuple[Any, asyncio.Semaphore]:
        return self._async.get()

    # -- requests --------------------------------------------------------------------------------------

    def _request(self, texts: Sequence[str], input_type: str, truncate: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "texts": list(texts),
            "model": self.model,
            "input_type": input_type,
            "embedding_types": [self.options.embedding_types],
            "truncate": truncate,
            # The client's own retries off (the core retries); its timeout is the client's, set from timeout=.
            "request_options": {"max_retries": 0},
        }
        if self.options.dimensions is not None:
            request["output_dimension"] = self.options.dimensions
        return request

    def _failed(self, exc: Exception, limiter: RateLimiter, ticket: int) -> Exception:
        error = translate_error(exc, provider=self.provider_id, host=self.host, secret=self._secret())
        headers = getattr(exc, "headers", None)
        return limiter_failure(error, limiter, ticket, headers if isinstance(headers, dict) else None)

    def _embed_sync(self, texts: Sequence[str], input_type: str, truncate: str) -> np.ndarray:
        client = self._sync_client()
        limiter = self.limiter()
        tokens = estimate_tokens(texts)
        data = limited_request(
            limiter,
            tokens,
            lambda: client.with_raw_response.embed(**self._request(texts, input_type, truncate)),
            lambda raw: dict(raw.headers),
            lambda raw: raw.data,
            lambda exc, ticket: self._failed(exc, limiter, ticket),
        )
        return self._decode(data, len(texts))

    def embed_batch(self, items: Sequence[Any], role: str | None = None, on_long: str | None = None) -> np.ndarray:
        """One request for ``items``; ``on_long`` (from the call) sets Cohere's ``truncate``."""
        return self._embed_sync(list(items), self.input_type(role), self.truncate_mode(on_long))

    async def aembed_batch(
        self, items: Sequence[Any], role: str | None = None, on_long: str | None = None
    ) -> np.ndarray:
        """Async twin of `embed_batch` on ``AsyncClientV2``, at most ``max_concurrency`` requests in flight."""
        input_type = self.input_type(role)
        client, gate = self._async_state()
        limiter = self.limiter()
        texts = list(items)
        tokens = estimate_tokens(texts)
        async with gate:
            data = await alimited_request(
                limiter,
                tokens,
                lambda: client.with_raw_response.embed(**self._request(texts, input_type, self.truncate_mode(on_long))),
                lambda raw: dict(raw.headers),
                lambda raw: raw.data,
                lambda exc, ticket: self._failed(exc, limiter, ticket),
            )
        return self._decode(data, len(texts))

    def _decode(self, response: Any, count: int) -> np.ndarray:
        """The requested embedding type's rows, in input order, as float32 holding the type's values."""
        kind = self.options.embedding_types
        embeddings = response.embeddings
        rows = getattr(embeddings, "float_" if kind == "float" else kind, None)
        if rows is None:
            raise ProviderError(f"{self.provider_id} at {self.host} answered without {kind!r} embeddings")
        matrix = np.asarray(rows, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != count:
            raise ProviderError(
                f"{self.provider_id} at {self.host} answered {matrix.shape[0] if matrix.ndim else 0} {kind} embeddings "
                f"for {count} texts"
            )
        width = matrix.shape[1] * (8 if kind in ("binary", "ubinary") else 1)
        expected = self._float_dim()
        if expected is None:
            self._learnt_dim = width
        elif width != expected:
            raise ProviderError(
                f"{self.provider_id} at {self.host} answered {width}-d vectors, expected {expected}; set dim={width}"
            )
        return matrix

    def close(self) -> None:
        """Close the HTTP clients (they reopen on next use)."""
        self._client = None
        self._async.clear()
