"""The contracts a provider fulfils: `Embedder` and `Tokenizer`, plus the `ProviderLimits` it declares.

They are structural (`typing.Protocol`): any object with these members works, whether or not it inherits
from `embedsdk.providers.base.BaseEmbedder`. The index contract lives with retrieval
(`embedsdk.retrieval.protocols`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk.space import EmbeddingSpace

__all__ = ["Embedder", "ProviderLimits", "Tokenizer"]


class ProviderLimits(BaseModel):
    """What one request to a provider may hold, and how fast requests may go (None: no limit).

    Attributes:
        max_items_per_request: Most items in one ``embed_batch`` call.
        max_tokens_per_item: Most tokens of one item; longer items follow the call's ``on_long`` policy.
        max_tokens_per_request: Most tokens in one ``embed_batch`` call. For local models (``padded=True``)
            this counts padding too: items x the longest item of the batch.
        padded: True when a batch costs as much as its longest item times its size (local transformer
            models), so the planner sorts items by length to keep padding small.
        requests_per_minute: Rate limit of the service, for hosted APIs.
        tokens_per_minute: Token rate limit of the service, for hosted APIs.
        max_bytes_per_request: Most bytes of JSON-encoded text in one request, for servers that refuse large
            bodies (some OpenAI-compatible servers stop at 2 MB); None: no limit.
    """

    model_config = ConfigDict(frozen=True)

    max_items_per_request: int = Field(default=64, gt=0)
    max_tokens_per_item: int | None = Field(default=None, gt=0)
    max_tokens_per_request: int | None = Field(default=None, gt=0)
    padded: bool = False
    requests_per_minute: int | None = Field(default=None, gt=0)
    tokens_per_minute: int | None = Field(default=None, gt=0)
    max_bytes_per_request: int | None = Field(default=None, gt=0)


@runtime_checkable
class Tokenizer(Protocol):
    """Counts, cuts and splits text in the provider's own tokens (special tokens included in counts)."""

    def count(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens the model sees for each text, special tokens included."""
        ...

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` that is at most ``max_tokens`` tokens, cut on a token boundary."""
        ...

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Consecutive pieces of at most ``max_tokens`` tokens each, sharing ``overlap`` tokens."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Turns a batch of items into vectors. The core does batching, caching, validation and merging."""

    @property
    def space(self) -> EmbeddingSpace:
        """The space of the vectors ``embed_batch`` returns (``role`` left None)."""
        ...

    @property
    def limits(self) -> ProviderLimits:
        """Request limits the planner packs batches within."""
        ...

    @property
    def modalities(self) -> frozenset[str]:
        """What it embeds: ``{"text"}``, ``{"text", "image"}``..."""
        ...

    @property
    def tokenizer(self) -> Tokenizer | None:
        """The provider's tokenizer, or None when text length is estimated instead."""
        ...

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Embed one batch that already fits the limits; returns float32 ``(len(items), space.dim)``."""
        ...
