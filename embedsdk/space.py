"""What a vector means: `EmbeddingSpace`, and the row operations every layer shares.

Two vectors can be compared only when they come from the same space: same provider, model, revision,
dimension, normalization and pooling. The space's fingerprint is part of every cache key, so a change to
any of those fields can never return a stale vector.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk.errors import SpaceMismatchError

__all__ = ["EmbeddingSpace", "Role", "cosine_similarity", "normalize_rows"]

Role = Literal["query", "document"]

# Fields that may differ between two spaces whose vectors can still be compared: a query embedded with
# role="query" is meant to be compared with documents embedded with role="document".
_COMPARABLE_DESPITE = frozenset({"role", "provider", "max_tokens", "extra"})


class EmbeddingSpace(BaseModel):
    """Everything that decides what a vector means.

    Attributes:
        provider: The canonical provider id, ``family/model`` (aliases are resolved).
        model: The model's name (hub id, or folder name for local models).
        revision: A content hash or commit of the weights, so a changed model never hits an old cache entry.
        dim: Number of dimensions of each vector.
        normalized: True when every vector has unit L2 norm.
        pooling: How token vectors became one vector (``mean``, ``cls``, ``max``...), when it applies.
        dtype: The numpy dtype of the vectors.
        role: ``"query"``, ``"document"`` or None, as passed to the call.
        max_tokens: The most tokens of one item the model reads; longer items are cut, split or refused.
        extra: Provider-specific settings that change vectors (an instruction prefix, say).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str
    model: str
    revision: str | None = None
    dim: int = Field(gt=0)
    normalized: bool = False
    pooling: str | None = None
    dtype: str = "float32"
    role: Role | None = None
    max_tokens: int | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    def fingerprint(self) -> str:
        """A sha256 hex digest of every field, stable across processes and versions of Python."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()

    def mismatches(self, other: EmbeddingSpace) -> list[str]:
        """Names of the fields that make vectors of ``other`` incomparable with vectors of this space."""
        mine, theirs = self.model_dump(), other.model_dump()
        ignored = set(_COMPARABLE_DESPITE)
        if self.revision is not None and self.revision == other.revision:
            # Same content hash: the same weights reached by another name (an alias and its folder).
            ignored.add("model")
        return [name for name in mine if name not in ignored and mine[name] != theirs[name]]

    def check_comparable(self, other: EmbeddingSpace, what: str = "vectors") -> None:
        """Raise `SpaceMismatchError` naming each differing field when ``other`` is another space."""
        diffs = self.mismatches(other)
        if diffs:
            detail = "; ".join(f"{name}: {getattr(self, name)!r} vs {getattr(other, name)!r}" for name in diffs)
            raise SpaceMismatchError(
                f"{what} come from a different embedding space ({detail}); embed both sides with the same "
                f"provider and options"
            )


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to unit L2 norm (all-zero rows stay zero), as float32."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    result: np.ndarray = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32, copy=False)
    return result


def cosine_similarity(a: Any, b: Any) -> np.ndarray:
    """Cosine similarity matrix between the rows of ``a`` and the rows of ``b`` (zero rows score 0)."""
    left = np.atleast_2d(np.asarray(a, dtype=np.float32))
    right = np.atleast_2d(np.asarray(b, dtype=np.float32))
    if left.shape[1] != right.shape[1]:
        raise SpaceMismatchError(f"cannot compare {left.shape[1]}-d vectors with {right.shape[1]}-d vectors")
    result: np.ndarray = normalize_rows(left) @ normalize_rows(right).T
    return result
