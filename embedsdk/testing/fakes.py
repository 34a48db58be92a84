"""A deterministic fake embedder and an exact whitespace tokenizer, for testing the core.

The fake is for testing the core (caching, batching, ordering, errors), never for claims about a real
provider.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk.errors import ItemRejectedError, RateLimitedError
from embedsdk.providers.base import BaseEmbedder
from embedsdk.providers.protocols import ProviderLimits
from embedsdk.space import EmbeddingSpace

__all__ = ["FakeEmbedder", "FakeOptions", "WhitespaceTokenizer"]


class WhitespaceTokenizer:
    """Tokens are whitespace-separated words; exact and easy to reason about in tests."""

    def count(self, texts: Sequence[str]) -> list[int]:
        """Words per text."""
        return [len(text.split()) for text in texts]

    def truncate(self, text: str, max_tokens: int) -> str:
        """The first ``max_tokens`` words."""
        return " ".join(text.split()[:max_tokens])

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Windows of ``max_tokens`` words, consecutive windows sharing ``overlap`` words."""
        words = text.split()
        step = max(1, max_tokens - overlap)
        return [" ".join(words[start : start + max_tokens]) for start in range(0, max(1, len(words) - overlap), step)]


class FakeOptions(BaseModel):
    """Options of `FakeEmbedder`."""

    model_config = ConfigDict(extra="forbid")

    dim: int = Field(default=16, gt=0)
    normalized: bool = True
    max_tokens: int | None = Field(default=64, gt=0)
    max_items: int = Field(default=32, gt=0)
    max_batch_tokens: int | None = Field(default=None, gt=0)
    padded: bool = False
    reject: list[str] = Field(default_factory=list)
    rate_limited: int = Field(default=0, ge=0)


def _word_vector(word: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim)


class FakeEmbedder(BaseEmbedder):
    """Deterministic bag-of-words vectors: texts sharing words are close, the same text gives the same vector.

    Records each ``embed_batch`` call in `calls`. Options (see `FakeOptions`) set the dimension, limits, items
    to reject with `ItemRejectedError` (any item containing one of ``reject``) and a number of
    `RateLimitedError` to raise before answering.
    """

    Options = FakeOptions
    options: FakeOptions

    def __init__(self, provider_id: str = "fake/test", **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.calls: list[list[Any]] = []
        self.roles: list[str | None] = []
        self._rate_limits_left = self.options.rate_limited

    @property
    def space(self) -> EmbeddingSpace:
        """A space named after the provider id; changes with dim and normalization."""
        return EmbeddingSpace(
            provider=self.provider_id,
            model=self.provider_id.split("/", 1)[-1],
            # Different ids stand for different models, so each gets its own "weights" revision.
            revision=hashlib.sha256(self.provider_id.encode()).hexdigest()[:12],
            dim=self.options.dim,
            normalized=self.options.normalized,
            pooling="sum",
            max_tokens=self.options.max_tokens,
        )

    @property
    def limits(self) -> ProviderLimits:
        """From the options."""
        return ProviderLimits(
            max_items_per_request=self.options.max_items,
            max_tokens_per_item=self.options.max_tokens,
            max_tokens_per_request=self.options.max_batch_tokens,
            padded=self.options.padded,
        )

    @property
    def tokenizer(self) -> WhitespaceTokenizer:
        """Whitespace words."""
        return WhitespaceTokenizer()

    @property
    def items_embedded(self) -> int:
        """Items received over all calls."""
        return sum(len(call) for call in self.calls)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Sum of per-word random vectors (seeded by the word), plus one for the role."""
        if self._rate_limits_left:
            self._rate_limits_left -= 1
            raise RateLimitedError("fake rate limit", retry_after=0)
        for item in items:
            if any(bad in item for bad in self.options.reject):
                raise ItemRejectedError(f"the fake rejects {item!r}")
        self.calls.append(list(items))
        self.roles.append(role)
        dim = self.options.dim
        out = np.zeros((len(items), dim), dtype=np.float64)
        for row, item in enumerate(items):
            for word in str(item).lower().split():
                out[row] += _word_vector(word, dim)
            if role is not None:
                out[row] += 0.5 * _word_vector(f"<{role}>", dim)
        if self.options.normalized:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.where(norms == 0, 1, norms)
        return out.astype(np.float32)
