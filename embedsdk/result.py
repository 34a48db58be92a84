"""What one call returns: `Embeddings` (vectors in input order, with `ItemFailure` records) and `EmbedStats`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedsdk.errors import ItemFailure
from embedsdk.space import EmbeddingSpace, cosine_similarity

__all__ = ["EmbedStats", "Embeddings", "ItemFailure", "ZeroShotResult"]


@dataclass
class EmbedStats:
    """What one call did: how many items came from the cache and how much work reached the provider.

    ``words`` and ``oov_count`` are filled by word-vector providers (those with ``oov_report``): how many
    words the items held and how many the vocabulary lacked, whatever the OOV policy did with them.
    """

    items: int = 0
    unique: int = 0
    cache_hits: int = 0
    embedded: int = 0
    batches: int = 0
    tokens: int = 0
    truncated: int = 0
    chunked: int = 0
    words: int = 0
    oov_count: int = 0

    @property
    def oov_rate(self) -> float:
        """Share of the words that were out of vocabulary (0.0 when no word was counted)."""
        return self.oov_count / self.words if self.words else 0.0


@dataclass
class Embeddings:
    """The vectors of one call, in input order, with the space they live in.

    Behaves like a float32 array of shape ``(n, dim)``: ``np.asarray(e)``, ``len(e)``, ``e[i]``, ``e.shape``.

    Attributes:
        vectors: float32 array of shape ``(n, dim)``; rows of failed items are NaN.
        space: The `EmbeddingSpace` of every row.
        errors: One `ItemFailure` per item that failed (empty when all succeeded).
        labels: What each row stands for when it is not the input item itself (words, for ``embed_words``).
        stats: Cache hits, batches and tokens of the call (and OOV counts, for word-vector providers).
        oov: Per item, the words the vocabulary lacked, for word-vector providers (None for the others).
    """

    vectors: np.ndarray
    space: EmbeddingSpace
    errors: list[ItemFailure] = field(default_factory=list)
    labels: list[str] | None = None
    stats: EmbedStats = field(default_factory=EmbedStats)
    oov: list[list[str]] | None = None

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None or np.dtype(dtype) == self.vectors.dtype:
            return self.vectors.copy() if copy else self.vectors
        return self.vectors.astype(dtype)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def __getitem__(self, key: Any) -> np.ndarray:
        result: np.ndarray = self.vectors[key]
        return result

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.vectors)

    def __repr__(self) -> str:
        failed = f", failed={len(self.errors)}" if self.errors else ""
        return f"Embeddings(n={len(self)}, dim={self.space.dim}, provider={self.space.provider!r}{failed})"

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of `vectors`: ``(n, dim)``."""
        return tuple(self.vectors.shape)

    @property
    def dim(self) -> int:
        """Number of dimensions of each vector."""
        return self.space.dim

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of the rows that were embedded (False where the item failed)."""
        mask = np.ones(len(self), dtype=bool)
        for error in self.errors:
            mask[error.index] = False
        return mask

    def similarity(self, other: Embeddings | Any = None) -> np.ndarray:
        """Cosine similarity matrix between these vectors and ``other`` (itself when omitted).

        Args:
            other: Another `Embeddings` (its space must be comparable: same model, dimension and
                normalization; query and document roles compare fine) or any array of shape ``(m, dim)``.

        Returns:
            A float32 array of shape ``(len(self), len(other))``.
        """
        if other is None:
            other = self
        if isinstance(other, Embeddings):
            self.space.check_comparable(other.space)
        return cosine_similarity(self.vectors, other)


@dataclass
class ZeroShotResult:
    """Zero-shot labels of images, as `embedsdk.zero_shot` returns them.

    Each row is a softmax over labels of the model's logit scale times the cosine between the image and
    each label's prompt, as CLIP does it.

    Attributes:
        probs: float32 array ``(n_images, n_labels)``; each row sums to 1 (NaN for an image that failed).
        labels: The labels, in the order of the columns.
        similarities: The cosines behind ``probs``, same shape.
        logit_scale: The temperature applied to the cosines (the model's own; 100 for OpenAI's CLIP).
        prompts: The texts embedded for each label (one per template).
        errors: One `ItemFailure` per image that failed (with ``on_error="collect"``).
    """

    probs: np.ndarray
    labels: list[str]
    similarities: np.ndarray
    logit_scale: float
    prompts: list[list[str]] = field(default_factory=list)
    errors: list[ItemFailure] = field(default_factory=list)

    @property
    def best(self) -> list[str | None]:
        """The most probable label of each image (None for an image that failed)."""
        rows = np.asarray(self.probs)
        return [None if np.isnan(row).any() else self.labels[int(np.argmax(row))] for row in rows]

    def top(self, k: int = 3) -> list[list[tuple[str, float]]]:
        """The ``k`` most probable ``(label, probability)`` pairs of each image, best first."""
        ranked: list[list[tuple[str, float]]] = []
        for row in np.asarray(self.probs):
            if np.isnan(row).any():
                ranked.append([])
                continue
            order = np.argsort(-row, kind="stable")[:k]
            ranked.append([(self.labels[int(n)], float(row[n])) for n in order])
        return ranked

    def __len__(self) -> int:
        return int(self.probs.shape[0])
