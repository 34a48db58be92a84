"""`HNSWIndex`: approximate nearest-neighbour search on an hnswlib graph.

A `embedsdk.retrieval.slots.SlotIndex`: ids, metadata, space checks, validation and the folder format are shared
with the other backends; hnswlib holds unit-length vectors under slot numbers (space ``"ip"``, so a score is
``1 - distance``, the cosine similarity).

- **Deletion** is native: ``mark_deleted``, so hnswlib never returns a deleted vector.
- **Filters** are native: hnswlib's ``filter`` callable is given the mask of allowed slots. When the graph
  cannot find ``k`` allowed vectors (hnswlib then refuses the whole query), that query is answered exactly
  over the allowed vectors instead, so filtered searches never come back short.
- **Saving** writes ``native.hnsw`` (``save_index``); a load checks its checksum before hnswlib reads it, then
  its vector count against the slots.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk.errors import CorruptFileError, MissingDependencyError
from embedsdk.retrieval.slots import SearchRequest, SlotIndex
from embedsdk.retrieval.storage import check_file

__all__ = ["HNSWIndex", "HNSWOptions"]

NATIVE_FILE = "native.hnsw"


def _hnswlib() -> Any:
    # Imported on first use: registering the backend must not load the extension module.
    try:
        import hnswlib
    except ImportError as exc:
        raise MissingDependencyError("the hnsw backend needs hnswlib: pip install hnswlib") from exc
    return hnswlib


def _accepting(allowed: np.ndarray) -> Callable[[int], bool]:
    """The filter hnswlib calls: is this label (slot) allowed?"""

    def accept(label: int) -> bool:
        return bool(allowed[label])

    return accept


class HNSWOptions(BaseModel):
    """Options of `HNSWIndex`.

    The defaults (m=16, ef_construction=200, ef_search=40) found 95.9% of the exact top 10 on the search
    benchmark's 100k real sentence embeddings at 4.7x faiss's exact q/s (docs/retrieval.md); ef_search 32
    is faster but found 94.5-94.7%, and larger graphs (m=20-24) were no faster at the same recall.

    Attributes:
        m: Neighbours per node in the graph.
        ef_construction: Candidates kept while inserting.
        ef_search: Candidates kept while searching (raised to ``k`` when smaller).
        threads: Threads for adds and searches (-1: all cores).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    m: int = Field(default=16, gt=1)
    ef_construction: int = Field(default=200, gt=0)
    ef_search: int = Field(default=40, gt=0)
    threads: int = Field(default=-1, ge=-1)


class HNSWIndex(SlotIndex):
    """Approximate search with hnswlib (options: `HNSWOptions`)."""

    Options = HNSWOptions
    options: HNSWOptions
    format = "embedsdk.hnsw"
    _graph: Any

    def _native_reset(self) -> None:
        self._graph = None

    def _ready(self, capacity: int) -> Any:
        if self._graph is None:
            assert self._dim is not None
            self._graph = _hnswlib().Index(space="ip", dim=self._dim)
            self._graph.init_index(
                max_elements=max(capacity, 1024), ef_construction=self.options.ef_construction, M=self.options.m
            )
        elif capacity > self._graph.get_max_elements():
            self._graph.resize_index(max(capacity, 2 * self._graph.get_max_elements()))
        return self._graph

    def _native_add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        graph = self._ready(int(slots[-1]) + 1)
        graph.add_items(np.ascontiguousarray(vectors), slots, num_threads=self.options.threads)
        dead = [int(s) for s in slots if self._ids[int(s)] is None]
        if dead:  # tombstones re-added by a load or a rebuild
            self._native_remove(np.asarray(dead, dtype=np.int64))

    def _native_remove(self, slots: np.ndarray) -> None:
        if self._graph is None:
            return
        for slot in slots.tolist():
            if slot < self._graph.element_count:
                try:
                    self._graph.mark_deleted(slot)
                except RuntimeError:  # already deleted
                    pass

    def _native_search(self, request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
        graph = self._ready(self._size)
        graph.set_ef(max(self.options.ef_search, request.k))
        allowed = request.allowed
        accept = None if allowed is None else _accepting(allowed)
        try:
            labels, distances = graph.knn_query(
                request.queries, k=request.k, num_threads=self.options.threads if accept is None else 1, filter=accept
            )
        except RuntimeError:
            # Too few allowed vectors reachable in the graph for k: answer exactly instead of coming back short.
            if allowed is None:
                allowed = self._live_mask()
            return self._exact(SearchRequest(request.queries, request.k, allowed, [], request.excluded))
        return (1.0 - distances).astype(np.float32), labels.astype(np.int64)

    def _native_save(self, folder: Path) -> None:
        if self._dim is not None and self._size:
            self._ready(self._size).save_index(str(folder / NATIVE_FILE))

    def _native_load(self, snapshot: Path, manifest: dict[str, Any]) -> None:
        if self._dim is None or not self._size:
            return
        path = check_file(snapshot, manifest, NATIVE_FILE)
        graph = _hnswlib().Index(space="ip", dim=self._dim)
        try:
            graph.load_index(str(path), max_elements=self._size)
        except (RuntimeError, ValueError) as exc:
            raise CorruptFileError(path, f"hnswlib cannot read it ({exc})") from None
        if graph.element_count != self._size or graph.dim != self._dim:
            raise CorruptFileError(
                path, f"holds {graph.element_count} vectors of {graph.dim}-d; the index has {self._size} slots"
            )
        self._graph = graph
        dead = np.asarray([n for n, name in enumerate(self._ids) if name is None], dtype=np.int64)
        self._native_remove(dead)
