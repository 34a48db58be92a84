"""The index contract: `Index` (a store of vectors of one space, searchable by similarity) and its `Hit`.

Structural (`typing.Protocol`): any backend with these members works; plugins register theirs through the
``register_indexes`` hook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from embedsdk.space import EmbeddingSpace

__all__ = ["Hit", "Index", "checked_hit"]


class Hit(BaseModel):
    """One search result: the stored id, its score (cosine similarity, higher is closer) and metadata."""

    model_config = ConfigDict(frozen=True)

    id: str
    score: float
    metadata: dict[str, Any] = Field(default_factory=dict)


def _built(
    item_id: str, score: float, metadata: dict[str, Any], _new: Any = object.__new__, _set: Any = object.__setattr__
) -> Hit:
    # What `Hit.model_construct` does, without its per-call work on defaults and aliases (3x faster: a
    # search returning 10,000 hits spent more time building them than hnswlib spent finding them).
    hit: Hit = _new(Hit)
    _set(hit, "__dict__", {"id": item_id, "score": score, "metadata": metadata})
    _set(hit, "__pydantic_fields_set__", {"id", "score", "metadata"})
    _set(hit, "__pydantic_extra__", None)
    _set(hit, "__pydantic_private__", None)
    return hit


def _constructed(item_id: str, score: float, metadata: dict[str, Any]) -> Hit:
    return Hit.model_construct(id=item_id, score=score, metadata=metadata)


def _pick_builder() -> Any:
    # The fast path relies on pydantic's instance layout: use it only if it builds the same Hit here.
    try:
        probe = _built("a", 0.5, {"k": 1})
        if probe == Hit(id="a", score=0.5, metadata={"k": 1}) and probe.model_dump() == {
            "id": "a",
            "score": 0.5,
            "metadata": {"k": 1},
        }:
            return _built
    except (AttributeError, TypeError):
        pass
    return _constructed


checked_hit = _pick_builder()
"""``checked_hit(id, score, metadata) -> Hit`` without validation, for fields the caller already checked."""


@runtime_checkable
class Index(Protocol):
    """A store of vectors of one space, searchable by similarity."""

    @property
    def space(self) -> EmbeddingSpace | None:
        """The space of the stored vectors (None until the first ``add`` when built without one)."""
        ...

    def add(self, ids: Sequence[str], vectors: Any, metadata: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Store vectors under ids (an existing id is replaced); refuses vectors of another space."""
        ...

    def search(self, queries: Any, k: int = 10, filter: Mapping[str, Any] | None = None) -> list[list[Hit]]:
        """The ``k`` best hits for each query, best first; ``filter`` keeps hits whose metadata match."""
        ...

    def remove(self, ids: Sequence[str]) -> None:
        """Drop these ids; unknown ids raise `embedsdk.errors.UnknownIdError`."""
        ...

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` so `load` gives it back."""
        ...

    @classmethod
    def load(cls, path: str | Path) -> Index:
        """Read an index written by `save`."""
        ...
