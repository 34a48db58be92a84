"""Index backends by name: the lookup side of the ``register_indexes`` hook.

`create_index("exact")` builds a registered backend; `index_backends()` lists them. The registrations come from
the process's runtime, so plugin backends (``faiss-flat``, ``hnsw``, ``qdrant``...) appear once installed.
"""

from __future__ import annotations

from typing import Any

from embedsdk import runtime
from embedsdk.plugins.registries import IndexInfo
from embedsdk.retrieval.protocols import Index
from embedsdk.space import EmbeddingSpace

__all__ = ["DEFAULT_INDEX", "create_index", "index_backends"]

DEFAULT_INDEX = "exact"


def index_backends() -> list[IndexInfo]:
    """Every registered index backend, sorted by name."""
    return runtime.current().registries.indexes.entries()


def create_index(name: str = DEFAULT_INDEX, *, space: EmbeddingSpace | None = None, **options: Any) -> Index:
    """A new, empty index of the backend registered as ``name``.

    Args:
        name: A registered backend (``embedsdk providers`` lists providers; `index_backends` lists these).
        space: The space its vectors must come from (None: set by the first add of an `Embeddings`).
        **options: Backend options.

    Raises:
        UnknownIndexError: no backend has that name; the message lists close matches.
    """
    info = runtime.current().registries.indexes.get(name)
    index: Index = info.factory(space=space, **options)
    return index
